/** Memory and an Agent's `spec.memory`: located diagnostics, Orloj's normalization, and what the Plan carries. */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const SYSTEM = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock, default_model: mock-1 }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a, b] }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: b }
spec: { model_ref: m, prompt: hi }
`;

function agentWith(memory: string): string {
  return `apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: a
spec:
  model_ref: m
  memory:
${memory}
`;
}

function memoryWith(spec: string): string {
  return `apiVersion: orloj.dev/v1
kind: Memory
metadata:
  name: notes
spec:
${spec}
`;
}

async function compileWith(agent: string, memory: string) {
  const paths = writeManifests({ 'system.yaml': SYSTEM, 'agent.yaml': agent, 'memory.yaml': memory });
  return { ...(await compile(Object.values(paths))), paths };
}

describe('Memory', () => {
  it('grants the tools allow names, in order, normalized and deduplicated, and the plan carries the Memory', async () => {
    const { plan, diagnostics } = await compileWith(agentWith('    ref: notes\n    allow: [Search, memory.read, read, ingest]'), memoryWith('  type: vector\n  provider: in-memory'));
    expect(diagnostics).toEqual([]);
    expect(plan!.agents.a!.memory).toEqual({ memory: 'default/notes', tools: ['memory.search', 'memory.read', 'memory.ingest'] });
    expect(plan!.agents.b!.memory).toBeUndefined();
    expect(plan!.memories).toEqual({
      'default/notes': { id: { namespace: 'default', name: 'notes' }, type: 'vector', provider: 'in-memory', embeddingModel: null, maxEntries: 10_000, maxBytes: 1_000_000 },
    });
  });

  it('no allow, no tools: the plan (and its hash) is that of an agent without memory', async () => {
    const withRef = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: ""'));
    expect(withRef.diagnostics).toEqual([]);
    expect(withRef.plan!.agents.a!.memory).toBeUndefined();
    expect('memories' in withRef.plan!).toBe(false);
  });

  it('an unknown operation is an error at the entry; allow without ref at the memory map', async () => {
    const bad = await compileWith(agentWith('    ref: notes\n    allow:\n      - read\n      - delete'), memoryWith('  type: kv'));
    expectDiagnostic(bad.diagnostics, { code: 'INVALID_VALUE', file: bad.paths['agent.yaml']!, line: 11, column: 9 });
    expect(bad.plan).toBeNull();
    const noRef = await compileWith(agentWith('    allow: [write]'), memoryWith('  type: kv'));
    expect(errorsOf(noRef.diagnostics).map((d) => [d.code, d.path])).toEqual([['MISSING_FIELD', ['spec', 'memory', 'ref']]]);
  });

  it('an unknown field, a provider that does not exist, or one orch cannot run for a granted agent: located errors', async () => {
    const unknown = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: in-memory\n  capacity: 5'));
    expectDiagnostic(unknown.diagnostics, { code: 'UNKNOWN_FIELD', file: unknown.paths['memory.yaml']!, line: 7, column: 3 });
    const provider = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: redis'));
    expectDiagnostic(provider.diagnostics, { code: 'INVALID_VALUE', file: provider.paths['memory.yaml']!, line: 6, column: 13 });
    // http alone warns; granting tools on it does not compile, at the agent's reference.
    const ungranted = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: http\n  endpoint: https://memory.example/x'));
    expect(ungranted.diagnostics.map((d) => [d.code, d.severity])).toEqual([['UNSUPPORTED_MEMORY_PROVIDER', 'warning']]);
    const granted = await compileWith(agentWith('    ref: notes\n    allow: [read]'), memoryWith('  provider: http'));
    expectDiagnostic(granted.diagnostics, { code: 'UNSUPPORTED_MEMORY_PROVIDER', file: granted.paths['agent.yaml']!, line: 8, column: 10 });
    expect(granted.plan).toBeNull();
  });

  it('pgvector compiles without a diagnostic: its endpoint, a postgres URL, goes into the plan; none means the embedded database', async () => {
    const external = await compileWith(agentWith('    ref: notes\n    allow: [read, write]'), memoryWith('  provider: PGVector\n  type: vector\n  endpoint: postgresql://orch@db:5432/memory'));
    expect(external.diagnostics).toEqual([]);
    expect(external.plan!.memories!['default/notes']).toMatchObject({ provider: 'pgvector', type: 'vector', endpoint: 'postgresql://orch@db:5432/memory' });
    const embedded = await compileWith(agentWith('    ref: notes\n    allow: [read]'), memoryWith('  provider: pgvector'));
    expect(embedded.diagnostics).toEqual([]);
    expect(embedded.plan!.memories!['default/notes']).not.toHaveProperty('endpoint');
    const notUrl = await compileWith(agentWith('    ref: notes\n    allow: [read]'), memoryWith('  provider: pgvector\n  endpoint: host=db dbname=memory'));
    expectDiagnostic(notUrl.diagnostics, { code: 'INVALID_VALUE', file: notUrl.paths['memory.yaml']!, line: 7, column: 13 });
    expect(notUrl.plan).toBeNull();
  });

  it('a reference to a Memory that does not exist is UNKNOWN_REFERENCE at the reference', async () => {
    const { diagnostics, paths } = await compileWith(agentWith('    ref: nowhere\n    allow: [read]'), memoryWith('  provider: in-memory'));
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file: paths['agent.yaml']!, line: 8, column: 10 });
  });
});
