/**
 * Reading a workflow history's events without a worker: their payloads decoded with the
 * default converter (what orch writes), and their times. A payload that does not decode is
 * undefined, never an exception: a history is read as it is.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { ACTIVITY_TYPES } from '../contract/wire-names.ts';

export type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;
export type Failure = temporal.api.failure.v1.IFailure;

export function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
  } catch {
    return undefined;
  }
}

export function firstPayload(payloads: { payloads?: Payload[] | null } | null | undefined): unknown {
  return decode(payloads?.payloads?.[0]);
}

export function isoTime(event: HistoryEvent): string {
  const time = event.eventTime as unknown;
  if (!time) return new Date(0).toISOString();
  if (typeof time === 'string') return new Date(Date.parse(time)).toISOString();
  const { seconds, nanos } = time as { seconds?: unknown; nanos?: number | null };
  return new Date(Number(seconds ?? 0) * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
}

export function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The marker Temporal records for a local activity: its result, or its failure. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface LocalModelCall {
  attempt: number | undefined;
  /** The activity's own failure (Temporal wraps it in an activity failure), or null. */
  failure: Failure | null;
  result: unknown;
  /** What the call echoes of its request (ModelCallEcho: agent, model, reservation, tool errors), or null. */
  echo: Record<string, unknown> | null;
}

/**
 * A local model call (`execution: local`) as its marker records it; null for any other event,
 * and for a handed-over answer (the activity that brought it into history is the call).
 */
export function localModelCall(event: HistoryEvent): LocalModelCall | null {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return null;
  const data = asObject(firstPayload(marker.details?.data));
  if (data?.activity_type !== ACTIVITY_TYPES.callModel) return null;
  const failure = marker.failure?.activityFailureInfo && marker.failure.cause ? marker.failure.cause : (marker.failure ?? null);
  const result = failure ? undefined : firstPayload(marker.details?.result);
  if (asObject(result)?.handedOver) return null;
  const echo = asObject(failure ? asObject(firstPayload(failure.applicationFailureInfo?.details))?.call : asObject(result)?.call);
  return { attempt: typeof data.attempt === 'number' ? data.attempt : undefined, failure, result, echo };
}
