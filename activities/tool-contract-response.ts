/**
 * Orloj's tool contract v1 response envelope, read from an HTTP tool's 2xx JSON answer:
 * `{tool_contract_version, status, output: {result}, error: {code, reason, retryable, message}}`.
 * Orloj hands the model `output.result` when `status` is `ok`, and turns any other status
 * into a tool error. orch does the same, but only for a body that names its
 * `tool_contract_version`: Orloj reads every JSON body with a `status` field as an envelope,
 * which would turn an ordinary `{"status": "active", …}` answer into a failure.
 */
import type { JsonObject, JsonValue } from '../contract/plan.ts';

export type ContractReading =
  /** Not an envelope: the body is the tool's answer as it is. */
  | { kind: 'plain' }
  /** `status: ok`: the answer is `output.result` (the whole body when it has none). */
  | { kind: 'ok'; output: JsonValue }
  /** Any other status: the tool says it failed; `retryable` as its error says. */
  | { kind: 'error'; retryable: boolean; output: JsonObject };

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: JsonValue | undefined): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

export function readContractResponse(body: JsonValue): ContractReading {
  if (!isObject(body) || textOf(body.tool_contract_version) === null) return { kind: 'plain' };
  const status = textOf(body.status)?.toLowerCase();
  if (status === undefined) return { kind: 'plain' };
  if (status === 'ok') {
    const result = isObject(body.output) ? body.output.result : undefined;
    return { kind: 'ok', output: typeof result === 'string' ? result.trim() : body };
  }
  const failure = isObject(body.error) ? body.error : {};
  return {
    kind: 'error',
    retryable: failure.retryable === true,
    output: {
      error: textOf(failure.code) ?? 'tool_error',
      status,
      ...(textOf(failure.reason) ? { reason: textOf(failure.reason)! } : {}),
      message: textOf(failure.message) ?? (isObject(body.error) ? `tool reported status ${status}` : 'tool response missing error envelope'),
    },
  };
}
