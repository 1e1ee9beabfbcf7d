/**
 * TaskSchedules as Temporal Schedules on the real dev server: apply creates one, re-applying
 * an unchanged manifest makes no update call (the schedule's lastUpdatedAt stays), a changed
 * plan or spec updates it, a trigger starts a run a worker completes, `forbid` skips a trigger
 * while a run is going, and delete removes it. Orloj's schedule manifests (12-schedule-live-flow,
 * weekly-intelligence-brief) run in test/integration/orloj-corpus-triggers.test.ts: their schedule
 * ids are global to the dev server, so one file applies them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSchedules } from '../../compiler/index.ts';
import type { ScheduleDefinition } from '../../contract/schedules.ts';
import { OrchPlanHash, OrchSystem, OrchTask } from '../../contract/search-attributes.ts';
import { applySchedule, deleteSchedule, describeSchedule, listSchedules, ScheduleNotFound, scheduleId, triggerSchedule } from '../../client/schedules.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { errorsOf } from '../compiler/helpers.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
const applied: string[] = [];
afterAll(async () => {
  for (const key of applied) await deleteSchedule(harness.client, key).catch(() => {});
  await harness?.stop();
});

const directories = new Map<string, string>();

/** A one-agent system, its Task template and a TaskSchedule, in a namespace of this test's own. */
function manifests(options: { namespace: string; cron?: string; zone?: string; policy?: string; topic?: string; latency?: string }): string {
  const { namespace } = options;
  // One directory per namespace, rewritten: the plan records where each agent was written.
  const dir = directories.get(namespace) ?? mkdtempSync(join(tmpdir(), 'orch-schedules-'));
  directories.set(namespace, dir);
  const latency = options.latency ? `\n          latency: ${options.latency}` : '';
  writeFileSync(
    join(dir, 'all.yaml'),
    `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: m, namespace: ${namespace}}
spec:
  provider: mock
  mock:
    responses:
      writer:
        - text: digest ready${latency}
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: {name: writer, namespace: ${namespace}}
spec: {model_ref: m, prompt: write the digest}
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: {name: digest, namespace: ${namespace}}
spec: {agents: [writer]}
---
apiVersion: orloj.dev/v1
kind: Task
metadata: {name: digest-template, namespace: ${namespace}}
spec:
  mode: template
  system: digest
  input: {topic: ${options.topic ?? 'risks'}}
---
apiVersion: orloj.dev/v1
kind: TaskSchedule
metadata: {name: nightly, namespace: ${namespace}}
spec:
  task_ref: digest-template
  schedule: "${options.cron ?? '0 3 * * *'}"
  time_zone: ${options.zone ?? 'Europe/Berlin'}
  starting_deadline_seconds: 120
  concurrency_policy: ${options.policy ?? 'forbid'}
`
  );
  return dir;
}

async function definitionOf(dir: string, overrides: string[] = []): Promise<ScheduleDefinition> {
  const { schedules, diagnostics } = await compileSchedules([dir], { overrides });
  expect(errorsOf(diagnostics)).toEqual([]);
  expect(schedules).toHaveLength(1);
  return schedules![0]!;
}

function freshNamespace(): string {
  return `sched-${randomUUID().slice(0, 8)}`;
}

async function applyOnce(definition: ScheduleDefinition) {
  applied.push(`${definition.namespace}/${definition.name}`);
  return applySchedule(harness.client, definition);
}

describe('apply', () => {
  it('creates the schedule from the manifest: cron, zone, overlap, catch-up window, the plan as the run input', async () => {
    const namespace = freshNamespace();
    const definition = await definitionOf(manifests({ namespace, cron: '*/15 9-17 * JAN,MAR MON-FRI' }));
    expect(await applyOnce(definition)).toBe('created');

    const described = await harness.client.client.schedule.getHandle(scheduleId(namespace, 'nightly')).describe();
    expect(described.spec.timezone).toBe('Europe/Berlin');
    expect(described.spec.calendars?.length).toBeGreaterThan(0);
    expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 120_000 });
    expect(described.state.paused).toBe(false);
    expect(described.action.workflowType).toBe('orchRun');
    expect(described.action.taskQueue).toBe(harness.taskQueue);
    const [input] = described.action.args as [{ plan: { hash: string }; searchAttributes: boolean }];
    expect(input.plan.hash).toBe(definition.plan.hash);
    expect(input.searchAttributes).toBe(true);
    const attributes = described.action.typedSearchAttributes as { get(key: unknown): unknown } | undefined;
    expect(attributes?.get(OrchSystem)).toBe('digest');
    expect(attributes?.get(OrchPlanHash)).toBe(definition.plan.hash);
    // Next runs: weekdays of January and March, 09:00–17:45 Berlin time, on the quarter hour.
    for (const next of described.info.nextActionTimes) {
      const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(next);
      const part = (type: string) => berlin.find((p) => p.type === type)!.value;
      expect(['Jan', 'Mar']).toContain(part('month'));
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(part('weekday'));
      expect(Number(part('hour'))).toBeGreaterThanOrEqual(9);
      expect(Number(part('hour'))).toBeLessThanOrEqual(17);
      expect(Number(part('minute')) % 15).toBe(0);
    }
  });

  it('re-applying an unchanged manifest makes no update call; a changed plan or spec does', async () => {
    const namespace = freshNamespace();
    const handle = harness.client.client.schedule.getHandle(scheduleId(namespace, 'nightly'));
    expect(await applyOnce(await definitionOf(manifests({ namespace })))).toBe('created');
    const created = await handle.describe();

    // Changed plan (the template's input): an update.
    const changedPlan = await definitionOf(manifests({ namespace, topic: 'outages' }));
    expect(await applySchedule(harness.client, changedPlan)).toBe('updated');
    const afterPlan = await handle.describe();
    expect(afterPlan.info.lastUpdatedAt).toBeDefined();
    expect((afterPlan.action.args as [{ plan: { hash: string } }])[0].plan.hash).toBe(changedPlan.plan.hash);
    expect(changedPlan.plan.hash).not.toBe((created.action.args as [{ plan: { hash: string } }])[0].plan.hash);

    // The same manifest again: nothing is sent, so the server's lastUpdatedAt does not move.
    expect(await applySchedule(harness.client, await definitionOf(manifests({ namespace, topic: 'outages' })))).toBe('unchanged');
    const again = await handle.describe();
    expect(again.info.lastUpdatedAt?.getTime()).toBe(afterPlan.info.lastUpdatedAt?.getTime());

    // Changed spec (policy and zone): an update, with the new overlap policy and zone.
    await new Promise((done) => setTimeout(done, 1100));
    expect(await applySchedule(harness.client, await definitionOf(manifests({ namespace, topic: 'outages', policy: 'replace', zone: 'America/Chicago' })))).toBe('updated');
    const afterSpec = await handle.describe();
    expect(afterSpec.policies.overlap).toBe('CANCEL_OTHER');
    expect(afterSpec.spec.timezone).toBe('America/Chicago');
    expect(afterSpec.info.lastUpdatedAt!.getTime()).toBeGreaterThan(afterPlan.info.lastUpdatedAt!.getTime());
  });

  it('applies racing to create one schedule (two deploys at once): one creates it, the others find it current', async () => {
    const namespace = freshNamespace();
    const definition = await definitionOf(manifests({ namespace }));
    const results = await Promise.all(Array.from({ length: 4 }, () => applyOnce(definition)));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    expect(results.filter((r) => r === 'unchanged')).toHaveLength(3);
    const described = await harness.client.client.schedule.getHandle(scheduleId(namespace, 'nightly')).describe();
    expect((described.action.args as [{ plan: { hash: string } }])[0].plan.hash).toBe(definition.plan.hash);
  });

  it('suspend pauses it; a schedule resumed by hand is paused again by the next apply', async () => {
    const namespace = freshNamespace();
    const dir = manifests({ namespace });
    const suspended = { ...(await definitionOf(dir)), suspend: true };
    expect(await applyOnce(suspended)).toBe('created');
    const handle = harness.client.client.schedule.getHandle(scheduleId(namespace, 'nightly'));
    expect((await handle.describe()).state.paused).toBe(true);
    await handle.unpause('by hand');
    expect(await applySchedule(harness.client, suspended)).toBe('updated');
    expect((await handle.describe()).state.paused).toBe(true);
    expect(await applySchedule(harness.client, suspended)).toBe('unchanged');
  });
});

describe('trigger, list, delete', () => {
  it('a trigger starts a run of the template that the worker completes, with orch search attributes', async () => {
    const namespace = freshNamespace();
    const definition = await definitionOf(manifests({ namespace }));
    await applyOnce(definition);
    const triggered = await triggerSchedule(harness.client, `${namespace}/nightly`);
    expect(triggered.skipped).toBe(false);
    expect(triggered.workflowId).toMatch(new RegExp(`^${namespace}/nightly-`));
    const run = harness.client.getRun(triggered.workflowId!);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe('digest ready');
    const attributes = (await run.handle.describe()).typedSearchAttributes;
    expect(attributes.get(OrchSystem)).toBe('digest');
    expect(attributes.get(OrchTask)).toBe('digest-template');
    expect(attributes.get(OrchPlanHash)).toBe(definition.plan.hash);

    const info = await describeSchedule(harness.client, `${namespace}/nightly`);
    expect(info).toMatchObject({ key: `${namespace}/nightly`, cron: '0 3 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'forbid', actionsTaken: 1, paused: false });
    expect(info.recentRuns).toEqual([triggered.workflowId]);
  });

  it('forbid: a trigger while a run is going is skipped; allow starts a second run', async () => {
    const namespace = freshNamespace();
    const slow = await definitionOf(manifests({ namespace, latency: '60s' }));
    await applyOnce(slow);
    const first = await triggerSchedule(harness.client, `${namespace}/nightly`);
    expect(first.workflowId).not.toBeNull();
    const second = await triggerSchedule(harness.client, `${namespace}/nightly`);
    expect(second).toEqual({ key: `${namespace}/nightly`, workflowId: null, skipped: true });
    const info = await describeSchedule(harness.client, `${namespace}/nightly`);
    expect(info.skippedOverlap).toBe(1);
    expect(info.runningRuns).toEqual([first.workflowId]);

    await applySchedule(harness.client, await definitionOf(manifests({ namespace, latency: '60s', policy: 'allow' })));
    // Temporal names a run by its schedule and the second it was taken: one second later, a new name.
    await new Promise((done) => setTimeout(done, 1100));
    const third = await triggerSchedule(harness.client, `${namespace}/nightly`);
    expect(third.skipped).toBe(false);
    expect(third.workflowId).not.toBe(first.workflowId);
    for (const id of [first.workflowId!, third.workflowId!]) await harness.client.client.workflow.getHandle(id).terminate('test cleanup');
  });

  it('replace: a trigger cancels the running run and starts the new one once it has closed', async () => {
    const namespace = freshNamespace();
    await applyOnce(await definitionOf(manifests({ namespace, latency: '60s', policy: 'replace' })));
    const first = await triggerSchedule(harness.client, `${namespace}/nightly`);
    await new Promise((done) => setTimeout(done, 1100));
    const second = await triggerSchedule(harness.client, `${namespace}/nightly`);
    expect(second.skipped).toBe(false);
    expect(second.workflowId).not.toBe(first.workflowId);
    // The replaced run was cancelled and closed through its own code (its model call cancelled).
    const replaced = await harness.client.getRun(first.workflowId!).result();
    expect(replaced.status).not.toBe('succeeded');
    expect(replaced.failure?.message).toMatch(/cancel/i);
    const info = await describeSchedule(harness.client, `${namespace}/nightly`);
    expect(info.runningRuns).toEqual([second.workflowId]);
    await harness.client.client.workflow.getHandle(second.workflowId!).terminate('test cleanup');
  });

  it('list shows applied schedules; delete removes one, and an unknown name is ScheduleNotFound', async () => {
    const namespace = freshNamespace();
    await applyOnce(await definitionOf(manifests({ namespace })));
    // The list comes from the visibility store, which may lag a create by a moment.
    let listed = await listSchedules(harness.client);
    for (let i = 0; i < 50 && !listed.some((s) => s.key === `${namespace}/nightly`); i++) {
      await new Promise((done) => setTimeout(done, 200));
      listed = await listSchedules(harness.client);
    }
    expect(listed.find((s) => s.key === `${namespace}/nightly`)).toMatchObject({ cron: '0 3 * * *', timeZone: 'Europe/Berlin', scheduleId: `orch/${namespace}/nightly` });

    expect(await deleteSchedule(harness.client, `${namespace}/nightly`)).toBe(`${namespace}/nightly`);
    await expect(harness.client.client.schedule.getHandle(scheduleId(namespace, 'nightly')).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(deleteSchedule(harness.client, `${namespace}/nightly`)).rejects.toBeInstanceOf(ScheduleNotFound);
    await expect(triggerSchedule(harness.client, 'no-such-schedule')).rejects.toThrow(/no TaskSchedule "no-such-schedule"/);
  });
});
