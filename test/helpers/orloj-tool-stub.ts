/**
 * The local tool stub Orloj's scenarios-real expect on :18080 (its `live_tool_stub`),
 * re-made on a recording server: the same paths, the same contract-shaped answers
 * (`{tool_contract_version, status, output: {result}}`) and the same marker strings its
 * real-gate checks grep for. `/tool/retry-once` fails the first request of each distinct
 * body with a 500 and answers every later one, counting attempts per body.
 */
import { createHash } from 'node:crypto';
import { startRecordingServer, type HttpReply, type RecordedHttpRequest, type RecordingServer } from './http-server.ts';

/** The key `/tool/auth` requires in `X-Stub-Key` (the corpus's Secrets hold it). */
export const STUB_AUTH_KEY = 'stub-auth-key';

const field = (request: RecordedHttpRequest, key: string): string => {
  const value = (request.json as Record<string, unknown> | undefined)?.[key];
  return value === undefined || value === null || String(value).trim() === '' ? 'n/a' : String(value).trim();
};

const contract = (result: string): HttpReply => ({ body: { tool_contract_version: 'v1', status: 'ok', output: { result } } });

export interface OrlojToolStub extends RecordingServer {
  /** Requests to one path, e.g. `/tool/lookup`. */
  hits(path: string): RecordedHttpRequest[];
}

export async function startOrlojToolStub(): Promise<OrlojToolStub> {
  const retries = new Map<string, number>();
  const server = await startRecordingServer({
    respond: (request) => {
      const path = request.path.split('?')[0];
      switch (path) {
        case '/tool/smoke':
          return contract(`TOOL_ENDPOINT=smoke PAYLOAD_OK=true ECHO_GOAL=${field(request, 'goal')} ECHO_TIMESTAMP_HINT=${field(request, 'timestamp_hint')} STUB_HEALTH=healthy`);
        case '/tool/decision':
          return contract(`TOOL_ENDPOINT=decision DECISION_SOURCE=stub ECHO_GOAL=${field(request, 'goal')} ECHO_CLAIM=${field(request, 'claim')} EVIDENCE_TOKEN=external-check`);
        case '/tool/auth':
          if (request.headers['x-stub-key']?.trim() !== STUB_AUTH_KEY) return { status: 401, body: { error: 'missing or invalid auth header' } };
          return contract(`AUTH_STATUS=ok FLOW=contract-auth ECHO_GOAL=${field(request, 'goal')} HEADER_NAME=X-Stub-Key`);
        case '/tool/retry-once': {
          const key = createHash('sha256').update(`retry-once:${request.text.trim()}`).digest('hex').slice(0, 16);
          const attempt = (retries.get(key) ?? 0) + 1;
          retries.set(key, attempt);
          if (attempt === 1) return { status: 500, body: { error: 'transient stub failure', attempt: '1', key } };
          return contract(`RETRY_RESULT=recovered ATTEMPT=${attempt} RETRY_CASE=${field(request, 'retry_case')} BODY_HASH=${key}`);
        }
        case '/tool/lookup':
          return contract(`TOOL_ENDPOINT=lookup SOURCE=external-database ECHO_QUERY=${field(request, 'query')} MATCH_COUNT=3 TOP_RESULT=item-7842`);
        case '/tool/calculate':
          return contract(`TOOL_ENDPOINT=calculate EXPRESSION=${field(request, 'expression')} COMPUTED_RESULT=42 PRECISION=exact`);
        default:
          return { status: 404, body: { error: `no stub at ${path}` } };
      }
    },
  });
  return { ...server, hits: (path) => server.requests.filter((r) => r.path.split('?')[0] === path) };
}
