/**
 * Reading a workflow history's events without a worker: their payloads decoded with the
 * default converter (what orch writes), and their times. A payload that does not decode is
 * undefined, never an exception: a history is read as it is.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

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
