/**
 * Durability on a real server: a worker process killed with SIGKILL in the middle of a model
 * call is replaced by another, the run completes, the completed call is not repeated and the
 * ledger is exact. Then the run's history replays against the current workflow code.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { compile } from '../../compiler/index.ts';
import { createOrchWorker, orchPlugin, workflowBundle } from '../../worker/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { pollFor, startWorkerProcess } from '../helpers/worker-process.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';

installQuietRuntime();
const SLOW_CALL_MS = 6_000;

function manifests(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-crash-'));
  writeFileSync(
    join(dir, 'system.yaml'),
    [
      `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: scripted\nspec:\n  provider: mock\n  mock:\n    responses:\n      drafter:\n        - text: first draft\n          usage: {input_tokens: 40, output_tokens: 2}\n      reviewer:\n        - text: reviewed draft\n          latency: ${SLOW_CALL_MS}ms\n          usage: {input_tokens: 60, output_tokens: 3}\n`,
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: drafter\nspec:\n  model_ref: scripted\n  prompt: draft\n`,
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: reviewer\nspec:\n  model_ref: scripted\n  prompt: review\n`,
      `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: crash-pipeline\nspec:\n  agents: [drafter, reviewer]\n  graph:\n    drafter:\n      next: reviewer\n`,
    ].join('---\n')
  );
  return dir;
}



describe('crash safety and replay', () => {
  it('survives SIGKILL of the worker during a model call without repeating completed calls', async () => {
    const taskQueue = `crash-${randomUUID()}`;
    const { plan } = await compile([manifests()]);
    const first = await startWorkerProcess(taskQueue);
    // Temporal's default worker identity.
    const firstIdentity = `${first.pid}@${hostname()}`;
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    try {
      const run = await client.start(plan!);
      // Wait until the reviewer's model call is running on the first worker, then kill it.
      await pollFor(async () => {
        const description = await run.handle.describe();
        const pending = description.raw.pendingActivities ?? [];
        const started = pending.some((a) => String(a.state) === 'PENDING_ACTIVITY_STATE_STARTED' || a.state === 2);
        const drafterDone = activitiesOf(await run.handle.fetchHistory()).some((a) => a.completed);
        return started && drafterDone ? true : undefined;
      }, 30_000);
      first.kill('SIGKILL');

      const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
      const outcome = await second.runUntil(run.result());
      expect(outcome.status).toBe('succeeded');
      expect(outcome.output).toBe('reviewed draft');

      const calls = activitiesOf(await run.handle.fetchHistory());
      expect(calls.map((c) => c.summary?.split(' ')[0])).toEqual(['drafter', 'reviewer']);
      // The drafter's finished call ran once, on the killed worker, and was never repeated;
      // the reviewer's call finished on the second worker.
      expect(calls[0]!.attempt).toBe(1);
      expect(calls[0]!.identity).toBe(firstIdentity);
      expect(calls[1]!.identity).not.toBe(firstIdentity);
      expect(outcome.usage.total).toEqual({ inputTokens: 100, outputTokens: 5, totalTokens: 105, modelCalls: 2, toolCalls: 0, toolErrors: 0, costUsd: 0 });

      // The same history replays deterministically against the current workflow code.
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await run.handle.fetchHistory());
    } finally {
      await client.client.connection.close();
    }
  }, 90_000);

  // One recorded run per pattern (test/fixtures/histories/record-history.ts), plus a run
  // recorded from an early plan format: the current workflow code must replay them all.
  const recordings = readdirSync('test/fixtures/histories').filter((file) => file.endsWith('.json'));

  it.each(recordings)('replays the recorded history %s', async (file) => {
    const recorded = historyFromJSON(JSON.parse(readFileSync(`test/fixtures/histories/${file}`, 'utf8')));
    // The recording's own workflow id: child workflow ids derive from it.
    const workflowId = `${file.replace(/(-early-plan)?\.json$/, '')}-recorded`;
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded, workflowId);
  });

  it.each(recordings)('replays %s through orchPlugin() alone (its configureReplayWorker brings the workflow code)', async (file) => {
    const recorded = historyFromJSON(JSON.parse(readFileSync(`test/fixtures/histories/${file}`, 'utf8')));
    const workflowId = `${file.replace(/(-early-plan)?\.json$/, '')}-recorded`;
    await Worker.runReplayHistory({ plugins: [orchPlugin()] }, recorded, workflowId);
  });

  it('catches a history that diverges from what the code schedules', async () => {
    expect(recordings.length).toBeGreaterThanOrEqual(6);
    const tampered = JSON.parse(readFileSync('test/fixtures/histories/research-pipeline.json', 'utf8'));
    const scheduled = tampered.events.find((e: any) => e.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'callTool';
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyFromJSON(tampered), 'tampered')).rejects.toThrow(
      /TMPRL1100|[Nn]ondeterminism/
    );
  });
});
