/**
 * Access to the Temporal activity context, tolerant of running outside one (a direct
 * call in a unit test or a script), and the heartbeat loop that lets the workflow's
 * `heartbeatTimeout` detect a dead worker within seconds instead of waiting for the
 * whole start-to-close timeout.
 */
import { Context } from '@temporalio/activity';

/** The current activity context, or undefined when not running inside an activity. */
export function currentActivityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The default interval between heartbeats while a call is in flight. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;

/**
 * Runs `work` while heartbeating every `intervalMs`. The first heartbeat waits an interval:
 * the heartbeat timeout runs from the start anyway, and a call that finishes sooner (most
 * tool calls, every mock call) then costs no heartbeat request at all. Heartbeats carry
 * `details` when given (what earlier attempts spent), so a later attempt still finds them.
 */
export async function withHeartbeat<T>(
  context: Context | undefined,
  intervalMs: number,
  work: () => Promise<T>,
  details?: unknown
): Promise<T> {
  if (!context || context.info.isLocal) return work();
  const timer = setInterval(() => context.heartbeat(details), Math.max(1, intervalMs));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
