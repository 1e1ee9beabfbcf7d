import { describe, expect, it } from 'vitest';
import { APICallError, NoObjectGeneratedError, RetryError } from 'ai';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { classifyModelError, classifyToolError, retryAfterMs } from '../../activities/classify-failure.ts';
import { createRedactor } from '../../activities/redact.ts';

const redact = createRedactor(['the-secret-value']);

function apiError(statusCode: number | undefined, headers: Record<string, string> = {}) {
  return new APICallError({
    message: `boom the-secret-value`,
    url: 'http://example.test/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode !== undefined ? { statusCode } : {}),
    responseHeaders: headers,
  });
}

function classify(error: unknown): ApplicationFailure {
  const result = classifyModelError(error, { redact });
  expect(result).toBeInstanceOf(ApplicationFailure);
  return result as ApplicationFailure;
}

describe('retryAfterMs', () => {
  it('reads retry-after-ms, retry-after seconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after-ms': '1500.2' })).toBe(1501);
    expect(retryAfterMs({ 'Retry-After': '2' })).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('classifyModelError', () => {
  it.each([
    [429, 'MODEL_RATE_LIMITED', false],
    [500, 'MODEL_UNAVAILABLE', false],
    [503, 'MODEL_UNAVAILABLE', false],
    [408, 'MODEL_UNAVAILABLE', false],
    [409, 'MODEL_UNAVAILABLE', false],
    [401, 'MODEL_AUTH_FAILED', true],
    [403, 'MODEL_AUTH_FAILED', true],
    [400, 'MODEL_REQUEST_INVALID', true],
    [404, 'MODEL_REQUEST_INVALID', true],
    [200, 'MODEL_RESPONSE_INVALID', false],
  ])('status %i → %s (nonRetryable %s)', (status, type, nonRetryable) => {
    const failure = classify(apiError(status));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.message).not.toContain('the-secret-value');
  });

  it('honours retry-after on 429 as nextRetryDelay', () => {
    const failure = classify(apiError(429, { 'retry-after': '7' }));
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('unwraps a RetryError', () => {
    const error = new RetryError({ message: 'failed', reason: 'maxRetriesExceeded', errors: [apiError(401)] });
    expect(classify(error).type).toBe('MODEL_AUTH_FAILED');
  });

  it('treats a connection failure and a timeout as retryable', () => {
    expect(classify(apiError(undefined)).type).toBe('MODEL_UNAVAILABLE');
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(classify(refused)).toMatchObject({ type: 'MODEL_UNAVAILABLE', nonRetryable: false });
    expect(classify(new DOMException('timed out', 'TimeoutError'))).toMatchObject({ type: 'MODEL_TIMEOUT', nonRetryable: false });
  });

  it('treats malformed output as retryable MODEL_RESPONSE_INVALID', () => {
    const error = new NoObjectGeneratedError({
      message: 'no object',
      text: 'nope',
      response: { id: 'x', timestamp: new Date(0), modelId: 'm' },
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, inputTokenDetails: { noCacheTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }, outputTokenDetails: { textTokens: 1, reasoningTokens: 0 } },
      finishReason: 'stop',
    });
    expect(classify(error)).toMatchObject({ type: 'MODEL_RESPONSE_INVALID', nonRetryable: false });
  });

  it('retries unknown errors as MODEL_CALL_FAILED', () => {
    expect(classify(new Error('weird'))).toMatchObject({ type: 'MODEL_CALL_FAILED', nonRetryable: false });
  });

  it('passes the activity cancellation through untouched', () => {
    const controller = new AbortController();
    const cancelled = new CancelledFailure('CANCELLED');
    controller.abort(cancelled);
    expect(classifyModelError(new DOMException('aborted', 'AbortError'), { redact, cancellationSignal: controller.signal })).toBe(cancelled);
  });
});

describe('classifyToolError', () => {
  it('maps timeouts and network errors to retryable tool failures', () => {
    expect(classifyToolError(new DOMException('t', 'TimeoutError'), { redact })).toMatchObject({ type: 'TOOL_TIMEOUT', nonRetryable: false });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
    expect(classifyToolError(reset, { redact })).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
    expect(classifyToolError(new Error('?'), { redact })).toMatchObject({ type: 'TOOL_CALL_FAILED', nonRetryable: false });
  });
});
