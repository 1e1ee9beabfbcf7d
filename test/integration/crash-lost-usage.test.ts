/**
 * Tokens of a model call whose answer was lost in a crash are charged. The worker reaches
 * Temporal through a proxy that, once the provider has answered, lets only a few KiB more
 * through: the attempt's heartbeat gets to the server, its (far larger) completion never does.
 * The worker is then killed with SIGKILL; the retry on a second worker must report the lost
 * attempt's tokens, and the ledger must hold both attempts', exactly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { activitiesOf } from '../helpers/history.ts';
import { agent, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';
import { startOpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';

installQuietRuntime();

/** A TCP proxy to `upstream` whose client-to-server direction can be cut down to `budget` more bytes. */
async function gatedProxy(upstream: string): Promise<{ address: string; limit(budget: number): void; close(): Promise<void> }> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  let budget = Infinity;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const server = connect(port, host);
    sockets.add(client).add(server);
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const allowed = Math.min(chunk.length, budget);
      budget -= allowed;
      // What is over the budget is held back for good: the server never sees it.
      if (allowed > 0) server.write(chunk.subarray(0, allowed));
    });
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', close).on('error', close);
    server.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    limit: (bytes) => {
      budget = bytes;
    },
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('tokens lost in a crash', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('charges the tokens of an answer whose attempt died before completing, and the retry’s, exactly', async () => {
    const proxy = await gatedProxy(temporalAddress());
    cleanups.push(() => proxy.close());
    // The first answer is ~240 KB of incompressible text: its completion cannot pass 16 KiB.
    const lostText = randomBytes(180_000).toString('base64');
    let answers = 0;
    const model = await startOpenAICompatibleServer({
      respond: () => {
        answers++;
        if (answers > 1) return { text: 'done', usage: { promptTokens: 1_300, completionTokens: 7 } };
        proxy.limit(16 * 1024);
        return { text: lostText, usage: { promptTokens: 1_200, completionTokens: 345 } };
      },
    });
    cleanups.push(() => model.close());

    const taskQueue = `lost-usage-${randomUUID()}`;
    const first = await startWorkerProcess(taskQueue, { TEMPORAL_ADDRESS: proxy.address });
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    cleanups.push(() => client.client.connection.close());
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'remote' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'remote-1' };
    const plan = planOf([agent('solo', { model: 'default/remote' })], [], { models: { 'default/remote': endpoint } });
    const run = await client.start(plan);

    // The provider answered the first attempt; give its heartbeat a moment, then kill the worker.
    const deadline = Date.now() + 30_000;
    while (answers === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answers).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    first.kill('SIGKILL');

    const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const outcome = await second.runUntil(run.result());
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe('done');
    expect(answers).toBe(2);
    // One call, in its second attempt: the first attempt's completion never reached the server.
    const calls = activitiesOf(await run.handle.fetchHistory()).filter((call) => call.type === 'callModel');
    expect(calls.map((call) => call.attempt)).toEqual([2]);
    expect(outcome.usage.total).toEqual({
      inputTokens: 2_500,
      outputTokens: 352,
      totalTokens: 2_852,
      modelCalls: 1,
      toolCalls: 0,
      toolErrors: 0,
      costUsd: 0,
    });
  }, 90_000);
});
