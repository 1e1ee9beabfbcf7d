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

  it('an unknown field or a provider that does not exist: located errors', async () => {
    const unknown = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: in-memory\n  capacity: 5'));
    expectDiagnostic(unknown.diagnostics, { code: 'UNKNOWN_FIELD', file: unknown.paths['memory.yaml']!, line: 7, column: 3 });
    const provider = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: redis'));
    expectDiagnostic(provider.diagnostics, { code: 'INVALID_VALUE', file: provider.paths['memory.yaml']!, line: 6, column: 13 });
    expect(provider.plan).toBeNull();
  });

  it('http compiles: its endpoint and auth secret (a reference) go into the plan; UNSUPPORTED_MEMORY_PROVIDER is no longer emitted', async () => {
    const granted = await compileWith(agentWith('    ref: notes\n    allow: [read, write]'), memoryWith('  provider: HTTP\n  endpoint: https://memory.example/v1\n  auth:\n    secretRef: memory-key'));
    expect(granted.diagnostics).toEqual([]);
    expect(granted.plan!.memories!['default/notes']).toEqual({
      id: { namespace: 'default', name: 'notes' },
      type: 'keyword',
      provider: 'http',
      endpoint: 'https://memory.example/v1',
      secretRef: { namespace: 'default', name: 'memory-key', key: 'value' },
      embeddingModel: null,
      maxEntries: 10_000,
      maxBytes: 1_000_000,
    });
    // The worker learns where the secret may go from the Memory it loads.
    expect(granted.manifests.memories?.map((m) => [m.endpoint, m.secretRef?.name])).toEqual([['https://memory.example/v1', 'memory-key']]);
  });

  it('http without an endpoint, or with one that is not an http(s) URL: located errors at the Memory', async () => {
    const none = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: http'));
    expect(errorsOf(none.diagnostics).map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([['MISSING_FIELD', none.paths['memory.yaml'], 5]]);
    for (const endpoint of ['ftp://memory.example', 'https://user:pw@memory.example', 'memory.example', 'https://memory.example/?token=x']) {
      const bad = await compileWith(agentWith('    ref: notes'), memoryWith(`  provider: http\n  endpoint: "${endpoint}"`));
      expectDiagnostic(bad.diagnostics, { code: 'INVALID_VALUE', file: bad.paths['memory.yaml']!, line: 7, column: 13 });
    }
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

  it('pgvector: auth.secretRef is the database password (a reference in the plan); the embedded database takes none', async () => {
    const external = await compileWith(agentWith('    ref: notes\n    allow: [read]'), memoryWith('  provider: pgvector\n  endpoint: postgresql://orch@db:5432/memory\n  auth: { secretRef: pg-password }'));
    expect(external.diagnostics).toEqual([]);
    expect(external.plan!.memories!['default/notes']!.secretRef).toEqual({ namespace: 'default', name: 'pg-password', key: 'value' });
    expect(JSON.stringify(external.plan)).not.toContain('hunter');
    const embedded = await compileWith(agentWith('    ref: notes\n    allow: [read]'), memoryWith('  provider: pgvector\n  auth: { secretRef: pg-password }'));
    expectDiagnostic(embedded.diagnostics, { code: 'INVALID_VALUE', file: embedded.paths['memory.yaml']!, line: 7, column: 22 });
  });

  it('pgvector embedding_model: a ModelEndpoint, carried in the plan; one that names nothing is UNKNOWN_REFERENCE at the Memory once granted', async () => {
    const resolved = await compileWith(agentWith('    ref: notes\n    allow: [search]'), memoryWith('  provider: pgvector\n  type: vector\n  embedding_model: m'));
    expect(resolved.diagnostics).toEqual([]);
    expect(resolved.plan!.memories!['default/notes']).toMatchObject({ embeddingModel: 'm', embedding: { id: { namespace: 'default', name: 'm' }, provider: 'mock', model: 'mock-1' } });
    const unknown = await compileWith(agentWith('    ref: notes\n    allow: [search]'), memoryWith('  provider: pgvector\n  type: vector\n  embedding_model: text-embedding-3-large'));
    expectDiagnostic(unknown.diagnostics, { code: 'UNKNOWN_REFERENCE', file: unknown.paths['memory.yaml']!, line: 8, column: 20 });
    expect(unknown.plan).toBeNull();
    // Not granted, the Memory is not used and its reference not looked up (Orloj's corpus writes such a Memory).
    const unused = await compileWith(agentWith('    ref: notes'), memoryWith('  provider: pgvector\n  embedding_model: text-embedding-3-large'));
    expect(unused.diagnostics).toEqual([]);
    // in-memory and http do not embed through it (in-memory embeds offline; an http service embeds itself).
    const inMemory = await compileWith(agentWith('    ref: notes\n    allow: [search]'), memoryWith('  type: vector\n  embedding_model: m'));
    expect(inMemory.plan!.memories!['default/notes']).not.toHaveProperty('embedding');
    // Not silently: a located warning at the field.
    expect(inMemory.diagnostics.map((d) => [d.code, d.severity, d.location?.line, d.location?.column])).toEqual([['ACCEPTED_NOT_ENFORCED', 'warning', 7, 3]]);
  });

  it('a reference to a Memory that does not exist is UNKNOWN_REFERENCE at the reference', async () => {
    const { diagnostics, paths } = await compileWith(agentWith('    ref: nowhere\n    allow: [read]'), memoryWith('  provider: in-memory'));
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file: paths['agent.yaml']!, line: 8, column: 10 });
  });
});
