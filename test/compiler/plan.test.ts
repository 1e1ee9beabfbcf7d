/** The Plan: contents, defaults, aliases, hashing, and the secrets that must stay out of it. */
import { describe, expect, it } from 'vitest';
import { canonicalJson, compile, planHash, validate } from '../../compiler/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture } from './helpers.ts';

/** The plan minus what depends on file paths (agent sources and so the hash). */
function withoutSources(plan: Plan | null) {
  const { hash: _hash, ...copy } = JSON.parse(JSON.stringify(plan)) as Plan;
  for (const agent of Object.values(copy.agents)) agent.source = '';
  return copy;
}

describe('plan contents', () => {
  it('compiles the only runnable Task: its system, input, labels, graph and scripted mock model', async () => {
    const { plan, diagnostics } = await compile([fixture('pipeline')]);
    expect(diagnostics).toEqual([]);
    expect(plan).not.toBeNull();
    const p = plan!;
    expect(p.schemaVersion).toBe(1);
    expect(p.system).toEqual({ namespace: 'default', name: 'pipeline', labels: {} });
    expect(p.task).toEqual({ namespace: 'default', name: 'brief', labels: { team: 'research' } });
    expect(p.input).toEqual({ topic: 'enterprise copilots', depth: 2 });
    expect(p.entryAgents).toEqual(['planner']);
    expect(p.graph['planner']).toEqual({ edges: [{ to: 'writer', condition: null, labels: {}, foreach: null }], join: null, delegates: [] });
    expect(p.graph['writer']).toEqual({ edges: [], join: null, delegates: [] });
    expect(p.agents['writer']).toMatchObject({ model: 'default/scripted', tools: ['default/search'], maxSteps: 3, timeoutMs: 90_000 });
    expect(p.models['default/scripted']).toEqual({
      id: { namespace: 'default', name: 'scripted' },
      provider: 'mock',
      baseUrl: null,
      model: 'mock',
      options: {},
      secretRef: null,
      pricing: { inputPerMillion: 3, outputPerMillion: 15 },
      rateLimit: null,
      timeoutMs: null,
      mock: {
        latencyMs: 5,
        responses: {
          planner: [{ text: 'plan: research, then write', usage: { inputTokens: 10, outputTokens: 5 } }],
          writer: [{ toolCalls: [{ tool: 'search', input: { q: 'copilots' } }] }, { text: 'done' }],
        },
      },
    });
    expect(p.tools['default/search']).toMatchObject({
      name: 'search',
      type: 'http',
      description: 'Web search',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
      auth: { profile: 'bearer', secretRef: { namespace: 'default', name: 'search-key', key: 'value' }, headerName: null, tokenUrl: null, scopes: [] },
    });
  });

  it('merges the input option over the Task input, one level deep', async () => {
    const { plan } = await compile([fixture('pipeline')], { input: { topic: 'agents', extra: [1, 2] } });
    expect(plan?.input).toEqual({ topic: 'agents', depth: 2, extra: [1, 2] });
  });

  it('applies Orloj defaults: max_steps 10, tool timeout 30s, operation classes by risk, base URL by provider', async () => {
    const { plan, diagnostics } = await compile([fixture('defaults')]);
    expect(diagnostics).toEqual([]);
    const p = plan!;
    expect(p.task).toBeNull();
    expect(p.maxTurns).toBe(0);
    expect(p.agents['worker']).toMatchObject({ maxSteps: 10, timeoutMs: null, toolUseBehavior: 'run_llm_again', outputSchema: null, prompt: '' });
    expect(p.models['default/plain']).toMatchObject({ provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' });
    expect(p.tools['default/reader']).toMatchObject({
      type: 'http',
      riskLevel: 'low',
      operationClasses: ['read'],
      timeoutMs: 30_000,
      retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 30_000, jitter: 'none' },
      auth: null,
      mcp: null,
    });
    expect(p.tools['default/deleter']).toMatchObject({ riskLevel: 'critical', operationClasses: ['write'] });
  });

  it('camelCase aliases give the same plan as snake_case', async () => {
    const snake = await compile([fixture('aliases/snake')]);
    const camel = await compile([fixture('aliases/camel')]);
    expect(snake.diagnostics).toEqual([]);
    expect(camel.diagnostics).toEqual([]);
    expect(withoutSources(camel.plan)).toEqual(withoutSources(snake.plan));
    expect(camel.secrets).toEqual(snake.secrets);
    // Spot checks that the aliased fields really arrived.
    const p = snake.plan!;
    expect(p.maxTurns).toBe(2);
    expect(p.agents['lead']).toMatchObject({
      fallbackModels: ['default/backup'],
      allowedTools: ['default/reader'],
      maxSteps: 5,
      toolUseBehavior: 'stop_on_first_tool',
      outputSchema: { type: 'object' },
    });
    expect(p.graph['lead']?.edges[0]?.condition).toEqual({ outputJsonPath: '$.score', greaterThan: 3 });
    expect(p.graph['helper']?.join).toEqual({ mode: 'quorum', quorumCount: 1, quorumPercent: 50, onFailure: 'continue_partial' });
    expect(p.models['default/primary']).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/v1', rateLimit: { requestsPerSecond: 5 } });
    expect(p.tools['default/reader']).toMatchObject({ type: 'mcp', mcp: { server: 'default/files', tool: 'read_file' }, retry: { maxAttempts: 3, maxBackoffMs: 10_000 } });
    expect(p.tools['default/poster']?.auth).toMatchObject({ profile: 'api_key_header', headerName: 'X-Key' });
    expect(p.tools['default/oauth-tool']?.auth).toMatchObject({ profile: 'oauth2_client_credentials', tokenUrl: 'https://auth.example.test/token' });
    expect(p.governance.policies[0]).toMatchObject({ applyMode: 'scoped', targetSystems: ['aliased'], maxTokensPerRun: 1000, maxCostUsdPerRun: 0.5 });
    expect(p.governance.toolPermissions[0]).toMatchObject({
      toolRef: 'default/reader',
      matchMode: 'any',
      operationRules: [{ operationClass: 'read', verdict: 'allow' }],
    });
  });

  it('references tools an McpServer generates as <server>--<tool>, honouring tool_filter.include', async () => {
    const { plan, diagnostics } = await compile([fixture('mcp-tools')]);
    expect(plan).toBeNull();
    expect(codesOf(errorsOf(diagnostics))).toEqual(['UNKNOWN_REFERENCE', 'UNKNOWN_REFERENCE']);
    // print-env is not in the server's include list; the Tool's server does not exist.
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file: fixture('mcp-tools/bundle.yaml'), line: 28, column: 7 });
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file: fixture('mcp-tools/bundle.yaml'), line: 36, column: 19 });
    const { resources } = await validate([fixture('mcp-tools')]);
    expect(resources.mcpServers[0]?.spec).toMatchObject({ transport: 'stdio', toolFilter: { include: ['echo', 'get_sum'] }, reconnect: { maxAttempts: 3, backoffMs: 2000 } });
  });
});

describe('cycles and system selection', () => {
  it('validate accepts a cycle when any Task for the system sets max_turns', async () => {
    const { diagnostics } = await validate([fixture('loop-tasks')]);
    expect(diagnostics).toEqual([]);
  });

  it('compile bounds a cycle by the selected Task only, and starts at the first agent', async () => {
    const bounded = await compile([fixture('loop-tasks')], { task: 'bounded' });
    expect(bounded.diagnostics).toEqual([]);
    expect(bounded.plan).toMatchObject({ maxTurns: 3, entryAgents: ['manager'], task: { name: 'bounded' } });

    const unbounded = await compile([fixture('loop-tasks')], { task: 'unbounded' });
    expect(unbounded.plan).toBeNull();
    expect(codesOf(unbounded.diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(unbounded.diagnostics, { code: 'UNBOUNDED_CYCLE', file: fixture('loop-tasks/bundle.yaml'), line: 34, column: 15 });
  });

  it('a cycle with a conditional edge needs no max_turns', async () => {
    const { plan, diagnostics } = await compile([fixture('conditional-loop')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.entryAgents).toEqual(['writer']);
    expect(plan?.graph['critic']?.edges).toEqual([
      { to: 'writer', condition: { outputContains: 'REVISION_NEEDED' }, labels: {}, foreach: null },
      { to: 'publisher', condition: { default: true }, labels: {}, foreach: null },
    ]);
  });

  it('a system without a graph chains its agents in declaration order, as Orloj does', async () => {
    const { plan, diagnostics } = await compile([fixture('implied-chain')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.entryAgents).toEqual(['first']);
    expect(plan?.graph['first']?.edges.map((e) => e.to)).toEqual(['second']);
    expect(plan?.graph['second']?.edges.map((e) => e.to)).toEqual(['third']);
    expect(plan?.graph['third']?.edges).toEqual([]);
  });

  it('the system option picks one of several systems, with no Task', async () => {
    const { plan, diagnostics } = await compile([fixture('ambiguous-system')], { system: 'default/second' });
    expect(diagnostics).toEqual([]);
    expect(plan?.system.name).toBe('second');
    expect(plan?.task).toBeNull();
  });
});

describe('hash and determinism', () => {
  it('is sha256 over the canonical JSON of the plan without its hash', async () => {
    const { plan } = await compile([fixture('pipeline')]);
    expect(plan!.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { hash, ...rest } = plan!;
    expect(planHash(rest)).toBe(hash);
  });

  it('gives byte-identical plan JSON for the same inputs', async () => {
    const first = await compile([fixture('pipeline')]);
    const second = await compile([fixture('pipeline')]);
    expect(JSON.stringify(second.plan)).toBe(JSON.stringify(first.plan));
    expect(canonicalJson(second.plan)).toBe(canonicalJson(first.plan));
  });

  it('changes when the input changes', async () => {
    const base = await compile([fixture('pipeline')]);
    const other = await compile([fixture('pipeline')], { input: { topic: 'something else' } });
    expect(other.plan!.hash).not.toBe(base.plan!.hash);
  });

  it('sorts keys at every level in canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
  });
});

describe('secrets', () => {
  it('come back separately, decoded, and appear nowhere in the plan', async () => {
    const { plan, secrets } = await compile([fixture('pipeline')]);
    expect(secrets).toEqual({ 'default/search-key': { value: 'super-secret-search-token', backup: 'second-secret-value' } });
    const json = JSON.stringify(plan);
    expect(json).not.toContain('super-secret-search-token');
    expect(json).not.toContain('second-secret-value');
    expect(json).not.toContain('c2Vjb25kLXNlY3JldC12YWx1ZQ');
  });

  it('are not required to exist in manifests (they may come from the environment)', async () => {
    const { plan, diagnostics } = await compile([fixture('override/base')]);
    expect(diagnostics).toEqual([]);
    expect(plan!.models['default/openai-default']?.secretRef).toEqual({ namespace: 'default', name: 'openai-api-key', key: 'value' });
  });
});
