/**
 * The agent's `limits.timeout` for a local model call. The workflow's timer cannot interrupt
 * a local activity (its workflow task is still open), so the call ends itself at the
 * activation's deadline and fails AGENT_TIMEOUT, as the timer would have made it.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { LocalCallLimits } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';

export interface ActivationDeadline {
  /** Aborts at the deadline, or when `cancellation` does. */
  signal: AbortSignal | undefined;
  /** The AGENT_TIMEOUT failure once the deadline has passed, else null. */
  expired(): ApplicationFailure | null;
  dispose(): void;
}

export function activationDeadline(limits: LocalCallLimits | undefined, cancellation: AbortSignal | undefined): ActivationDeadline {
  const at = limits?.activationDeadline;
  if (typeof at !== 'number') return { signal: cancellation, expired: () => null, dispose: () => {} };
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), Math.max(0, at - Date.now()));
  const expired = () =>
    Date.now() >= at
      ? ApplicationFailure.create({
          type: 'AGENT_TIMEOUT',
          message: `the activation did not finish within ${limits?.activationTimeoutMs ?? '?'} ms (limits.timeout)`,
          // Retryable as the catalog says (the activation may be retried per message_retry); the
          // workflow's local calls list it in nonRetryableErrorTypes, so Temporal does not retry the call.
          nonRetryable: !isRetryable('AGENT_TIMEOUT'),
        })
      : null;
  return {
    signal: cancellation ? AbortSignal.any([cancellation, timeout.signal]) : timeout.signal,
    expired,
    dispose: () => clearTimeout(timer),
  };
}
