/**
 * Replaying runs against the code at hand: `orch replay`, and a check before a deploy. A run's
 * history (each execution of a run that continued as new, and every delegate's child run under
 * it) goes through Temporal's replayer with orch's workflow bundle; no activity runs, so no
 * model or tool is called. A history the code no longer reproduces is narrowed to the first
 * event it cannot reach: the replayer's own message names the mismatch, not where it is.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { workflowBundle } from './workflow-bundle.ts';

type History = proto.temporal.api.history.v1.IHistory;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

export interface ReplayTarget {
  workflowId: string;
  runId: string;
  history: History;
}

export interface ReplayVerdict {
  workflowId: string;
  runId: string;
  events: number;
  /** Null when the code reproduces the history. */
  divergence: Divergence | null;
}

export interface Divergence {
  /** The first event the code does not reproduce (0 when even the start cannot be replayed). */
  eventId: number;
  eventType: string;
  /** What the event was about: an activity's or child's type, a timer's id, a marker's name. */
  subject: string | null;
  /** `nondeterminism`, or `failed` for a history the replayer refused for another reason. */
  kind: 'nondeterminism' | 'failed';
  message: string;
}

/**
 * The replayer runs workflow code on this thread, where Temporal lifts the limit on how long a
 * workflow task may run; this puts it back, so a looping workflow fails instead of hanging.
 */
const REPLAY_OPTIONS = { isolateExecutionTimeout: '5s' } as Partial<ReplayWorkerOptions>;

/** One replay error per target, in order (undefined: reproduced). */
async function replayOnce(targets: ReplayTarget[]): Promise<Array<Error | undefined>> {
  const options: ReplayWorkerOptions = { ...REPLAY_OPTIONS, workflowBundle: await workflowBundle() };
  const errors: Array<Error | undefined> = [];
  // The real workflow id: the ids of a run's child workflows derive from it.
  const histories = targets.map((target) => ({ workflowId: target.workflowId, history: target.history }));
  for await (const result of Worker.runReplayHistories(options, histories)) errors.push(result.error);
  return errors;
}

/** Replays each history; a history that diverges is bisected to its first event the code does not reproduce. */
export async function replayHistories(targets: ReplayTarget[]): Promise<ReplayVerdict[]> {
  const errors = await replayOnce(targets);
  const verdicts: ReplayVerdict[] = [];
  for (const [index, target] of targets.entries()) {
    const error = errors[index];
    const events = target.history.events?.length ?? 0;
    verdicts.push({ workflowId: target.workflowId, runId: target.runId, events, divergence: error ? await locate(target, error) : null });
  }
  return verdicts;
}

/**
 * The workflow id a history file was recorded under, which the file does not hold: orch names a
 * delegate's child run `<id>/<delegate>-<n>`, so a run that delegated tells it; else `fallback`.
 */
export function recordedWorkflowId(history: History, fallback: string): string {
  for (const event of history.events ?? []) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child && child.includes('/')) return child.slice(0, child.lastIndexOf('/'));
  }
  return fallback;
}

function isNondeterminism(error: Error): boolean {
  return error.name === 'DeterminismViolationError' || /nondetermin/i.test(error.message);
}

/**
 * The shortest prefix of the history that fails as the whole does ends at the event where the
 * code and the history part. Replaying a prefix is replaying a run that has not finished yet,
 * which the replayer accepts.
 */
async function locate(target: ReplayTarget, error: Error): Promise<Divergence> {
  const events = target.history.events ?? [];
  const kind = isNondeterminism(error) ? 'nondeterminism' : 'failed';
  let good = 0;
  let bad = events.length;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    const [outcome] = await replayOnce([{ ...target, history: { events: events.slice(0, middle) } }]);
    if (outcome && (kind === 'failed' || isNondeterminism(outcome))) bad = middle;
    else good = middle;
  }
  const event = events[bad - 1];
  return { eventId: Number(event?.eventId ?? 0), eventType: eventTypeName(event), subject: event ? subjectOf(event) : null, kind, message: coreMessage(error.message) };
}

/** The replayer wraps core's one-line reason (`[TMPRL1100] Nondeterminism error: …`) in a debug dump of the failure. */
function coreMessage(message: string): string {
  return /message: "(\[TMPRL\d+\][^"]*)"/.exec(message)?.[1] ?? message.split('\n')[0]!;
}

function eventTypeName(event: HistoryEvent | undefined): string {
  const type = event?.eventType;
  if (type === undefined || type === null) return 'UNKNOWN';
  // Proto3 JSON gives the enum's name, a fetched history its number.
  const name = typeof type === 'number' ? proto.temporal.api.enums.v1.EventType[type] : String(type);
  return (name ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

function subjectOf(event: HistoryEvent): string | null {
  return (
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
    event.timerStartedEventAttributes?.timerId ??
    event.markerRecordedEventAttributes?.markerName ??
    event.workflowExecutionStartedEventAttributes?.workflowType?.name ??
    null
  );
}

/**
 * Every history of a run: its execution, the executions it continued from, and the delegates'
 * child runs it started (theirs too), in that order.
 */
export async function fetchRunHistories(client: Client, workflowId: string, runId?: string): Promise<ReplayTarget[]> {
  const targets: ReplayTarget[] = [];
  const seen = new Set<string>();
  const visit = async (id: string, run: string | undefined): Promise<void> => {
    const handle = client.workflow.getHandle(id, run);
    const resolvedRunId = run ?? (await handle.describe()).runId;
    if (seen.has(`${id}/${resolvedRunId}`)) return;
    seen.add(`${id}/${resolvedRunId}`);
    const history = await client.workflow.getHandle(id, resolvedRunId).fetchHistory();
    targets.push({ workflowId: id, runId: resolvedRunId, history });
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    if (started?.continuedExecutionRunId) await visit(id, started.continuedExecutionRunId);
    for (const event of history.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) await visit(child.workflowId, child.runId);
    }
  };
  await visit(workflowId, runId);
  return targets;
}
