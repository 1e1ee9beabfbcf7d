/**
 * One orch worker in its own process, for the throughput benchmark: argv is the Temporal
 * address and the task queue. Prints `ready` once polling; drains and exits on SIGTERM.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createOrchWorker } from '../worker/index.ts';

const [address, taskQueue] = process.argv.slice(2);
if (!address || !taskQueue) throw new Error('usage: throughput-worker.ts ADDRESS TASK_QUEUE');
Runtime.install({ logger: new DefaultLogger('WARN') });
const worker = await createOrchWorker({ address, taskQueue });
await worker.runUntil(async () => {
  console.log('ready');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
});
