/**
 * Reads a workflow history the way an operator reads the Web UI: which activities ran, in
 * what order, with what summary, input and result.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

export interface ActivityRecord {
  scheduledEventId: number;
  type: string;
  summary: string | null;
  input: any;
  result: any;
  attempt: number | null;
  /** The worker that ran the attempt that finished. */
  identity: string | null;
  completed: boolean;
  /** The task queue the activity was scheduled on. */
  taskQueue: string | null;
  /** When the attempt that finished started (ms since the epoch). */
  startedAt: number | null;
}

function millis(time: unknown): number | null {
  if (time === null || time === undefined) return null;
  if (typeof time === 'string') return Date.parse(time);
  const { seconds, nanos } = time as { seconds?: unknown; nanos?: number | null };
  return Number(seconds ?? 0) * 1000 + (nanos ?? 0) / 1e6;
}

function decode(payload: Payload | null | undefined): any {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload(payload as any);
}

const EVENT = {
  scheduled: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  started: 'EVENT_TYPE_ACTIVITY_TASK_STARTED',
  completed: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
};

function eventTypeName(type: unknown): string {
  // Histories fetched by the client carry numeric enums; JSON fixtures carry names.
  if (typeof type === 'string') return type;
  return temporal.api.enums.v1.EventType[Number(type)] ?? String(type);
}

/** Every activity in the history, in scheduling order. */
export function activitiesOf(history: History): ActivityRecord[] {
  const byId = new Map<number, ActivityRecord>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    const name = eventTypeName(event.eventType);
    if (name === EVENT.scheduled) {
      const attributes = event.activityTaskScheduledEventAttributes!;
      byId.set(id, {
        scheduledEventId: id,
        type: attributes.activityType?.name ?? '',
        summary: event.userMetadata?.summary ? decode(event.userMetadata.summary) : null,
        input: decode(attributes.input?.payloads?.[0]),
        result: undefined,
        attempt: null,
        identity: null,
        completed: false,
        taskQueue: attributes.taskQueue?.name ?? null,
        startedAt: null,
      });
    } else if (name === EVENT.started) {
      const attributes = event.activityTaskStartedEventAttributes!;
      const record = byId.get(Number(attributes.scheduledEventId));
      if (record) {
        record.attempt = attributes.attempt ?? null;
        record.identity = attributes.identity ?? null;
        record.startedAt = millis(event.eventTime);
      }
    } else if (name === EVENT.completed) {
      const attributes = event.activityTaskCompletedEventAttributes!;
      const record = byId.get(Number(attributes.scheduledEventId));
      if (record) {
        record.result = decode(attributes.result?.payloads?.[0]);
        record.completed = true;
      }
    }
  }
  return [...byId.values()];
}

/** Event type names in order, for counting events. */
export function eventTypes(history: History): string[] {
  return (history.events ?? []).map((event) => eventTypeName(event.eventType));
}

/** The whole history as text, with every payload's bytes decoded, for "never appears" checks. */
export function historyText(history: History): string {
  return JSON.stringify(history, (key, value) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    // Fetched histories carry payload bytes as base64 strings.
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    if (value && typeof value === 'object' && value.type === 'Buffer' && Array.isArray(value.data)) {
      return Buffer.from(value.data).toString('utf8');
    }
    return value;
  });
}

/** A local activity as its history marker records it (an `execution: local` model call). */
export interface LocalActivityRecord {
  eventId: number;
  type: string;
  attempt: number;
  summary: unknown;
  result: unknown;
  failed: boolean;
}

/** Every local activity the history records, in order. */
export function localActivitiesOf(history: History): LocalActivityRecord[] {
  const records: LocalActivityRecord[] = [];
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') continue;
    const data = decode(marker.details?.data?.payloads?.[0]) as { activity_type?: string; attempt?: number } | undefined;
    records.push({
      eventId: Number(event.eventId),
      type: data?.activity_type ?? '',
      attempt: data?.attempt ?? 0,
      summary: event.userMetadata?.summary ? decode(event.userMetadata.summary) : null,
      result: decode(marker.details?.result?.payloads?.[0]),
      failed: marker.failure != null,
    });
  }
  return records;
}
