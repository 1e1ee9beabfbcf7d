/**
 * `workflowsInThisThread` (what `orch run`'s own worker uses): workflow code runs on the worker's
 * thread, and Temporal's deadlock detector still stops a workflow task that does not end. The
 * detector's limit is an option the SDK reads but does not declare, so this test is what notices
 * an SDK that stops reading it.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { agent, planOf } from '../helpers/plan-builder.ts';
import { temporalAddress } from '../helpers/temporal.ts';

installQuietRuntime();

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: temporalAddress() });
});
afterAll(async () => {
  await connection?.close();
});

describe('workflows in the worker\'s own thread', () => {
  it('runs an orch pipeline to completion', async () => {
    const taskQueue = `in-thread-${randomUUID()}`;
    const worker = await createOrchWorker({ address: temporalAddress(), taskQueue, workflowsInThisThread: true });
    expect(worker.options.debugMode).toBe(true);
    expect(worker.options.isolateExecutionTimeoutMs).toBe(5_000);
    const running = worker.run();
    try {
      const client = new OrchClient({ client: new Client({ connection }), taskQueue });
      const plan = planOf([agent('drafter'), agent('reviewer')], [['drafter', 'reviewer']]);
      const outcome = await (await client.start(plan, { taskQueue })).result();
      expect(outcome.status).toBe('succeeded');
      expect(Object.keys(outcome.usage.byAgent).sort()).toEqual(['drafter', 'reviewer']);
    } finally {
      worker.shutdown();
      await running;
    }
  });

  it('still stops a workflow task that never ends (the deadlock detector)', async () => {
    const taskQueue = `in-thread-spin-${randomUUID()}`;
    const worker = await createOrchWorker({
      address: temporalAddress(),
      taskQueue,
      workflowsInThisThread: true,
      workerOptions: { workflowsPath: fileURLToPath(new URL('../fixtures/workflows/spinning-workflow.ts', import.meta.url)) },
    });
    const running = worker.run();
    const client = new Client({ connection });
    const handle = await client.workflow.start('spinForever', { taskQueue, workflowId: `spin-${randomUUID()}` });
    try {
      let failed: string | undefined;
      for (let i = 0; i < 60 && failed === undefined; i++) {
        const { events } = await handle.fetchHistory();
        failed = events?.find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
        if (failed === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // "Script execution timed out after 5000ms": the limit the SDK applies in a worker thread too.
      expect(failed).toMatch(/timed out after 5000ms|deadlock/i);
    } finally {
      await handle.terminate('test over');
      worker.shutdown();
      await running;
    }
  }, 60_000);
});
