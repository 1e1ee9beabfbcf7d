/**
 * When things happened in a workflow history: per activity, the ids and times of its
 * scheduled, started and closing events; per child workflow, its initiation and completion.
 * Event ids order events exactly; times are the server's clock (milliseconds).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

export interface ActivityTiming {
  type: string;
  summary: string | null;
  /** The agent whose call it is: the summary's first word (`<agent> · model …`). */
  agent: string | null;
  input: any;
  result: any;
  scheduledId: number;
  scheduledAt: number;
  /** The event that closed it (completed, failed, timed out, canceled); null while open. */
  closedId: number | null;
  closedAt: number | null;
  outcome: 'completed' | 'failed' | 'timed_out' | 'canceled' | null;
}

export interface ChildTiming {
  workflowType: string;
  workflowId: string;
  initiatedId: number;
  initiatedAt: number;
  closedId: number | null;
  closedAt: number | null;
  outcome: 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed_out' | null;
  result: any;
}

function decode(payload: Payload | null | undefined): any {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload(payload as any);
}

export function eventName(event: HistoryEvent): string {
  const type = event.eventType;
  if (typeof type === 'string') return type;
  return temporal.api.enums.v1.EventType[Number(type)] ?? String(type);
}

export function eventTime(event: HistoryEvent): number {
  const time = event.eventTime;
  if (!time) return Number.NaN;
  if (typeof time === 'string') return Date.parse(time);
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

const ACTIVITY_CLOSE: Record<string, ActivityTiming['outcome']> = {
  EVENT_TYPE_ACTIVITY_TASK_COMPLETED: 'completed',
  EVENT_TYPE_ACTIVITY_TASK_FAILED: 'failed',
  EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: 'timed_out',
  EVENT_TYPE_ACTIVITY_TASK_CANCELED: 'canceled',
};

const CHILD_CLOSE: Record<string, ChildTiming['outcome']> = {
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: 'completed',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: 'failed',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: 'canceled',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: 'terminated',
  EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: 'timed_out',
};

/** The attributes object of a closing event, whichever kind it is (they all carry `scheduledEventId`/`initiatedEventId`). */
function closingAttributes(event: HistoryEvent): any {
  return (
    event.activityTaskCompletedEventAttributes ??
    event.activityTaskFailedEventAttributes ??
    event.activityTaskTimedOutEventAttributes ??
    event.activityTaskCanceledEventAttributes ??
    event.childWorkflowExecutionCompletedEventAttributes ??
    event.childWorkflowExecutionFailedEventAttributes ??
    event.childWorkflowExecutionCanceledEventAttributes ??
    event.childWorkflowExecutionTerminatedEventAttributes ??
    event.childWorkflowExecutionTimedOutEventAttributes
  );
}

/** Every activity of the history, in scheduling order, with when it was scheduled and closed. */
export function activityTimeline(history: History): ActivityTiming[] {
  const byId = new Map<number, ActivityTiming>();
  for (const event of history.events ?? []) {
    const name = eventName(event);
    const id = Number(event.eventId);
    if (name === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') {
      const attributes = event.activityTaskScheduledEventAttributes!;
      const summary: string | null = event.userMetadata?.summary ? decode(event.userMetadata.summary) : null;
      byId.set(id, {
        type: attributes.activityType?.name ?? '',
        summary,
        agent: summary?.split(' ')[0] ?? null,
        input: decode(attributes.input?.payloads?.[0]),
        result: undefined,
        scheduledId: id,
        scheduledAt: eventTime(event),
        closedId: null,
        closedAt: null,
        outcome: null,
      });
    } else if (name in ACTIVITY_CLOSE) {
      const attributes = closingAttributes(event);
      const record = byId.get(Number(attributes?.scheduledEventId));
      if (!record) continue;
      record.closedId = id;
      record.closedAt = eventTime(event);
      record.outcome = ACTIVITY_CLOSE[name]!;
      if (event.activityTaskCompletedEventAttributes) record.result = decode(event.activityTaskCompletedEventAttributes.result?.payloads?.[0]);
    }
  }
  return [...byId.values()];
}

/** The model calls of one agent, in scheduling order. */
export function modelCallsOf(timeline: readonly ActivityTiming[], agent: string): ActivityTiming[] {
  return timeline.filter((a) => a.type === 'callModel' && a.agent === agent);
}

/** The first user message of a model call: the activation's rendered inbox. */
export function inboxOf(call: ActivityTiming): string {
  return String(call.input?.messages?.[0]?.content ?? '');
}

/** Every child workflow the history started, in initiation order. */
export function childTimeline(history: History): ChildTiming[] {
  const byId = new Map<number, ChildTiming>();
  for (const event of history.events ?? []) {
    const name = eventName(event);
    const id = Number(event.eventId);
    if (name === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED') {
      const attributes = event.startChildWorkflowExecutionInitiatedEventAttributes!;
      byId.set(id, {
        workflowType: attributes.workflowType?.name ?? '',
        workflowId: attributes.workflowId ?? '',
        initiatedId: id,
        initiatedAt: eventTime(event),
        closedId: null,
        closedAt: null,
        outcome: null,
        result: undefined,
      });
    } else if (name in CHILD_CLOSE) {
      const attributes = closingAttributes(event);
      const record = byId.get(Number(attributes?.initiatedEventId));
      if (!record) continue;
      record.closedId = id;
      record.closedAt = eventTime(event);
      record.outcome = CHILD_CLOSE[name]!;
      if (event.childWorkflowExecutionCompletedEventAttributes) {
        record.result = decode(event.childWorkflowExecutionCompletedEventAttributes.result?.payloads?.[0]);
      }
    }
  }
  return [...byId.values()];
}

/** Started timers' durations in milliseconds, in order. */
export function timerDurations(history: History): number[] {
  const durations: number[] = [];
  for (const event of history.events ?? []) {
    if (eventName(event) !== 'EVENT_TYPE_TIMER_STARTED') continue;
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    if (!timeout) continue;
    durations.push(Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6));
  }
  return durations;
}
