/**
 * Orloj semantics orch enforces in the workflow, on the real dev server: `short_circuit` for
 * identical successful tool calls (a stub HTTP tool counts what reaches it), and a sub-second
 * `limits.timeout` that really fires.
 */
import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf } from '../helpers/history.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

const EventType = temporal.api.enums.v1.EventType;
type EventType = temporal.api.enums.v1.EventType;
const parts = harnessWithStub();
const ns = 'fidelity';

function agent(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name, namespace: ns }, spec: { model_ref: 'model', ...spec } };
}

function system(name: string, agents: string[]): object {
  return { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name, namespace: ns }, spec: { agents } };
}

async function planOf(resources: object[]): Promise<Plan> {
  return compileOk([writeOverride(resources)]);
}

const requestsTo = (path: string) => parts.stub.requests.filter((r) => r.path === path);

describe('duplicate_tool_call_policy: short_circuit', () => {
  it('an identical successful call, later or in the same turn, gets the recorded result; other arguments call again', async () => {
    const plan = await planOf([
      mockEndpoint(ns, 'model', {
        repeater: [
          // Two identical calls in one turn (keys in another order: the same canonical arguments).
          { tool_calls: [{ tool: 'lookup', input: { q: 'a', page: 1 } }, { tool: 'lookup', input: { page: 1, q: 'a' } }] },
          // The same again a turn later, then other arguments.
          { tool_calls: [{ tool: 'lookup', input: { q: 'a', page: 1 } }, { tool: 'lookup', input: { q: 'b', page: 1 } }] },
          { text: 'done' },
        ],
      }),
      httpTool(ns, 'lookup', `${parts.stub.url}/dup/lookup`),
      agent('repeater', { tools: ['lookup'], limits: { max_steps: 5 } }),
      system('dup-system', ['repeater']),
    ]);
    const run = await parts.harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/dup/lookup').map((r) => r.json)).toEqual([
      { q: 'a', page: 1 },
      { q: 'b', page: 1 },
    ]);
    expect(outcome.usage.total.toolCalls).toBe(2);
    const history = activitiesOf(await run.handle.fetchHistory());
    expect(history.filter((c) => c.type === 'callTool')).toHaveLength(2);
    // Every repeat was answered, with the first call's result, under its own call id.
    const lastModelInput = history.filter((c) => c.type === 'callModel').at(-1)!.input.messages as { role: string; toolCallId?: string; output?: unknown; isError?: boolean }[];
    const results = lastModelInput.filter((m) => m.role === 'tool');
    expect(results).toHaveLength(4);
    expect(new Set(results.map((m) => m.toolCallId)).size).toBe(4);
    for (const result of results) expect(result.isError).toBe(false);
    expect(results[1]!.output).toEqual(results[0]!.output);
    expect(results[2]!.output).toEqual(results[0]!.output);
    expect(results[3]!.output).not.toEqual(results[0]!.output);
  });

  it('a call that failed is not recorded: the identical call runs again', async () => {
    parts.stub.enqueue({ status: 422, body: { error: 'no' } });
    const plan = await planOf([
      mockEndpoint(ns, 'model', {
        retrier: [{ tool_calls: [{ tool: 'flaky', input: { q: 'x' } }] }, { tool_calls: [{ tool: 'flaky', input: { q: 'x' } }] }, { text: 'done' }],
      }),
      httpTool(ns, 'flaky', `${parts.stub.url}/dup/flaky`),
      agent('retrier', { tools: ['flaky'], limits: { max_steps: 5 } }),
      system('flaky-system', ['retrier']),
    ]);
    const outcome = await (await parts.harness.client.start(plan)).result();
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/dup/flaky')).toHaveLength(2);
  });
});

describe('a sub-second limits.timeout', () => {
  it('300ms fires within about a second, as AGENT_TIMEOUT', async () => {
    const plan = await planOf([
      mockEndpoint(ns, 'model', { sleeper: [{ text: 'too late', latency: '20s' }] }),
      agent('sleeper', { limits: { timeout: '300ms' } }),
      system('timeout-system', ['sleeper']),
    ]);
    expect(plan.agents['sleeper']!.timeoutMs).toBe(300);
    const run = await parts.harness.client.start(plan);
    const started = Date.now();
    const outcome = await run.result();
    const elapsed = Date.now() - started;
    expect(outcome.status).toBe('failed');
    expect(outcome.failure?.type).toBe('AGENT_TIMEOUT');
    // The workflow timer fires: the dev server's timer queue runs up to ~1 s late (measured:
    // 550-760 ms for this 300 ms timer), never on the 20 s model call it cuts short.
    const events = (await run.handle.fetchHistory()).events ?? [];
    const time = (type: EventType) => {
      const t = events.find((e) => e.eventType === type)?.eventTime;
      return Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    };
    const timerMs = time(EventType.EVENT_TYPE_TIMER_FIRED) - time(EventType.EVENT_TYPE_TIMER_STARTED);
    expect(timerMs).toBeGreaterThanOrEqual(300);
    expect(timerMs).toBeLessThan(1_100);
    expect(elapsed).toBeLessThan(2_000);
  });
});
