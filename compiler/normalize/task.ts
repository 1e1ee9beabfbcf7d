/** Task defaults (Orloj task reference): mode run, one attempt, message retry inheriting task retry. */
import type { TaskSpec } from '../resources.ts';
import type { TaskSpecInput } from '../schemas/task.ts';

const DEFAULT_MESSAGE_MAX_BACKOFF_MS = 24 * 3_600_000;

export function normalizeTask(input: TaskSpecInput): TaskSpec {
  const retry = { maxAttempts: input.retry?.max_attempts ?? 1, backoffMs: input.retry?.backoff ?? 0 };
  const message = input.message_retry;
  return {
    system: input.system,
    mode: input.mode ?? 'run',
    input: input.input ?? {},
    priority: input.priority ?? 'normal',
    maxTurns: input.max_turns ?? 0,
    retry,
    messageRetry: {
      maxAttempts: message?.max_attempts ?? retry.maxAttempts,
      backoffMs: message?.backoff ?? retry.backoffMs,
      maxBackoffMs: message?.max_backoff ?? DEFAULT_MESSAGE_MAX_BACKOFF_MS,
      jitter: message?.jitter ?? 'full',
      nonRetryable: message?.non_retryable ?? [],
    },
    requirements: {
      region: input.requirements?.region ?? null,
      gpu: input.requirements?.gpu ?? null,
      model: input.requirements?.model ?? null,
    },
  };
}
