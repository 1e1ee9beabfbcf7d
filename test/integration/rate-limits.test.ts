/**
 * ModelEndpoint `rate_limit` on a real server: the endpoint's calls go to a task queue of
 * their own, which the server dispatches no faster than the limit, whichever workers poll it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { writeOverride } from '../helpers/scenario-overrides.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness?.stop());

const CALLS = 20;
const PER_SECOND = 5;

function fanOutSystem(rateLimit: object | undefined) {
  const items = Array.from({ length: CALLS }, (_, i) => `item-${i}`);
  return writeOverride([
    {
      apiVersion: 'orch/v1',
      kind: 'ModelEndpoint',
      metadata: { name: 'planner-model' },
      spec: { provider: 'mock', mock: { responses: { splitter: [{ text: JSON.stringify({ items }) }] } } },
    },
    { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'limited' }, spec: { provider: 'mock', ...(rateLimit ? { rate_limit: rateLimit } : {}) } },
    {
      apiVersion: 'orch/v1',
      kind: 'Agent',
      metadata: { name: 'splitter' },
      spec: {
        model_ref: 'planner-model',
        prompt: 'split',
        execution: { output_schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } }, required: ['items'] } },
      },
    },
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'caller' }, spec: { model_ref: 'limited', prompt: 'call' } },
    {
      apiVersion: 'orch/v1',
      kind: 'AgentSystem',
      metadata: { name: 'rate-limited' },
      spec: { agents: ['splitter', 'caller'], graph: { splitter: { edges: [{ to: 'caller', foreach: '$.items' }] } } },
    },
  ]);
}

async function runCalls(rateLimit?: object) {
  const { plan, diagnostics } = await compile([fanOutSystem(rateLimit)]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const run = await harness.client.start(plan!);
  const outcome = await run.result();
  expect(outcome.status).toBe('succeeded');
  const calls = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel' && c.summary?.startsWith('caller'));
  expect(calls).toHaveLength(CALLS);
  const starts = calls.map((c) => c.startedAt!).sort((a, b) => a - b);
  return { calls, spreadMs: starts[starts.length - 1]! - starts[0]! };
}

describe('model endpoint rate limits', () => {
  it(`${CALLS} calls against an endpoint limited to ${PER_SECOND}/s are dispatched no faster than the limit`, async () => {
    const { calls, spreadMs } = await runCalls({ requests_per_second: PER_SECOND });
    expect(new Set(calls.map((c) => c.taskQueue))).toEqual(new Set([`${harness.taskQueue}/model/default/limited`]));
    // The server's limiter lets a burst of up to one second's worth through at once; every
    // call after that waits its turn, so the last starts at least (20 − 5) / 5 = 3 s after the first.
    expect(spreadMs).toBeGreaterThanOrEqual(((CALLS - PER_SECOND) / PER_SECOND) * 1000 - 100);
    console.log(`rate limit: ${CALLS} calls at ${PER_SECOND}/s spread over ${spreadMs} ms`);
  });

  it('an endpoint without a limit shares the run task queue', async () => {
    const { calls } = await runCalls();
    expect(new Set(calls.map((c) => c.taskQueue))).toEqual(new Set([harness.taskQueue]));
  });
});
