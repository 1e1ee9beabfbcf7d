/**
 * Turns whatever a model or tool call threw into a typed Temporal `ApplicationFailure`:
 * retryable when waiting may help (rate limits, outages, timeouts), non-retryable when
 * only a change of configuration or input can (auth, bad requests). Temporal's retry
 * policy does the waiting; activities never retry on their own.
 *
 * Every message and detail passes through the call's redactor first: provider errors can
 * echo headers or keys, and a failure is recorded in workflow history.
 */
import {
  APICallError,
  EmptyResponseBodyError,
  InvalidArgumentError,
  InvalidPromptError,
  InvalidResponseDataError,
  InvalidToolInputError,
  JSONParseError,
  LoadAPIKeyError,
  LoadSettingError,
  NoContentGeneratedError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  NoSuchModelError,
  NoSuchToolError,
  RetryError,
  ToolCallRepairError,
  TypeValidationError,
  UnsupportedFunctionalityError,
} from 'ai';
import { ApplicationFailure } from '@temporalio/common';
import type { JsonObject } from '../contract/plan.ts';
import type { ActivityFailureType } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';
import { endpointForbidden } from './network-guard.ts';
import { redactDeep, type Redact } from './redact.ts';

/** What a classifier needs besides the error. */
export interface FailureContext {
  redact: Redact;
  /** The activity's cancellation signal: an abort caused by it is a cancellation, not a failure. */
  cancellationSignal?: AbortSignal | undefined;
  /** Included in failure details, e.g. `openai-compatible/llama3`. */
  subject?: string;
}

/** Options of {@link activityFailure}. Whether it is retried is the catalog's to say (contract/failures.ts). */
export interface ActivityFailureOptions {
  /** Overrides the retry policy's backoff for the next attempt (e.g. from `retry-after`). */
  nextRetryDelayMs?: number | undefined;
  details?: JsonObject;
}

/** Builds a typed ApplicationFailure with a redacted message and redacted details, retried as the catalog says. */
export function activityFailure(
  type: ActivityFailureType,
  message: string,
  options: ActivityFailureOptions,
  redact: Redact
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: redact(message),
    nonRetryable: !isRetryable(type),
    ...(options.nextRetryDelayMs !== undefined ? { nextRetryDelay: options.nextRetryDelayMs } : {}),
    // No `cause`: a cause is serialized with its own message and stack, unredacted.
    details: options.details ? [redactDeep(options.details, redact)] : [],
  });
}

/**
 * Milliseconds to wait before retrying, from `retry-after-ms` (OpenAI's, fractional ms) or
 * `retry-after` (seconds, or an HTTP date). Undefined when absent or unparsable.
 */
export function retryAfterMs(
  headers: Record<string, string> | Headers | undefined,
  now: number = Date.now()
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
    return undefined;
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = get('retry-after');
  if (after !== undefined) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Node / undici error codes of a connection that failed or broke: worth retrying. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The network error code somewhere in an error's cause chain, if any. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && /fetch failed|terminated|network/i.test(error.message)) return 'FETCH_FAILED';
  return undefined;
}

/** True for an abort or timeout raised by a signal (DOMException or AbortSignal.timeout). */
export function isAbortOrTimeout(error: unknown): 'timeout' | 'abort' | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') {
    const cause = (error as { cause?: unknown }).cause;
    return isAbortOrTimeout(cause) === 'timeout' ? 'timeout' : 'abort';
  }
  return undefined;
}

/**
 * The error to rethrow when the activity itself was cancelled: Temporal's own
 * CancelledFailure (the signal's reason), so the worker reports a cancellation rather
 * than a failure. Undefined when the activity was not cancelled.
 */
export function cancellationError(signal: AbortSignal | undefined): unknown {
  if (!signal?.aborted) return undefined;
  return signal.reason ?? new Error('activity cancelled');
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Classifies an error thrown by `generateText` (or by provider setup) for a model call. */
export function classifyModelError(error: unknown, context: FailureContext): unknown {
  const cancelled = cancellationError(context.cancellationSignal);
  if (cancelled !== undefined) return cancelled;
  if (error instanceof ApplicationFailure) return error;
  const { redact } = context;
  const details = (extra: JsonObject = {}): JsonObject => ({
    ...(context.subject ? { model: context.subject } : {}),
    ...extra,
  });
  // maxRetries is 0, so a RetryError wraps exactly one attempt; classify that attempt.
  const err = RetryError.isInstance(error) && error.lastError !== undefined ? error.lastError : error;
  const message = errorMessage(err);

  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    if (status === undefined) {
      return activityFailure('MODEL_UNAVAILABLE', `model endpoint unreachable: ${message}`, { details: details() }, redact);
    }
    const statusDetails = details({ statusCode: status });
    if (status === 429) {
      const delay = retryAfterMs(err.responseHeaders);
      return activityFailure(
        'MODEL_RATE_LIMITED',
        `model rate limited (429): ${message}`,
        { nextRetryDelayMs: delay, details: { ...statusDetails, ...(delay !== undefined ? { retryAfterMs: delay } : {}) } },
        redact
      );
    }
    if (status >= 500 || status === 408 || status === 409) {
      const delay = retryAfterMs(err.responseHeaders);
      return activityFailure(
        'MODEL_UNAVAILABLE',
        `model endpoint unavailable (${status}): ${message}`,
        { nextRetryDelayMs: delay, details: statusDetails },
        redact
      );
    }
    if (status === 401 || status === 403) {
      return activityFailure('MODEL_AUTH_FAILED', `model endpoint rejected the credentials (${status}): ${message}`, { details: statusDetails }, redact);
    }
    if (status >= 400) {
      return activityFailure('MODEL_REQUEST_INVALID', `model endpoint rejected the request (${status}): ${message}`, { details: statusDetails }, redact);
    }
    // A 2xx the SDK could not use (invalid JSON, unexpected shape).
    return activityFailure('MODEL_RESPONSE_INVALID', `malformed model response: ${message}`, { details: statusDetails }, redact);
  }

  const abort = isAbortOrTimeout(err);
  if (abort !== undefined) {
    // Not our cancellation (checked above), so a timeout somewhere below us.
    return activityFailure('MODEL_TIMEOUT', `model call timed out: ${message}`, { details: details() }, redact);
  }

  // Malformed output is retryable: sampling is not deterministic, and the next attempt
  // often produces valid JSON or a well-formed tool call. The retry policy bounds it.
  if (
    NoObjectGeneratedError.isInstance(err) ||
    NoOutputGeneratedError.isInstance(err) ||
    JSONParseError.isInstance(err) ||
    TypeValidationError.isInstance(err) ||
    InvalidResponseDataError.isInstance(err) ||
    EmptyResponseBodyError.isInstance(err) ||
    NoContentGeneratedError.isInstance(err) ||
    InvalidToolInputError.isInstance(err) ||
    NoSuchToolError.isInstance(err) ||
    ToolCallRepairError.isInstance(err)
  ) {
    return activityFailure('MODEL_RESPONSE_INVALID', `malformed model response: ${message}`, { details: details() }, redact);
  }

  if (
    LoadAPIKeyError.isInstance(err) ||
    LoadSettingError.isInstance(err) ||
    InvalidArgumentError.isInstance(err) ||
    NoSuchModelError.isInstance(err)
  ) {
    return activityFailure('MODEL_CONFIG_INVALID', `model endpoint misconfigured: ${message}`, { details: details() }, redact);
  }
  if (InvalidPromptError.isInstance(err) || UnsupportedFunctionalityError.isInstance(err)) {
    return activityFailure('MODEL_REQUEST_INVALID', `model request invalid: ${message}`, { details: details() }, redact);
  }

  const code = networkErrorCode(err);
  if (code !== undefined) {
    const type: ActivityFailureType = code.includes('TIMEOUT') || code === 'ETIMEDOUT' ? 'MODEL_TIMEOUT' : 'MODEL_UNAVAILABLE';
    return activityFailure(type, `model endpoint unreachable (${code}): ${message}`, { details: details({ code }) }, redact);
  }

  // Unknown: retry, because a transient fault is likelier than a permanent unknown one,
  // and the retry policy bounds the cost of being wrong.
  const name = err instanceof Error ? err.name : typeof err;
  return activityFailure('MODEL_CALL_FAILED', `model call failed (${name}): ${message}`, { details: details() }, redact);
}

/** Classifies an error thrown while calling a tool over HTTP (refused endpoint, network, timeout, unknown). */
export function classifyToolError(error: unknown, context: FailureContext): unknown {
  const cancelled = cancellationError(context.cancellationSignal);
  if (cancelled !== undefined) return cancelled;
  if (error instanceof ApplicationFailure) return error;
  const { redact } = context;
  const details: JsonObject = context.subject ? { tool: context.subject } : {};
  const message = errorMessage(error);
  const forbidden = endpointForbidden(error);
  if (forbidden) {
    return activityFailure(
      'TOOL_ENDPOINT_FORBIDDEN',
      `tool ${context.subject ?? ''}: ${forbidden.message}`,
      { details: { ...details, address: forbidden.address, addressClass: forbidden.addressClass } },
      redact
    );
  }
  if (isAbortOrTimeout(error) !== undefined) {
    return activityFailure('TOOL_TIMEOUT', `tool call timed out: ${message}`, { details }, redact);
  }
  const code = networkErrorCode(error);
  if (code !== undefined) {
    const type: ActivityFailureType = code.includes('TIMEOUT') || code === 'ETIMEDOUT' ? 'TOOL_TIMEOUT' : 'TOOL_UNAVAILABLE';
    return activityFailure(type, `tool endpoint unreachable (${code}): ${message}`, { details: { ...details, code } }, redact);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return activityFailure('TOOL_CALL_FAILED', `tool call failed (${name}): ${message}`, { details }, redact);
}
