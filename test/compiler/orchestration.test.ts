/**
 * Orchestration features of the plan: run and message retry, foreach fan-out, delegation,
 * child bounds in policies, cycle bounds and quorum joins. Diagnostics are asserted by code
 * and location.
 */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture, ORLOJ_CORPUS } from './helpers.ts';

const DAY_MS = 86_400_000;

describe('Plan.retry and Plan.messageRetry', () => {
  it('come from the Task as written', async () => {
    const { plan, diagnostics } = await compile([fixture('retry')], { task: 'full' });
    // The bundle's jitter is accepted, not enforced: backoff is exact.
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['ACCEPTED_NOT_ENFORCED', ['spec', 'message_retry', 'jitter']]]);
    expect(plan?.retry).toEqual({ maxAttempts: 3, backoffMs: 5000 });
    expect(plan?.messageRetry).toEqual({ maxAttempts: 4, backoffMs: 250, maxBackoffMs: 60_000, jitter: 'equal', nonRetryable: ['policy_denied', 'invalid_output'] });
  });

  it('message_retry inherits attempts and backoff from retry (Orloj defaults: 24h cap, full jitter)', async () => {
    const { plan } = await compile([fixture('retry')], { task: 'inherited' });
    expect(plan?.retry).toEqual({ maxAttempts: 2, backoffMs: 1000 });
    expect(plan?.messageRetry).toEqual({ maxAttempts: 2, backoffMs: 1000, maxBackoffMs: DAY_MS, jitter: 'full', nonRetryable: [] });
  });

  it('accepts camelCase spellings', async () => {
    const { plan, diagnostics } = await compile([fixture('retry')], { task: 'camel' });
    // The bundle's jitter is accepted, not enforced: backoff is exact.
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['ACCEPTED_NOT_ENFORCED', ['spec', 'message_retry', 'jitter']]]);
    expect(plan?.retry).toEqual({ maxAttempts: 2, backoffMs: 0 });
    expect(plan?.messageRetry).toEqual({ maxAttempts: 2, backoffMs: 0, maxBackoffMs: 10_000, jitter: 'full', nonRetryable: ['timeout'] });
  });

  it('default to one attempt for a Task without them, and without a Task', async () => {
    const defaults = { retry: { maxAttempts: 1, backoffMs: 0 }, messageRetry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: DAY_MS, jitter: 'full', nonRetryable: [] } };
    expect((await compile([fixture('retry')], { task: 'plain' })).plan).toMatchObject(defaults);
    const noTask = await compile([fixture('retry')], { system: 'single' });
    expect(noTask.plan?.task).toBeNull();
    expect(noTask.plan).toMatchObject(defaults);
  });

  it('zero attempts, an unknown jitter and a bad backoff: INVALID_VALUE at each value', async () => {
    const { diagnostics } = await validate([fixture('retry-invalid')]);
    const file = fixture('retry-invalid/task.yaml');
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE', 'INVALID_VALUE', 'INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 9, column: 19 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 11, column: 13 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 12, column: 14 });
  });
});

describe('edge foreach', () => {
  it('is carried on every plan edge, null when absent', async () => {
    const { plan, diagnostics } = await compile([fixture('foreach')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.graph['planner']?.edges).toEqual([{ to: 'fetcher', condition: null, labels: {}, foreach: '$.results[0].urls' }]);
    expect(plan?.graph['fetcher']?.edges).toEqual([{ to: 'writer', condition: null, labels: {}, foreach: 'items' }]);
    expect(plan?.graph['writer']?.edges).toEqual([]);
    const pipeline = await compile([fixture('pipeline')]);
    for (const node of Object.values(pipeline.plan!.graph)) for (const edge of node.edges) expect(edge.foreach).toBeNull();
  });

  it('an unreadable path is INVALID_VALUE at the value, for foreach and output_json_path alike', async () => {
    const { diagnostics } = await validate([fixture('foreach-invalid')]);
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE', 'INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('foreach-invalid/system.yaml'), line: 35, column: 20 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('foreach-invalid/system.yaml'), line: 38, column: 31 });
  });

  it('over an agent without output_schema: a warning at the path, and the plan still compiles', async () => {
    const { plan, diagnostics } = await compile([fixture('foreach-unstructured')]);
    expect(plan?.graph['planner']?.edges[0]?.foreach).toBe('$.items');
    expect(codesOf(diagnostics)).toEqual(['FOREACH_WITHOUT_OUTPUT_SCHEMA']);
    const found = expectDiagnostic(diagnostics, { code: 'FOREACH_WITHOUT_OUTPUT_SCHEMA', file: fixture('foreach-unstructured/bundle.yaml'), line: 33, column: 20 });
    expect(found.severity).toBe('warning');
    expect(found.path).toEqual(['spec', 'graph', 'planner', 'edges', 0, 'foreach']);
  });
});

describe('delegation', () => {
  it('delegates reach the plan and are never entry agents', async () => {
    const { plan, diagnostics } = await compile([fixture('delegation')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.entryAgents).toEqual(['lead']);
    expect(plan?.graph['lead']).toEqual({ edges: [{ to: 'editor', condition: null, labels: {}, foreach: null }], join: null, delegates: ['researcher', 'analyst'] });
    expect(plan?.graph['researcher']?.delegates).toEqual(['analyst']);
    expect(plan?.graph['analyst']?.delegates).toEqual([]);
  });

  it('a cyclic graph starts at its first agent that is not a delegate', async () => {
    const { plan, diagnostics } = await compile([fixture('delegation-entry')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.entryAgents).toEqual(['boss']);
  });

  it('reports an unlisted delegate, a repeat, a tool-name collision and a delegation cycle at the entry', async () => {
    const { plan, diagnostics } = await compile([fixture('delegation-errors')]);
    expect(plan).toBeNull();
    const file = fixture('delegation-errors/system.yaml');
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE', 'AGENT_NOT_IN_SYSTEM', 'INVALID_VALUE', 'UNBOUNDED_CYCLE']);
    // boss has the MCP tool delegate--helper, the name its delegate tool for helper would take.
    expect(expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 54, column: 19 }).path).toEqual(['spec', 'graph', 'boss', 'delegates', 0]);
    expectDiagnostic(diagnostics, { code: 'AGENT_NOT_IN_SYSTEM', file, line: 54, column: 27 });
    expect(expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 54, column: 40 }).path).toEqual(['spec', 'graph', 'boss', 'delegates', 3]);
    // a -> b -> a: closed by b's entry.
    expect(expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file, line: 58, column: 19 }).path).toEqual(['spec', 'graph', 'b', 'delegates', 0]);
  });
});

describe('AgentPolicy child bounds', () => {
  it('max_child_depth and max_child_tasks (any spelling) reach the plan; absent or 0 is null', async () => {
    const { plan } = await compile([fixture('delegation')]);
    const policies = Object.fromEntries(plan!.governance.policies.map((p) => [p.id.name, p]));
    expect(policies['tree-bounds']).toMatchObject({ maxChildDepth: 2, maxChildTasks: 8 });
    expect(policies['unbounded']).toMatchObject({ maxChildDepth: null, maxChildTasks: null });
    const pipeline = await compile([fixture('aliases/snake')]);
    expect(pipeline.plan?.governance.policies[0]).toMatchObject({ maxChildDepth: null, maxChildTasks: null });
  });
});

describe('cycles', () => {
  it('Orloj swarm-loop blueprint: its Task bounds the cycle; retry and message_retry reach the plan', async () => {
    const dir = `${ORLOJ_CORPUS}/examples/blueprints/swarm-loop`;
    const { plan, diagnostics } = await compile([dir, `${ORLOJ_CORPUS}/examples/resources/model-endpoints`]);
    // Its Task's jitter is accepted, not enforced: backoff is exact.
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['ACCEPTED_NOT_ENFORCED', ['spec', 'message_retry', 'jitter']]]);
    expect(plan?.task?.name).toBe('bp-swarm-loop-task');
    expect(plan?.maxTurns).toBe(4);
    expect(plan?.entryAgents).toEqual(['bp-swarm-coordinator-agent']);
    expect(plan?.retry).toEqual({ maxAttempts: 2, backoffMs: 2000 });
    expect(plan?.messageRetry).toEqual({ maxAttempts: 2, backoffMs: 250, maxBackoffMs: 2000, jitter: 'full', nonRetryable: [] });
    expect(plan?.graph['bp-swarm-scout-alpha-agent']?.edges).toEqual([{ to: 'bp-swarm-coordinator-agent', condition: null, labels: {}, foreach: null }]);
  });

  it('the same system without its Task: UNBOUNDED_CYCLE at the `to` of the edge that closes the cycle', async () => {
    const dir = `${ORLOJ_CORPUS}/examples/blueprints/swarm-loop`;
    const { plan, diagnostics } = await compile([`${dir}/agent-system.yaml`, `${dir}/agents`, `${ORLOJ_CORPUS}/examples/resources/model-endpoints`]);
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    // coordinator -> scout-alpha -> coordinator, closed by scout-alpha's edge.
    const found = expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file: `${dir}/agent-system.yaml`, line: 23, column: 15 });
    expect(found.path).toEqual(['spec', 'graph', 'bp-swarm-scout-alpha-agent', 'edges', 0, 'to']);
  });

  it('a conditional exit beside an unconditional loop-back does not bound the cycle', async () => {
    const { plan, diagnostics } = await compile([fixture('cycle-exits')], { system: 'exit-outside-cycle' });
    expect(plan).toBeNull();
    const found = expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file: fixture('cycle-exits/bundle.yaml'), line: 45, column: 15 });
    expect(found.path).toEqual(['spec', 'graph', 'reviewer', 'edges', 1, 'to']);
  });

  it('a default edge with no other conditional edge always fires, so it does not bound the cycle', async () => {
    const { diagnostics } = await validate([fixture('cycle-exits')]);
    // exit-outside-cycle is bounded by its Task's max_turns; default-only-loop by nothing.
    expect(codesOf(diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file: fixture('cycle-exits/bundle.yaml'), line: 58, column: 15 });
  });

  it('the selected Task\'s max_turns bounds the same cycle', async () => {
    const { diagnostics } = await compile([fixture('cycle-exits')], { task: 'bounded-review' });
    // Only the other system of the file (checked too, bounded by no Task) is reported.
    expect(codesOf(diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file: fixture('cycle-exits/bundle.yaml'), line: 58, column: 15 });
  });

  it('a conditional edge inside the cycle bounds it', async () => {
    const { plan, diagnostics } = await compile([fixture('conditional-loop')]);
    expect(diagnostics).toEqual([]);
    expect(plan?.maxTurns).toBe(0);
  });
});

describe('joins', () => {
  it('quorum with neither quorum_count nor quorum_percent: a warning at the mode; it compiles as written', async () => {
    const { plan, diagnostics } = await compile([fixture('join-quorum')]);
    expect(codesOf(diagnostics)).toEqual(['QUORUM_WITHOUT_THRESHOLD']);
    const found = expectDiagnostic(diagnostics, { code: 'QUORUM_WITHOUT_THRESHOLD', file: fixture('join-quorum/system.yaml'), line: 43, column: 15 });
    expect(found.severity).toBe('warning');
    expect(plan?.graph['merge']?.join).toEqual({ mode: 'quorum', quorumCount: 0, quorumPercent: 0, onFailure: 'skip' });
  });

  it('a negative quorum_count and a quorum_percent over 100: INVALID_VALUE at each value', async () => {
    const { diagnostics } = await validate([fixture('join-invalid')]);
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE', 'INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('join-invalid/system.yaml'), line: 16, column: 23 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('join-invalid/system.yaml'), line: 17, column: 25 });
  });
});
