/** Task defaults (Orloj task reference): mode run, one attempt, message retry inheriting task retry. */
import type { TaskSpec } from '../resources.ts';
import type { TaskSpecInput } from '../schemas/task.ts';

const DEFAULT_MESSAGE_MAX_BACKOFF_MS = 24 * 3_600_000;

/** `retry` with Orloj's defaults: one attempt, no backoff. */
export function taskRetry(input: TaskSpecInput['retry']): TaskSpec['retry'] {
  return { maxAttempts: input?.max_attempts ?? 1, backoffMs: input?.backoff ?? 0 };
}

/** `message_retry` with Orloj's defaults: attempts and backoff from `retry`, 24h cap, full jitter. */
export function taskMessageRetry(input: TaskSpecInput['message_retry'], retry: TaskSpec['retry']): TaskSpec['messageRetry'] {
  return {
    maxAttempts: input?.max_attempts ?? retry.maxAttempts,
    backoffMs: input?.backoff ?? retry.backoffMs,
    maxBackoffMs: input?.max_backoff ?? DEFAULT_MESSAGE_MAX_BACKOFF_MS,
    jitter: input?.jitter ?? 'full',
    nonRetryable: input?.non_retryable ?? [],
  };
}

export function normalizeTask(input: TaskSpecInput): TaskSpec {
  const retry = taskRetry(input.retry);
  return {
    system: input.system,
    mode: input.mode ?? 'run',
    input: input.input ?? {},
    priority: input.priority ?? 'normal',
    maxTurns: input.max_turns ?? 0,
    retry,
    messageRetry: taskMessageRetry(input.message_retry, retry),
    requirements: {
      region: input.requirements?.region ?? null,
      gpu: input.requirements?.gpu ?? null,
      model: input.requirements?.model ?? null,
    },
  };
}
