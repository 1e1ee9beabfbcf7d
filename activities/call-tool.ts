/**
 * The `callTool` activity: runs one tool call the model asked for. HTTP tools only for
 * now; MCP tools are refused with a typed failure until the worker supports them.
 *
 * Outcomes: a 2xx is the tool's output; another 4xx is returned to the model as an error
 * result so it can correct its input; auth failures end the call; rate limits, outages,
 * timeouts and network errors are retryable failures for Temporal's retry policy. Retries
 * carry the same `Idempotency-Key`, so a tool that honours it runs the call once.
 */
import type { JsonValue, PlanTool } from '../compiler/plan.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { activityFailure, classifyToolError, retryAfterMs } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { createRedactor, type Redact } from './redact.ts';
import { resolveSecret } from './secrets.ts';
import type { ToolCallRequest, ToolCallResult } from './types.ts';

/**
 * Response bodies above this are refused: activity results live in history, where a
 * payload over 2 MiB fails outright and large ones crowd the 50 MiB history limit.
 */
export const MAX_TOOL_RESPONSE_BYTES = 1024 * 1024;

/** Creates the `callTool` activity function over the given runtime. */
export function createCallTool(runtime: ActivityRuntime): (request: ToolCallRequest) => Promise<ToolCallResult> {
  return async function callTool(request: ToolCallRequest): Promise<ToolCallResult> {
    const { tool } = request;
    const context = currentActivityContext();
    const cancellationSignal = context?.cancellationSignal;
    const subject = `${tool.id.namespace}/${tool.id.name}`;
    let redact: Redact = createRedactor([]);
    try {
      if (tool.type === 'mcp') {
        throw activityFailure(
          'TOOL_CONFIG_INVALID',
          `tool ${subject}: MCP tools are not supported by this worker yet`,
          { nonRetryable: true, details: { tool: subject } },
          redact
        );
      }
      if (!tool.endpoint) {
        throw activityFailure('TOOL_CONFIG_INVALID', `tool ${subject}: http tool has no endpoint`, { nonRetryable: true, details: { tool: subject } }, redact);
      }
      const auth = authHeaders(tool, runtime);
      redact = createRedactor(auth.secrets);

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
      const doFetch = runtime.fetch ?? fetch;

      return await withHeartbeat(context, runtime.heartbeatIntervalMs, async () => {
        const response = await doFetch(tool.endpoint!, {
          method: 'POST',
          headers,
          body: JSON.stringify(request.call.input ?? null),
          signal,
        });
        const status = response.status;
        const details = { tool: subject, statusCode: status };
        if (status === 401 || status === 403) {
          await response.body?.cancel();
          throw activityFailure('TOOL_AUTH_FAILED', `tool ${subject} rejected the credentials (${status})`, { nonRetryable: true, details }, redact);
        }
        if (status === 429 || status === 408 || status >= 500) {
          const body = await readText(response, subject, redact).catch(() => '');
          const delay = retryAfterMs(response.headers);
          throw activityFailure(
            'TOOL_UNAVAILABLE',
            // Redact before cutting: a cut through a secret would leave a prefix no redactor matches.
            `tool ${subject} unavailable (${status})${body ? `: ${redact(body).slice(0, 200)}` : ''}`,
            { nonRetryable: false, nextRetryDelayMs: delay, details: { ...details, ...(delay !== undefined ? { retryAfterMs: delay } : {}) } },
            redact
          );
        }
        const output = await readBody(response, subject, redact);
        if (status >= 200 && status < 300) return { output, isError: false };
        // Any other status (4xx, or an unexpected 1xx/3xx): the request was wrong; the model
        // sees the tool's answer and can correct its input.
        return { output, isError: true };
      });
    } catch (error) {
      throw classifyToolError(error, { redact, cancellationSignal, subject });
    }
  };
}

interface AuthHeaders {
  headers: Record<string, string>;
  /** Every form of the credential that could appear in an error, for redaction. */
  secrets: string[];
}

function authHeaders(tool: PlanTool, runtime: ActivityRuntime): AuthHeaders {
  const auth = tool.auth;
  if (!auth) return { headers: {}, secrets: [] };
  const subject = `${tool.id.namespace}/${tool.id.name}`;
  const value = resolveSecret(auth.secretRef, runtime);
  switch (auth.profile) {
    case 'bearer':
      return { headers: { authorization: `Bearer ${value}` }, secrets: [value] };
    case 'api_key_header':
      if (!auth.headerName) {
        throw activityFailure('TOOL_CONFIG_INVALID', `tool ${subject}: auth profile api_key_header needs headerName`, { nonRetryable: true, details: { tool: subject } }, createRedactor([value]));
      }
      return { headers: { [auth.headerName.toLowerCase()]: value }, secrets: [value] };
    case 'basic': {
      // The secret holds `user:pass`, as in Orloj.
      const encoded = Buffer.from(value, 'utf8').toString('base64');
      const password = value.includes(':') ? value.slice(value.indexOf(':') + 1) : undefined;
      return { headers: { authorization: `Basic ${encoded}` }, secrets: [value, encoded, ...(password ? [password] : [])] };
    }
    case 'oauth2_client_credentials':
      throw activityFailure(
        'TOOL_CONFIG_INVALID',
        `tool ${subject}: auth profile oauth2_client_credentials is not supported by this worker yet`,
        { nonRetryable: true, details: { tool: subject } },
        createRedactor([value])
      );
  }
}

async function readText(response: Response, subject: string, redact: Redact): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  if (Number.isFinite(length) && length > MAX_TOOL_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw tooLarge(subject, redact);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_TOOL_RESPONSE_BYTES) throw tooLarge(subject, redact);
  return new TextDecoder().decode(bytes);
}

function tooLarge(subject: string, redact: Redact) {
  return activityFailure(
    'TOOL_RESPONSE_INVALID',
    `tool ${subject} returned more than ${MAX_TOOL_RESPONSE_BYTES} bytes`,
    { nonRetryable: true, details: { tool: subject, maxBytes: MAX_TOOL_RESPONSE_BYTES } },
    redact
  );
}

/** The body as JSON when the response says it is JSON, else as text. */
async function readBody(response: Response, subject: string, redact: Redact): Promise<JsonValue> {
  const text = await readText(response, subject, redact);
  const contentType = response.headers.get('content-type') ?? '';
  if (!/[/+]json\b/i.test(contentType)) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    // A tool that claims JSON and sends something else is broken, not busy: retrying the
    // same call would get the same bytes.
    throw activityFailure(
      'TOOL_RESPONSE_INVALID',
      `tool ${subject} returned invalid JSON (status ${response.status})`,
      { nonRetryable: true, details: { tool: subject, statusCode: response.status } },
      redact
    );
  }
}
