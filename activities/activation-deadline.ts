/**
 * The limits a local model call (`execution: local`) enforces itself (see LocalCallLimits): the
 * agent's `limits.timeout`, which the workflow's timer cannot enforce while the workflow task
 * runs the call, and the attempt's own timeout, which Temporal would otherwise raise as a bare
 * timeout without the call's echo or spent tokens. Both count from the attempt's start on this
 * worker's clock.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { LocalCallLimits } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';

export interface CallDeadline {
  /** Aborts at the first limit, or when `cancellation` does. */
  signal: AbortSignal | undefined;
  /** The failure of the limit that aborted the call, or null when none has (yet). */
  expired(): ApplicationFailure | null;
  dispose(): void;
}

export function callDeadline(limits: LocalCallLimits | undefined, cancellation: AbortSignal | undefined): CallDeadline {
  const activation = limits?.activationRemainingMs;
  const attempt = limits?.attemptTimeoutMs;
  if (typeof activation !== 'number' && typeof attempt !== 'number') return { signal: cancellation, expired: () => null, dispose: () => {} };
  const controller = new AbortController();
  let reached: ApplicationFailure | null = null;
  const timers: NodeJS.Timeout[] = [];
  const at = (ms: number, failure: () => ApplicationFailure) =>
    timers.push(
      setTimeout(() => {
        reached ??= failure();
        controller.abort(reached);
      }, Math.max(0, ms))
    );
  if (typeof activation === 'number') {
    at(activation, () =>
      ApplicationFailure.create({
        type: 'AGENT_TIMEOUT',
        message: `the activation did not finish within ${limits?.activationTimeoutMs ?? activation} ms (limits.timeout)`,
        // Retryable as the catalog says (the activation may be retried per message_retry); the
        // workflow's local calls list it in nonRetryableErrorTypes, so Temporal does not retry the call.
        nonRetryable: !isRetryable('AGENT_TIMEOUT'),
      })
    );
  }
  if (typeof attempt === 'number') {
    at(attempt, () =>
      ApplicationFailure.create({
        type: 'CALL_TIMEOUT',
        message: `the model call did not answer within ${attempt} ms (the endpoint's timeout)`,
        nonRetryable: !isRetryable('CALL_TIMEOUT'),
      })
    );
  }
  return {
    signal: cancellation ? AbortSignal.any([cancellation, controller.signal]) : controller.signal,
    // Only a limit that fired: a failure that arrived first keeps its own type.
    expired: () => reached,
    dispose: () => timers.forEach(clearTimeout),
  };
}
