/**
 * The `callTool` activity: runs one tool call the model asked for, over HTTP or MCP.
 *
 * HTTP outcomes: a 2xx is the tool's output; another 4xx is returned to the model as an
 * error result so it can correct its input; auth failures end the call; rate limits,
 * outages, timeouts and network errors are retryable failures for Temporal's retry
 * policy. Retries carry the same `Idempotency-Key`, so a tool that honours it runs the
 * call once. Requests go through the network guard (see network-guard.ts): an endpoint on
 * loopback or a private network is refused unless the worker allows it.
 *
 * Every result carries `durationMs`, and its output is cut to `maxToolOutputBytes` with a
 * marker (`truncated: true`); a response body is never buffered past that limit. Every
 * secret the worker holds is masked in the output (inside the strings of a JSON body, so
 * its shape is kept) before it leaves the activity: an upstream that echoes the
 * credential it was sent would otherwise put it in history and in the next model request.
 * An output over 8 KiB (masked the same way) goes to the claim-check store and history keeps
 * its reference (activities/stored-transcript.ts), unless the request asks for it inline.
 */
import type { JsonValue } from '../contract/plan.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { createCallMcpTool } from './call-mcp-tool.ts';
import { activityFailure, classifyToolError, retryAfterMs } from './classify-failure.ts';
import { readContractResponse } from './tool-contract-response.ts';
import type { ActivityRuntime } from './deps.ts';
import { createRedactor, redactDeep, type Redactor } from './redact.ts';
import { authHeaders } from './tool-auth.ts';
import { limitOutput, readCapped, truncationMarker } from './tool-output.ts';
import type { ToolCallRequest, ToolCallResult } from '../contract/activity-io.ts';
import { storeLargeOutput } from './stored-transcript.ts';

/** Creates the `callTool` activity function over the given runtime. */
export function createCallTool(runtime: ActivityRuntime): (request: ToolCallRequest) => Promise<ToolCallResult> {
  const callMcpTool = createCallMcpTool(runtime);
  return async function callTool(request: ToolCallRequest): Promise<ToolCallResult> {
    const result = request.tool.type === 'mcp' ? await callMcpTool(request) : await callHttpTool(request, runtime);
    // Written before the result (and so the reference) reaches history.
    return request.inlineOutput ? result : storeLargeOutput(runtime.blobs, result);
  };
}

async function callHttpTool(request: ToolCallRequest, runtime: ActivityRuntime): Promise<ToolCallResult> {
  const started = performance.now();
  const { tool } = request;
  const context = currentActivityContext();
  const cancellationSignal = context?.cancellationSignal;
  const subject = `${tool.id.namespace}/${tool.id.name}`;
  let redact: Redactor = createRedactor([]);
  try {
    if (!tool.endpoint) {
      throw activityFailure('TOOL_CONFIG_INVALID', `tool ${subject}: http tool has no endpoint`, { details: { tool: subject } }, redact);
    }
    const auth = authHeaders(tool.auth, tool.endpoint, subject, runtime);
    redact = runtime.redactors.failure(auth.secrets);
    const clean = runtime.redactors.result(auth.secrets);

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
      ...auth.headers,
    };
    const info = context?.info;
    if (info?.workflowExecution) {
      // Stable across attempts of this activity, distinct between activities: what a
      // tool needs to deduplicate a retried side effect.
      headers['idempotency-key'] = `${info.workflowExecution.workflowId}/${info.activityId}`;
    }

    const timeoutSignal = AbortSignal.timeout(Math.max(1, tool.timeoutMs));
    const signal = cancellationSignal ? AbortSignal.any([cancellationSignal, timeoutSignal]) : timeoutSignal;
    const endpoint = tool.endpoint;

    return await withHeartbeat(context, runtime.heartbeatIntervalMs, async () => {
      const response = await runtime.http.fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(request.call.input ?? null),
        signal,
      });
      const status = response.status;
      const details = { tool: subject, statusCode: status };
      if (status === 401 || status === 403) {
        await response.body?.cancel().catch(() => {});
        throw activityFailure('TOOL_AUTH_FAILED', `tool ${subject} rejected the credentials (${status})`, { details }, redact);
      }
      if (status === 429 || status === 408 || status >= 500) {
        const body = await readCapped(response.body, 1024, 0)
          .then((read) => Buffer.from(read.bytes).toString('utf8'))
          .catch(() => '');
        const delay = retryAfterMs(response.headers);
        throw activityFailure(
          'TOOL_UNAVAILABLE',
          // Redact before cutting: a cut through a secret would leave a prefix no redactor matches.
          `tool ${subject} unavailable (${status})${body ? `: ${redact.cut(body).slice(0, 200)}` : ''}`,
          { nextRetryDelayMs: delay, details: { ...details, ...(delay !== undefined ? { retryAfterMs: delay } : {}) } },
          redact
        );
      }
      const { output, truncated } = await readBody(response, subject, redact, clean, runtime.maxToolOutputBytes);
      // 2xx: the tool's answer. Any other status (4xx, or an unexpected 1xx/3xx, since
      // redirects are not followed): the request was wrong; the model sees the tool's
      // answer and can correct its input.
      const isError = !(status >= 200 && status < 300);
      const contract = isError || truncated ? { kind: 'plain' as const } : readContractResponse(output);
      if (contract.kind === 'ok') return { output: contract.output, isError: false, durationMs: elapsed(started), truncated };
      if (contract.kind === 'error') {
        // An Orloj contract error the tool calls retryable is retried like a 5xx; otherwise the model hears it.
        if (contract.retryable) {
          throw activityFailure('TOOL_UNAVAILABLE', `tool ${subject} reported a retryable error: ${String(contract.output.message)}`, { details: { ...details, error: contract.output.error ?? null } }, redact);
        }
        return { output: contract.output, isError: true, durationMs: elapsed(started), truncated };
      }
      return { output, isError, durationMs: elapsed(started), truncated };
    });
  } catch (error) {
    throw classifyToolError(error, { redact, cancellationSignal, subject });
  }
}

/** Whole milliseconds since `started` (a `performance.now()` reading). */
export function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}

/**
 * The body as JSON when the response says it is JSON, else as text; cut to `maxBytes`
 * (a cut JSON body is returned as its text, marked); secrets masked by `clean`.
 */
async function readBody(
  response: Response,
  subject: string,
  redact: Redactor,
  clean: Redactor,
  maxBytes: number
): Promise<{ output: JsonValue; truncated: boolean }> {
  const read = await readCapped(response.body, maxBytes);
  const text = Buffer.from(read.bytes).toString('utf8');
  if (read.truncated) return { output: clean.cut(text) + truncationMarker(read.cutBytes, !read.exact), truncated: true };
  const contentType = response.headers.get('content-type') ?? '';
  if (!/[/+]json\b/i.test(contentType)) return { output: clean(text), truncated: false };
  if (text.trim() === '') return { output: null, truncated: false };
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    // A tool that claims JSON and sends something else is broken, not busy: retrying the
    // same call would get the same bytes.
    throw activityFailure(
      'TOOL_RESPONSE_INVALID',
      `tool ${subject} returned invalid JSON (status ${response.status})`,
      { details: { tool: subject, statusCode: response.status } },
      redact
    );
  }
  // Masked inside the parsed strings, not in the text: the output keeps the tool's JSON shape.
  return limitOutput(redactDeep(parsed, clean), maxBytes);
}
