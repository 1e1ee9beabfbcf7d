/**
 * TaskSchedules as Temporal Schedules: one Temporal Schedule per TaskSchedule, whose action
 * starts an orch run of the Task template's Plan. Temporal keeps the clock, the overlap policy
 * and the catch-up window, so a scheduled run is started even while no orch process is up.
 *
 * `applySchedules` is idempotent: the plan hash and a digest of the schedule's spec ride in the
 * action's memo, and a schedule whose digest matches is left alone (no update call). They live
 * in the action rather than the schedule's own memo because Temporal sets that memo only at
 * creation; the action is replaced on every update, so it is always current.
 */
import { createHash } from 'node:crypto';
import { routedTaskQueue } from '../contract/routing.ts';
import { queuePollers } from './serving-workers.ts';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleHandle, type ScheduleOptionsStartWorkflowAction, type ScheduleUpdateOptions, type Workflow } from '@temporalio/client';
import { canonicalJson } from '../contract/canonical-json.ts';
import type { RunInput } from '../contract/run-io.ts';
import type { ScheduleConcurrencyPolicy, ScheduleDefinition } from '../contract/schedules.ts';
import { WORKFLOW_TYPES } from '../contract/wire-names.ts';
import { planDetails, planSummary, runSearchAttributes, type OrchClient } from './orch-client.ts';

/** Temporal Schedule ids orch owns start with this; the rest is `namespace/name`. */
export const SCHEDULE_ID_PREFIX = 'orch/';

/**
 * `forbid` skips a trigger while a run is going (Orloj's only policy); `allow` starts it anyway;
 * `replace` cancels the running one and starts the new one once it has ended, so the old run
 * closes through its own code (audit, usage) instead of being cut off mid-call by a terminate.
 */
export const OVERLAP_POLICIES: Record<ScheduleConcurrencyPolicy, ScheduleOverlapPolicy> = {
  forbid: ScheduleOverlapPolicy.SKIP,
  allow: ScheduleOverlapPolicy.ALLOW_ALL,
  replace: ScheduleOverlapPolicy.CANCEL_OTHER,
};

/** What orch writes in the action's memo (and so in every scheduled run's memo). */
interface ScheduleMemo {
  key: string;
  task: string;
  cron: string;
  timeZone: string;
  concurrencyPolicy: ScheduleConcurrencyPolicy;
  planHash: string;
  specDigest: string;
}
const MEMO_KEY = 'orchSchedule';

export type ApplyResult = 'created' | 'updated' | 'unchanged';

export interface ScheduleInfo {
  /** `namespace/name` of the TaskSchedule. */
  key: string;
  scheduleId: string;
  task: string | null;
  cron: string | null;
  timeZone: string | null;
  concurrencyPolicy: ScheduleConcurrencyPolicy | null;
  planHash: string | null;
  paused: boolean;
  nextRuns: string[];
  /** Workflow ids of the runs it started most recently, oldest first. */
  recentRuns: string[];
  runningRuns: string[];
  actionsTaken: number;
  skippedOverlap: number;
  createdAt: string;
  lastUpdatedAt: string | null;
}

export interface TriggerResult {
  key: string;
  /** The run the trigger started, or null when the overlap policy skipped it. */
  workflowId: string | null;
  skipped: boolean;
}

export function scheduleId(namespace: string, name: string): string {
  return `${SCHEDULE_ID_PREFIX}${namespace}/${name}`;
}

/** Everything of a definition the schedule is made from besides the plan, hashed. */
function specDigest(definition: ScheduleDefinition, taskQueue: string): string {
  const { plan: _plan, ...spec } = definition;
  return `sha256:${createHash('sha256').update(canonicalJson({ ...spec, taskQueue })).digest('hex')}`;
}

function memoOf(definition: ScheduleDefinition, taskQueue: string): ScheduleMemo {
  return {
    key: `${definition.namespace}/${definition.name}`,
    task: definition.task,
    cron: definition.cron,
    timeZone: definition.timeZone,
    concurrencyPolicy: definition.concurrencyPolicy,
    planHash: definition.plan.hash,
    specDigest: specDigest(definition, taskQueue),
  };
}

function actionOf(definition: ScheduleDefinition, taskQueue: string, withSearchAttributes: boolean): ScheduleOptionsStartWorkflowAction<Workflow> {
  const { plan } = definition;
  const input: RunInput = { plan, ...(withSearchAttributes ? { searchAttributes: true } : {}) };
  return {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPES.run,
    // Temporal appends the scheduled time, so every run's id is unique and names its schedule.
    workflowId: `${definition.namespace}/${definition.name}`,
    // A Task with requirements runs on its route's queue (contract/routing.ts); the server
    // starts scheduled runs, so they wait there for a matching worker rather than be refused.
    taskQueue: routedTaskQueue(taskQueue, plan.requirements),
    args: [input],
    memo: { [MEMO_KEY]: memoOf(definition, taskQueue) },
    staticSummary: planSummary(plan),
    staticDetails: planDetails(plan, routedTaskQueue(taskQueue, plan.requirements)),
    ...(withSearchAttributes ? { typedSearchAttributes: runSearchAttributes(plan) } : {}),
  };
}

function optionsOf(definition: ScheduleDefinition, taskQueue: string, withSearchAttributes: boolean): ScheduleUpdateOptions {
  return {
    spec: { cronExpressions: [definition.cron], timezone: definition.timeZone },
    action: actionOf(definition, taskQueue, withSearchAttributes),
    policies: {
      overlap: OVERLAP_POLICIES[definition.concurrencyPolicy],
      catchupWindow: definition.startingDeadlineSeconds * 1000,
      pauseOnFailure: false,
    },
    state: { paused: definition.suspend, ...(definition.suspend ? { note: 'suspended by its TaskSchedule (spec.suspend)' } : {}) },
  };
}

/** A cluster where nobody registered orch's search attributes still schedules orch, unsearchable. */
function isSearchAttributeError(error: unknown): boolean {
  const said = `${String((error as Error)?.message)} ${String((error as { cause?: Error })?.cause?.message)}`;
  return /search attribute/i.test(said);
}

async function withSearchAttributeFallback<T>(act: (withSearchAttributes: boolean) => Promise<T>): Promise<T> {
  try {
    return await act(true);
  } catch (error) {
    if (!isSearchAttributeError(error)) throw error;
    return act(false);
  }
}

async function describeOrNull(handle: ScheduleHandle): Promise<ScheduleDescription | null> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

function memoIn(description: ScheduleDescription): Partial<ScheduleMemo> {
  const memo = description.action.memo?.[MEMO_KEY];
  return memo && typeof memo === 'object' ? (memo as Partial<ScheduleMemo>) : {};
}

/** Creates or updates the Temporal Schedule of one TaskSchedule; an unchanged one is not touched. */
export async function applySchedule(orch: OrchClient, definition: ScheduleDefinition): Promise<ApplyResult> {
  const id = scheduleId(definition.namespace, definition.name);
  const handle = orch.client.schedule.getHandle(id);
  let current = await describeOrNull(handle);
  const taskQueue = orch.taskQueue;
  if (!current) {
    try {
      await withSearchAttributeFallback((withAttributes) =>
        orch.client.schedule.create({
          scheduleId: id,
          ...optionsOf(definition, taskQueue, withAttributes),
          memo: { orch: { key: `${definition.namespace}/${definition.name}` } },
        })
      );
      return 'created';
    } catch (error) {
      // Another apply created it between our describe and create (two deploys at once): it
      // exists now, so compare with it and update it like any existing schedule.
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      current = await describeOrNull(handle);
      if (!current) throw error;
    }
  }
  const digest = specDigest(definition, taskQueue);
  const isCurrent = (description: ScheduleDescription) => {
    const memo = memoIn(description);
    return memo.planHash === definition.plan.hash && memo.specDigest === digest;
  };
  if (isCurrent(current)) {
    // Someone paused or resumed it by hand: the manifest's `suspend` wins.
    if (current.state.paused === definition.suspend) return 'unchanged';
    await (definition.suspend ? handle.pause('suspended by its TaskSchedule (spec.suspend)') : handle.unpause('resumed by its TaskSchedule (spec.suspend: false)'));
    await settle(handle, (d) => d.state.paused === definition.suspend);
    return 'updated';
  }
  await withSearchAttributeFallback((withAttributes) => handle.update(() => optionsOf(definition, taskQueue, withAttributes)));
  await settle(handle, (d) => isCurrent(d) && d.state.paused === definition.suspend);
  return 'updated';
}

/**
 * Waits until a describe shows a change: the server applies an update to the schedule a moment
 * after accepting it, and a describe (or a trigger's policy) read before then is the old one.
 */
async function settle(handle: ScheduleHandle, done: (description: ScheduleDescription) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(await handle.describe())) {
    if (Date.now() > deadline) throw new Error(`Temporal accepted the change to schedule ${handle.scheduleId} but has not applied it after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface AppliedSchedule {
  key: string;
  result: ApplyResult;
  /**
   * Set when the schedule's runs have requirements and no worker polls their route right now:
   * the queue they will wait on. The server starts scheduled runs whoever listens, so this is a
   * warning, not a refusal: the fleet may come up before the first run is due.
   */
  unservedTaskQueue?: string;
}

/** Applies each definition in order; stops at the first that Temporal refuses. */
export async function applySchedules(orch: OrchClient, definitions: readonly ScheduleDefinition[]): Promise<AppliedSchedule[]> {
  const results: AppliedSchedule[] = [];
  for (const definition of definitions) {
    const applied: AppliedSchedule = { key: `${definition.namespace}/${definition.name}`, result: await applySchedule(orch, definition) };
    if (definition.plan.requirements) {
      const queue = routedTaskQueue(orch.taskQueue, definition.plan.requirements);
      if ((await queuePollers(orch.client, queue)).length === 0) applied.unservedTaskQueue = queue;
    }
    results.push(applied);
  }
  return results;
}

export class ScheduleNotFound extends Error {
  readonly ref: string;
  constructor(ref: string) {
    super(`no TaskSchedule "${ref}" is applied in this Temporal namespace`);
    this.ref = ref;
  }
}

/** orch's Temporal Schedule ids, from the visibility store (which may lag a fresh create by a moment). */
async function listIds(orch: OrchClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const summary of orch.client.schedule.list()) if (summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) ids.push(summary.scheduleId);
  return ids.sort();
}

/**
 * The schedule `ref` names: `namespace/name` exactly; a bare name in namespace `default`, else
 * the only applied TaskSchedule of that name in any namespace.
 */
async function resolve(orch: OrchClient, ref: string): Promise<{ handle: ScheduleHandle; description: ScheduleDescription }> {
  const trimmed = ref.trim();
  const direct = trimmed.includes('/') ? [`${SCHEDULE_ID_PREFIX}${trimmed}`] : [scheduleId('default', trimmed)];
  for (const id of direct) {
    const handle = orch.client.schedule.getHandle(id);
    const description = await describeOrNull(handle);
    if (description) return { handle, description };
  }
  if (!trimmed.includes('/')) {
    const matches = (await listIds(orch)).filter((id) => id.endsWith(`/${trimmed}`));
    if (matches.length > 1) throw new Error(`"${trimmed}" names several TaskSchedules (${matches.map((id) => id.slice(SCHEDULE_ID_PREFIX.length)).join(', ')}); use namespace/name`);
    if (matches[0]) {
      const handle = orch.client.schedule.getHandle(matches[0]);
      const description = await describeOrNull(handle);
      if (description) return { handle, description };
    }
  }
  throw new ScheduleNotFound(trimmed);
}

function infoOf(id: string, description: ScheduleDescription): ScheduleInfo {
  const memo = memoIn(description);
  const workflowIds = (results: ReadonlyArray<{ workflow: { workflowId: string } }>) => results.map((r) => r.workflow.workflowId);
  return {
    key: memo.key ?? id.slice(SCHEDULE_ID_PREFIX.length),
    scheduleId: id,
    task: memo.task ?? null,
    cron: memo.cron ?? null,
    timeZone: memo.timeZone ?? null,
    concurrencyPolicy: memo.concurrencyPolicy ?? null,
    planHash: memo.planHash ?? null,
    paused: description.state.paused,
    nextRuns: description.info.nextActionTimes.map((d) => d.toISOString()),
    recentRuns: workflowIds(description.info.recentActions.map((r) => r.action)),
    runningRuns: workflowIds(description.info.runningActions),
    actionsTaken: description.info.numActionsTaken,
    skippedOverlap: description.info.numActionsSkippedOverlap,
    createdAt: description.info.createdAt.toISOString(),
    lastUpdatedAt: description.info.lastUpdatedAt?.toISOString() ?? null,
  };
}

/** One applied TaskSchedule, described now. */
export async function describeSchedule(orch: OrchClient, ref: string): Promise<ScheduleInfo> {
  const { handle, description } = await resolve(orch, ref);
  return infoOf(handle.scheduleId, description);
}

/** Every applied TaskSchedule, by namespace/name. */
export async function listSchedules(orch: OrchClient): Promise<ScheduleInfo[]> {
  const infos: ScheduleInfo[] = [];
  for (const id of await listIds(orch)) {
    const description = await describeOrNull(orch.client.schedule.getHandle(id));
    // Deleted since the listing.
    if (description) infos.push(infoOf(id, description));
  }
  return infos;
}

/** Deletes the Temporal Schedule; runs it started go on. Returns its `namespace/name`. */
export async function deleteSchedule(orch: OrchClient, ref: string): Promise<string> {
  const { handle, description } = await resolve(orch, ref);
  await handle.delete();
  return infoOf(handle.scheduleId, description).key;
}

/**
 * Triggers one run now, under the schedule's own overlap policy (Temporal's trigger would
 * otherwise allow an overlap), and waits up to `waitMs` to see whether it started or was skipped.
 */
export async function triggerSchedule(orch: OrchClient, ref: string, options: { waitMs?: number } = {}): Promise<TriggerResult> {
  const { handle, description } = await resolve(orch, ref);
  const before = description.info;
  const key = infoOf(handle.scheduleId, description).key;
  const known = new Set(before.recentActions.map((r) => r.action.workflow.workflowId));
  await handle.trigger(description.policies.overlap);
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  while (Date.now() < deadline) {
    const now = (await handle.describe()).info;
    const started = now.recentActions.map((r) => r.action.workflow.workflowId).find((id) => !known.has(id));
    if (started) return { key, workflowId: started, skipped: false };
    if (now.numActionsSkippedOverlap > before.numActionsSkippedOverlap) return { key, workflowId: null, skipped: true };
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`triggered ${key}, but Temporal reported neither a started nor a skipped run within ${Math.round((options.waitMs ?? 10_000) / 1000)} s (a run is named by its schedule and the second it starts: two in one second are one)`);
}
