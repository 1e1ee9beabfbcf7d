/**
 * `orchPlugin()` on plain Temporal workers: one plugin object may configure several workers;
 * each gets its own runtime and model-queue workers, stopped with that worker only, and the
 * plugin never closes the connection it was given.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { orchPlugin, workflowBundle } from '../../worker/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { compileOk, writeOverride } from '../helpers/scenario-overrides.ts';
import { temporalAddress } from '../helpers/temporal.ts';

let connection: NativeConnection;
let client: OrchClient;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: temporalAddress() });
  client = new OrchClient({ client: new Client({ connection: await Connection.connect({ address: temporalAddress() }) }) });
});
afterAll(async () => {
  await client?.client.connection.close();
  await connection?.close();
});

/** One agent on a rate-limited mock endpoint: its call needs the worker's model-queue workers. */
function limitedSystem(name: string) {
  return writeOverride([
    { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'limited' }, spec: { provider: 'mock', rate_limit: { requests_per_second: 50 } } },
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'caller' }, spec: { model_ref: 'limited', prompt: 'call' } },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name }, spec: { agents: ['caller'] } },
  ]);
}

async function runOn(taskQueue: string, name: string) {
  const plan = await compileOk([limitedSystem(name)]);
  const run = await client.start(plan!, { taskQueue });
  // Bounded: a call nobody serves would otherwise wait forever.
  const outcome = await Promise.race([
    run.result(),
    new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${name}: no result within 20 s (is its model queue served?)`)), 20_000)),
  ]);
  return { outcome, calls: activitiesOf(await run.handle.fetchHistory()).filter((call) => call.type === 'callModel') };
}

describe('orchPlugin on plain workers', () => {
  it('one plugin, two workers: stopping the first leaves the second serving its model queues; the shared connection stays open', async () => {
    const plugin = orchPlugin();
    const queueA = `plugin-a-${randomUUID()}`;
    const queueB = `plugin-b-${randomUUID()}`;
    const workerA = await Worker.create({ connection, taskQueue: queueA, plugins: [plugin] });
    const workerB = await Worker.create({ connection, taskQueue: queueB, plugins: [plugin] });
    const runningA = workerA.run();
    const runningB = workerB.run();
    try {
      const first = await runOn(queueA, 'plugin-first');
      expect(first.outcome.status).toBe('succeeded');
      expect(first.calls[0]).toMatchObject({ taskQueue: `${queueA}/model/default/limited`, completed: true });

      workerA.shutdown();
      await runningA;

      // Worker B's own model-queue workers still serve its rate-limited calls.
      const second = await runOn(queueB, 'plugin-second');
      expect(second.outcome.status).toBe('succeeded');
      expect(second.calls[0]).toMatchObject({ taskQueue: `${queueB}/model/default/limited`, completed: true });
    } finally {
      if (workerB.getState() === 'RUNNING') workerB.shutdown();
      await runningB;
    }

    // Both workers are gone; the connection the plugin was given is still usable.
    const queueC = `plugin-c-${randomUUID()}`;
    const workerC = await Worker.create({ connection, taskQueue: queueC, plugins: [orchPlugin()] });
    const runningC = workerC.run();
    try {
      expect((await runOn(queueC, 'plugin-third')).outcome.status).toBe('succeeded');
    } finally {
      workerC.shutdown();
      await runningC;
    }
  }, 90_000);

  it('a worker that brings its own workflow code keeps it; one that brings none gets orch’s bundle', async () => {
    const plugin = orchPlugin();
    const own = await plugin.configureWorker!({ connection, taskQueue: 'own', workflowsPath: '/srv/my-workflows.js' });
    expect(own.workflowsPath).toBe('/srv/my-workflows.js');
    expect(own.workflowBundle).toBeUndefined();
    const none = await plugin.configureWorker!({ connection, taskQueue: 'none' });
    expect(none.workflowBundle).toEqual(await workflowBundle());
    expect(Object.keys(none.activities ?? {}).sort()).toEqual(['callMemory', 'callModel', 'callTool', 'listMcpTools']);
    const replay = await plugin.configureReplayWorker!({});
    expect(replay.workflowBundle).toEqual(await workflowBundle());
  });
});
