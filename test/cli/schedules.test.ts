/**
 * `orch schedules apply|list|trigger|delete` against the shared test dev server, with a worker
 * on the test's own task queue; bad manifests and unknown names fail with one clear line and a
 * non-zero exit, never a stack trace.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { diagnosticHeads, fakeCli, singleJson, STACK_FRAME, writeFixtures, type FakeCli } from './cli-harness.ts';

const NAMESPACE = `cli-sched-${randomUUID().slice(0, 8)}`;

function manifests(cron: string, zone = 'UTC', latency?: string): string {
  const mock = latency ? `, mock: {responses: {writer: [{text: done, latency: ${latency}}]}}` : '';
  return `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: m, namespace: ${NAMESPACE}}
spec: {provider: mock${mock}}
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: {name: writer, namespace: ${NAMESPACE}}
spec: {model_ref: m, prompt: write}
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: {name: digest, namespace: ${NAMESPACE}}
spec: {agents: [writer]}
---
apiVersion: orloj.dev/v1
kind: Task
metadata: {name: digest-template, namespace: ${NAMESPACE}}
spec: {mode: template, system: digest}
---
apiVersion: orloj.dev/v1
kind: TaskSchedule
metadata: {name: weekly, namespace: ${NAMESPACE}}
spec:
  task_ref: digest-template
  schedule: "${cron}"
  time_zone: ${zone}
`;
}

let cli: FakeCli;
let worker: Worker;
let workerRunning: Promise<void>;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  installQuietRuntime();
  cli = fakeCli();
  worker = await createOrchWorker({ address: temporalAddress(), taskQueue: cli.taskQueue });
  workerRunning = worker.run();
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
});
afterAll(async () => {
  await cli?.run(['schedules', 'delete', `${NAMESPACE}/weekly`]);
  worker?.shutdown();
  await workerRunning;
  await connection?.close();
});

describe('orch schedules', () => {
  it('apply, re-apply, list, trigger, delete', async () => {
    const dir = writeFixtures({ 'all.yaml': manifests('0 9 * * MON') });
    const created = await cli.run(['schedules', 'apply', dir]);
    expect(created).toMatchObject({ code: 0, stdout: `${NAMESPACE}/weekly: created\n` });
    const again = await cli.run(['schedules', 'apply', dir, '--json']);
    expect(again.code).toBe(0);
    expect(singleJson(again.stdout)).toEqual([{ key: `${NAMESPACE}/weekly`, result: 'unchanged' }]);

    // The list reads the visibility store, which may lag the create by a moment.
    let listed: Array<{ key: string; cron: string; timeZone: string; paused: boolean }> = [];
    for (let i = 0; i < 50 && !listed.some((s) => s.key === `${NAMESPACE}/weekly`); i++) {
      const list = await cli.run(['schedules', 'list', '--json']);
      expect(list.code).toBe(0);
      listed = singleJson(list.stdout);
      await new Promise((done) => setTimeout(done, 200));
    }
    expect(listed.find((s) => s.key === `${NAMESPACE}/weekly`)).toMatchObject({ cron: '0 9 * * MON', timeZone: 'UTC', paused: false });
    const table = await cli.run(['schedules', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${NAMESPACE}/weekly +0 9 \\* \\* MON +UTC +forbid +active +0 +\\S+`, 'm'));

    const triggered = await cli.run(['schedules', 'trigger', 'weekly', '--json']);
    expect(triggered.code).toBe(0);
    const { workflowId } = singleJson(triggered.stdout);
    expect(workflowId).toMatch(new RegExp(`^${NAMESPACE}/weekly-`));
    await client.workflow.getHandle(workflowId).result();

    const deleted = await cli.run(['schedules', 'delete', `${NAMESPACE}/weekly`]);
    expect(deleted).toMatchObject({ code: 0, stdout: `${NAMESPACE}/weekly: deleted\n` });
    const gone = await cli.run(['schedules', 'delete', `${NAMESPACE}/weekly`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`orch: no TaskSchedule "${NAMESPACE}/weekly" is applied in this Temporal namespace\n`);
  });

  it('a schedule whose Task has requirements no worker serves: applied, with a warning naming the queue', async () => {
    const text = manifests('0 9 * * MON').replace('name: weekly', 'name: gpu-weekly').replace('spec: {mode: template, system: digest}', 'spec: {mode: template, system: digest, requirements: {gpu: true}}');
    const dir = writeFixtures({ 'all.yaml': text });
    const applied = await cli.run(['schedules', 'apply', dir, '--json']);
    const queue = `${cli.taskQueue}/route/gpu=true`;
    expect(applied.code).toBe(0);
    expect(singleJson(applied.stdout)).toEqual([{ key: `${NAMESPACE}/gpu-weekly`, result: 'created', unservedTaskQueue: queue }]);
    expect(applied.stderr).toContain(`warning: ${NAMESPACE}/gpu-weekly: no worker polls "${queue}"`);
    expect((await cli.run(['schedules', 'delete', `${NAMESPACE}/gpu-weekly`])).code).toBe(0);
  });

  it('trigger under forbid while a run is going: "skipped", exit 1', async () => {
    const dir = writeFixtures({ 'all.yaml': manifests('0 9 * * MON', 'UTC', '60s').replace('name: weekly', 'name: slow') });
    expect((await cli.run(['schedules', 'apply', dir])).code).toBe(0);
    const first = await cli.run(['schedules', 'trigger', `${NAMESPACE}/slow`]);
    expect(first.code).toBe(0);
    const running = /started (\S+)/.exec(first.stdout)![1]!;
    const second = await cli.run(['schedules', 'trigger', `${NAMESPACE}/slow`]);
    expect(second).toMatchObject({ code: 1, stdout: `${NAMESPACE}/slow: skipped (concurrency_policy: a run is still going)\n` });
    await client.workflow.getHandle(running).terminate('test cleanup');
    expect((await cli.run(['schedules', 'delete', `${NAMESPACE}/slow`])).code).toBe(0);
  });

  it('a bad cron and time zone: located diagnostics, exit 1, nothing applied', async () => {
    const dir = writeFixtures({ 'all.yaml': manifests('0 9 * * 1 2026', 'Moon/Base') });
    const result = await cli.run(['schedules', 'apply', dir]);
    expect(result.code).toBe(1);
    // `  schedule: "` is 13 characters; the sixth field starts 10 characters into the value.
    expect(diagnosticHeads(result.stderr)).toEqual([`${dir}/all.yaml:26:24: error INVALID_CRON`, `${dir}/all.yaml:27:14: error UNKNOWN_TIME_ZONE`]);
    expect(result.stderr).toMatch(/no schedule was applied/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('manifests without a TaskSchedule, a missing path, unknown names: clear errors', async () => {
    const none = writeFixtures({ 'all.yaml': manifests('0 9 * * 1').split('---\n').slice(0, 4).join('---\n') });
    expect(await cli.run(['schedules', 'apply', none])).toMatchObject({ code: 1, stderr: 'orch: no TaskSchedule in the given manifests\n' });
    const missing = await cli.run(['schedules', 'apply', `${none}/nope.yaml`]);
    expect(missing.code).toBe(1);
    expect(diagnosticHeads(missing.stderr).length + (missing.stderr.match(/FILE_NOT_FOUND/g)?.length ?? 0)).toBeGreaterThan(0);
    const unknown = await cli.run(['schedules', 'trigger', 'no-such-schedule']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'orch: no TaskSchedule "no-such-schedule" is applied in this Temporal namespace\n' });
    expect((await cli.run(['schedules', 'apply'])).code).toBe(2);
    expect((await cli.run(['schedules', 'bogus'])).code).toBe(2);
  });

  it('an unreachable cluster: one line naming the address, exit 1', async () => {
    const offline = fakeCli({ env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    const result = await offline.run(['schedules', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^orch: cannot reach Temporal at 127\.0\.0\.1:1/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
