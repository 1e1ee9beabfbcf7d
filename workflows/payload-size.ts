/**
 * Temporal's limits, checked before the workflow reaches them. A payload over 2 MiB is refused
 * by the server, and a refused continue-as-new or completion is retried for ever: the run hangs.
 * A history past 51,200 events or 50 MiB is terminated. orch fails the run, typed, first.
 */

/** The most the workflow carries into a continue-as-new or returns: room below 2 MiB for the payload's envelope. */
export const MAX_PAYLOAD_BYTES = 1.5 * 1024 * 1024;
/** History past these has no room left for a quiet point; no further call starts. */
export const MAX_HISTORY_EVENTS = 40_000;
export const MAX_HISTORY_BYTES = 40 * 1024 * 1024;

/** The UTF-8 size of `value` as JSON, as the default payload converter writes it (no Node globals here). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // One UTF-16 unit is 1 to 3 bytes; a surrogate pair (two units) is 4.
    if (unit >= 0x80) bytes += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/** Why `history` is at a limit, or null while it is not. */
export function historyLimitReached(history: { historyLength: number; historySize: number }): string | null {
  if (history.historyLength >= MAX_HISTORY_EVENTS) return `the run's history has ${history.historyLength} events (limit ${MAX_HISTORY_EVENTS})`;
  if (history.historySize >= MAX_HISTORY_BYTES) return `the run's history is ${history.historySize} bytes (limit ${MAX_HISTORY_BYTES})`;
  return null;
}
