/**
 * Integration harness: an in-process orch worker on its own task queue against the shared
 * dev server, and a client for it. Each test file gets a fresh queue so files run in parallel.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { startRecordingServer, type RecordingServer } from './http-server.ts';
import { OrchClient } from '../../client/orch-client.ts';
import { createOrchWorker, type OrchWorkerOptions } from '../../worker/index.ts';
import { temporalAddress } from './temporal.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';

export interface Harness {
  address: string;
  taskQueue: string;
  client: OrchClient;
  worker: Worker;
  stop(): Promise<void>;
}

export async function startHarness(options: Omit<OrchWorkerOptions, 'address' | 'taskQueue'> = {}): Promise<Harness> {
  installQuietRuntime();
  const address = temporalAddress();
  const taskQueue = `test-${randomUUID()}`;
  const worker = await createOrchWorker({ ...options, address, taskQueue });
  const running = worker.run();
  const client = await OrchClient.connect({ address, taskQueue });
  return {
    address,
    taskQueue,
    client,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await client.client.connection.close();
    },
  };
}

/**
 * For a test file: a harness whose worker may call loopback tools, and a stub HTTP tool
 * server counting calls; both started before the file's tests and stopped after them.
 */
export function harnessWithStub(): { readonly harness: Harness; readonly stub: RecordingServer } {
  const parts = {} as { harness: Harness; stub: RecordingServer };
  beforeAll(async () => {
    parts.harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
    parts.stub = await startRecordingServer();
  });
  afterAll(async () => {
    await parts.harness?.stop();
    await parts.stub?.close();
  });
  return parts;
}
