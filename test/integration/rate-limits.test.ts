/**
 * ModelEndpoint `rate_limit` on a real server: the endpoint's calls go to a task queue of
 * their own, which the server dispatches no faster than the limit, whichever workers poll it.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchWorker, workflowBundle } from '../../worker/index.ts';
import { compile } from '../../compiler/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, writeOverride } from '../helpers/scenario-overrides.ts';
import { waitFor } from '../helpers/processes.ts';

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
  const plan = await compileOk([fanOutSystem(rateLimit)]);
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

describe('a rate-limited queue nobody serves any more', () => {
  it('is served again by the worker that takes over the run', async () => {
    const { plan } = await compile([
      writeOverride([
        { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'limited' }, spec: { provider: 'mock', rate_limit: { requests_per_second: 2 } } },
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'caller' }, spec: { model_ref: 'limited', prompt: 'call' } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'orphaned' }, spec: { agents: ['caller'] } },
      ]),
    ]);
    const taskQueue = `test-takeover-${randomUUID()}`;
    // A worker that runs the workflow but never serves model queues, as if it died right after
    // scheduling the call: the call sits in a queue no worker polls.
    const connection = await NativeConnection.connect({ address: harness.address });
    const first = await Worker.create({ connection, taskQueue, workflowBundle: await workflowBundle(), activities: {} });
    const firstRunning = first.run();
    const run = await harness.client.start(plan!, { taskQueue });
    await waitFor(async () => activitiesOf(await run.handle.fetchHistory()).some((c) => c.type === 'callModel'), 10_000, 'the model call to be scheduled');
    first.shutdown();
    await firstRunning;
    await connection.close();

    const second = await createOrchWorker({ address: harness.address, taskQueue });
    const secondRunning = second.run();
    try {
      const outcome = await run.result();
      expect(outcome.status).toBe('succeeded');
      const [call] = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel');
      expect(call).toMatchObject({ taskQueue: `${taskQueue}/model/default/limited`, completed: true });
    } finally {
      second.shutdown();
      await secondRunning;
    }
  }, 60_000);
});
