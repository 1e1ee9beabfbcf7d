/**
 * The `http` Memory provider: Orloj's remote memory protocol (`runtime/persistent_memory_http.go`).
 * Every call is a JSON POST under the Memory's endpoint: `/put` `{key, value}`, `/get` `{key}`
 * → `{found, key, value}`, `/search` `{query, top_k}` → `{results: [{key, value, score}]}`,
 * `/list` `{prefix}` → `{entries: [{key, value}]}`; `memory.ingest` is Orloj's chunking, one
 * `/put` per chunk. With `auth.secretRef` every request carries `Authorization: Bearer <secret>`,
 * resolved here for that endpoint only (the worker's bindings must allow it).
 *
 * Outcomes: a 2xx is the answer, checked for its shape (anything else is TOOL_RESPONSE_INVALID,
 * as is an answer past {@link MEMORY_HTTP_MAX_RESPONSE_BYTES}); 401/403 is TOOL_AUTH_FAILED; 408,
 * 429 and 5xx, a lost connection or no answer within the call's deadline are retried
 * (TOOL_UNAVAILABLE, TOOL_TIMEOUT); any other status is Orloj's error told to the model
 * (`memory.write: memory http /put: status 400: <error>`). The endpoint passes the network
 * guard as tools do.
 *
 * The protocol has no request identity, so a write is applied at least once: a `/put` retried
 * after a lost answer is sent again. A put is an upsert of one key, so repeating it leaves the
 * same entry; each request also carries `Idempotency-Key` (the call's request id, the same on
 * every attempt) for a service that deduplicates.
 */
import type { MemoryOperationRequest, MemoryOperationResult } from '../contract/memory-io.ts';
import type { JsonObject, JsonValue, PlanMemory } from '../contract/plan.ts';
import { isMemoryCommand, memoryError, memoryResults, parseMemoryCall } from '../validation/memory/memory-calls.ts';
import { activityFailure, classifyToolError, retryAfterMs } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { redactDeep, type Redactor } from './redact.ts';
import { resolveSecretFor } from './secrets.ts';
import { readCapped } from './tool-output.ts';

/** An answer larger than this is refused: it would go into history and the model's next request whole. */
export const MEMORY_HTTP_MAX_RESPONSE_BYTES = 1024 * 1024;
/** One call's deadline, all its requests together (an ingest's puts included), within the activity's 30 s. */
export const DEFAULT_MEMORY_HTTP_TIMEOUT_MS = 20_000;

interface HttpCall {
  memory: PlanMemory;
  subject: string;
  endpoint: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  redact: Redactor;
  clean: Redactor;
  runtime: ActivityRuntime;
}

/** A status Orloj reports as the call's error (the model is told): not auth, not transient. */
class RemoteRefusal extends Error {}

/** Applies one memory tool call on the Memory's http service. */
export async function applyHttpOperation(
  runtime: ActivityRuntime,
  memory: PlanMemory,
  request: MemoryOperationRequest,
  cancellationSignal: AbortSignal | undefined
): Promise<MemoryOperationResult> {
  const subject = `memory ${memory.id.namespace}/${memory.id.name}`;
  let redact = runtime.redactors.failure();
  try {
    const command = parseMemoryCall(request.tool, request.input);
    if (!isMemoryCommand(command)) return command;
    if (!memory.endpoint) throw activityFailure('TOOL_CONFIG_INVALID', `${subject}: an http Memory needs an endpoint`, {}, redact);
    const endpoint = memory.endpoint.replace(/\/+$/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': request.requestId };
    let token: string | undefined;
    if (memory.secretRef) {
      token = resolveSecretFor(memory.secretRef, runtime, { kind: 'url', url: endpoint }, subject);
      headers.authorization = `Bearer ${token}`;
    }
    redact = runtime.redactors.failure([token]);
    const timeout = AbortSignal.timeout(Math.max(1, runtime.memoryHttpTimeoutMs));
    const signal = cancellationSignal ? AbortSignal.any([cancellationSignal, timeout]) : timeout;
    const call: HttpCall = { memory, subject, endpoint, headers, signal, redact, clean: runtime.redactors.result([token]), runtime };
    try {
      return await apply(call, command);
    } catch (error) {
      if (error instanceof RemoteRefusal) return memoryError(redact(`${request.tool}: ${error.message}`));
      throw error;
    }
  } catch (error) {
    throw classifyToolError(error, { redact, cancellationSignal, subject });
  }
}

async function apply(call: HttpCall, command: Exclude<ReturnType<typeof parseMemoryCall>, MemoryOperationResult>): Promise<MemoryOperationResult> {
  switch (command.tool) {
    case 'memory.write':
      await post(call, '/put', { key: command.key, value: command.value }, false);
      return memoryResults.written(command.key);
    case 'memory.ingest':
      for (const [index, [key, value]] of command.chunks.entries()) {
        try {
          await post(call, '/put', { key, value }, false);
        } catch (error) {
          if (error instanceof RemoteRefusal) throw new RemoteRefusal(`failed writing chunk ${index}: ${error.message}`);
          throw error;
        }
      }
      return memoryResults.ingested(command.source, command.chunks.length);
    case 'memory.read': {
      const answer = await post(call, '/get', { key: command.key }, true);
      const found = answer.found;
      if (typeof found !== 'boolean' || (found && typeof answer.value !== 'string')) throw invalid(call, '/get', 'found (a boolean) and, when found, value (a string)');
      return memoryResults.read(command.key, found ? (answer.value as string) : undefined);
    }
    case 'memory.search': {
      const answer = await post(call, '/search', { query: command.query, top_k: command.limit }, true);
      return memoryResults.search(entries(call, '/search', answer.results, true));
    }
    case 'memory.list': {
      const answer = await post(call, '/list', { prefix: command.prefix }, true);
      return memoryResults.list(entries(call, '/list', answer.entries, false) as { key: string; value: string }[]);
    }
  }
}

/** Search results or list entries, as Orloj decodes them: `{key, value}` each, search with its `score` (0 when absent, then omitted). */
function entries(call: HttpCall, path: string, value: JsonValue | undefined, scored: boolean): JsonObject[] {
  // Go decodes a missing or null array as none.
  if (value === undefined || value === null) return [];
  const valid =
    Array.isArray(value) &&
    value.every(
      (entry) =>
        entry !== null &&
        typeof entry === 'object' &&
        !Array.isArray(entry) &&
        typeof entry.key === 'string' &&
        typeof entry.value === 'string' &&
        (entry.score === undefined || entry.score === null || (typeof entry.score === 'number' && Number.isFinite(entry.score)))
    );
  if (!valid) throw invalid(call, path, `${path === '/list' ? 'entries' : 'results'}: an array of {key, value${scored ? ', score' : ''}}`);
  return (value as JsonObject[]).map((entry): JsonObject => {
    const out: JsonObject = { key: entry.key as string, value: entry.value as string };
    if (scored && typeof entry.score === 'number' && entry.score !== 0) out.score = entry.score;
    return out;
  });
}

function invalid(call: HttpCall, path: string, expected: string) {
  return activityFailure('TOOL_RESPONSE_INVALID', `${call.subject}: memory http ${path}: the answer is not ${expected}`, { details: { memory: call.subject } }, call.redact);
}

/** One POST: the answer's JSON object when `parse`, else nothing (Orloj reads no body of `/put`). */
async function post(call: HttpCall, path: string, body: JsonObject, parse: boolean): Promise<JsonObject> {
  const url = `${call.endpoint}${path}`;
  if (call.memory.secretRef) call.runtime.destinations.check({ secret: call.memory.secretRef }, { kind: 'url', url }, call.subject);
  const response = await call.runtime.http.fetch(url, { method: 'POST', headers: call.headers, body: JSON.stringify(body), signal: call.signal });
  const status = response.status;
  const details = { memory: call.subject, statusCode: status };
  if (status === 401 || status === 403) {
    await response.body?.cancel().catch(() => {});
    throw activityFailure('TOOL_AUTH_FAILED', `${call.subject}: memory http ${path}: the service rejected the credentials (${status})`, { details }, call.redact);
  }
  const read = await readCapped(response.body, MEMORY_HTTP_MAX_RESPONSE_BYTES, 0).catch((error: unknown) => {
    // A body cut off by the deadline errors as a reset connection: it is the deadline's.
    throw call.signal.aborted ? (call.signal.reason ?? error) : error;
  });
  const text = Buffer.from(read.bytes).toString('utf8');
  if (status === 408 || status === 429 || status >= 500) {
    const delay = retryAfterMs(response.headers);
    throw activityFailure(
      'TOOL_UNAVAILABLE',
      `${call.subject}: memory http ${path}: status ${status}${text.trim() ? `: ${call.redact.cut(errorText(text)).slice(0, 200)}` : ''}`,
      { nextRetryDelayMs: delay, details: { ...details, ...(delay !== undefined ? { retryAfterMs: delay } : {}) } },
      call.redact
    );
  }
  if (read.truncated) {
    throw activityFailure('TOOL_RESPONSE_INVALID', `${call.subject}: memory http ${path}: the answer is larger than ${MEMORY_HTTP_MAX_RESPONSE_BYTES} bytes`, { details }, call.redact);
  }
  if (status < 200 || status >= 300) throw new RemoteRefusal(`memory http ${path}: status ${status}: ${call.redact.cut(errorText(text)).slice(0, 500)}`);
  if (!parse) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(call, path, 'JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(call, path, 'a JSON object');
  // An upstream that echoes the credential it was sent would put it in history.
  return redactDeep(parsed as JsonObject, call.clean) as JsonObject;
}

/** The `error` of an `{"error": "..."}` body, else the body's text (Orloj's rule). */
function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (parsed && typeof parsed.error === 'string' && parsed.error !== '') return parsed.error;
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim();
}
