/**
 * callTool against a real local HTTP endpoint.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { closeActivities, createActivities, type ActivityDeps } from '../../activities/index.ts';
import type { PlanTool } from '../../contract/plan.ts';
import type { ToolCallRequest } from '../../contract/activity-io.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { applicationFailureOf, dumpFailure, planTool, toolRequest } from '../helpers/activity-fixtures.ts';

const TOKEN = 'tool-token-NEVER-LOG-42';
const secretRef = { namespace: 'default', name: 'search-token', key: 'value' };
// The recording server listens on 127.0.0.1, which the network guard refuses by default.
const deps: ActivityDeps = { env: { ORCH_SECRET_SEARCH_TOKEN: TOKEN }, network: { allowLoopback: true } };
const ok = { isError: false, durationMs: expect.any(Number), truncated: false };

let server: RecordingServer;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  server = await startRecordingServer();
  // The token may go to the recording server (its owner bound it there).
  activities = createActivities({ ...deps, manifests: { secretDestinations: { 'default/search-token': [server.url] } } });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

function httpTool(overrides: Partial<PlanTool> = {}): PlanTool {
  return planTool({ endpoint: `${server.url}/search`, ...overrides });
}

afterAll(() => closeActivities(activities));

async function call(request: ToolCallRequest, options: { deps?: ActivityDeps; env?: MockActivityEnvironment } = {}) {
  const env = options.env ?? new MockActivityEnvironment({ activityId: '7', workflowExecution: { workflowId: 'run-123', runId: 'r' } });
  if (!options.deps) return env.run(activities.callTool, request);
  // A worker that loaded the request's Tool: its secret may go to the tool's endpoint.
  const own = createActivities({ manifests: { tools: [request.tool] }, ...options.deps });
  try {
    return await env.run(own.callTool, request);
  } finally {
    await closeActivities(own);
  }
}

function callFailure(request: ToolCallRequest): Promise<ApplicationFailure> {

  return applicationFailureOf(call(request));

}

describe('callTool over HTTP', () => {
  it('POSTs the JSON input with an Idempotency-Key and returns parsed JSON', async () => {
    server.enqueue({ body: { results: ['Paris'] } });
    const result = await call(toolRequest(httpTool()));
    expect(result).toEqual({ output: { results: ['Paris'] }, ...ok });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/search');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({ query: 'paris' });
    expect(request.headers['idempotency-key']).toBe('run-123/7');
    expect(request.headers.authorization).toBeUndefined();
  });

  it('returns a text body as a string', async () => {
    server.enqueue({ body: 'plain answer' });
    expect(await call(toolRequest(httpTool()))).toEqual({ output: 'plain answer', ...ok });
  });

  it.each<[string, PlanTool['auth'], string, string]>([
    ['bearer', { profile: 'bearer', secretRef, headerName: null, tokenUrl: null, scopes: [] }, 'authorization', `Bearer ${TOKEN}`],
    ['api_key_header', { profile: 'api_key_header', secretRef, headerName: 'X-Api-Key', tokenUrl: null, scopes: [] }, 'x-api-key', TOKEN],
  ])('sends %s auth', async (_profile, auth, header, value) => {
    await call(toolRequest(httpTool({ auth })));
    expect(server.requests[0]!.headers[header]).toBe(value);
  });

  it('sends basic auth from a user:pass secret', async () => {
    const auth = { profile: 'basic' as const, secretRef, headerName: null, tokenUrl: null, scopes: [] };
    await call(toolRequest(httpTool({ auth })), { deps: { env: {}, network: { allowLoopback: true }, secrets: { 'default/search-token': { value: 'alice:s3cret-pass' } } } });
    expect(server.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`);
  });

  it('returns another 4xx to the model as an error result', async () => {
    server.enqueue({ status: 422, body: { error: 'query too short' } });
    expect(await call(toolRequest(httpTool()))).toEqual({ output: { error: 'query too short' }, ...ok, isError: true });
  });

  it.each([
    [503, 'TOOL_UNAVAILABLE', false],
    [500, 'TOOL_UNAVAILABLE', false],
    [429, 'TOOL_UNAVAILABLE', false],
    [401, 'TOOL_AUTH_FAILED', true],
    [403, 'TOOL_AUTH_FAILED', true],
  ])('%i → %s (nonRetryable %s)', async (status, type, nonRetryable) => {
    server.enqueue({ status, body: 'nope' });
    const failure = await callFailure(toolRequest(httpTool()));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
  });

  it('honours retry-after on 429', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '4' } });
    expect((await callFailure(toolRequest(httpTool()))).nextRetryDelay).toBe(4000);
  });

  it('times out as a retryable TOOL_TIMEOUT', async () => {
    server.enqueue({ delayMs: 500, body: { late: true } });
    const failure = await callFailure(toolRequest(httpTool({ timeoutMs: 50 })));
    expect(failure.type).toBe('TOOL_TIMEOUT');
    expect(failure.nonRetryable).toBe(false);
  });

  it('a cancelled activity aborts the request and reports a cancellation', async () => {
    server.enqueue({ delayMs: 2_000, body: { late: true } });
    const env = new MockActivityEnvironment();
    const pending = call(toolRequest(httpTool()), { env });
    setTimeout(() => env.cancel(), 30);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  });

  it('a dropped connection is a retryable TOOL_UNAVAILABLE', async () => {
    server.enqueue({ drop: true });
    const failure = await callFailure(toolRequest(httpTool()));
    expect(failure.type).toBe('TOOL_UNAVAILABLE');
    expect(failure.nonRetryable).toBe(false);
  });

  it('invalid JSON from a JSON tool is a non-retryable TOOL_RESPONSE_INVALID', async () => {
    server.enqueue({ headers: { 'content-type': 'application/json' }, body: '{"broken": ' });
    const failure = await callFailure(toolRequest(httpTool()));
    expect(failure.type).toBe('TOOL_RESPONSE_INVALID');
    expect(failure.nonRetryable).toBe(true);
  });

  it('never puts the token in a failure, even when the tool echoes it', async () => {
    const auth = { profile: 'bearer' as const, secretRef, headerName: null, tokenUrl: null, scopes: [] };
    server.enqueue({ status: 503, body: `overloaded; you sent ${TOKEN}` });
    const failure = await callFailure(toolRequest(httpTool({ auth })));
    expect(failure.message).toContain('overloaded');
    expect(dumpFailure(failure)).not.toContain(TOKEN);
  });

  it('a missing secret is SECRET_NOT_FOUND and the endpoint is never called', async () => {
    const auth = { profile: 'bearer' as const, secretRef, headerName: null, tokenUrl: null, scopes: [] };
    await expect(call(toolRequest(httpTool({ auth })), { deps: { env: {}, network: { allowLoopback: true } } })).rejects.toMatchObject({ type: 'SECRET_NOT_FOUND', nonRetryable: true });
    expect(server.requests).toHaveLength(0);
  });
});

describe('callTool output size', () => {
  it('cuts a long text body at the limit with a marker and truncated: true', async () => {
    server.enqueue({ body: 'é'.repeat(50_000) }); // 100,000 bytes of UTF-8
    const result = await call(toolRequest(httpTool()), { deps: { ...deps, maxToolOutputBytes: 1001 } });
    expect(result.truncated).toBe(true);
    const output = result.output as string;
    // 1001 bytes end inside an 'é': the cut keeps 500 whole characters.
    expect(output).toBe(`${'é'.repeat(500)}…[truncated 99000 bytes]`);
  });

  it('returns a JSON body over the limit as marked text', async () => {
    server.enqueue({ body: { items: Array.from({ length: 5_000 }, (_, i) => `item-${i}`) } });
    const result = await call(toolRequest(httpTool()), { deps: { ...deps, maxToolOutputBytes: 2_000 } });
    expect(result.truncated).toBe(true);
    expect(result.output).toMatch(/^\{"items":\["item-0","item-1",.*…\[truncated \d+ bytes\]$/s);
  });

  it('keeps the default limit at 64 KiB and never buffers a huge body', async () => {
    server.enqueue({ body: 'y'.repeat(20 * 1024 * 1024) });
    // Inline: a result this large otherwise goes to the claim-check store (test/activities/blob-store.test.ts).
    const result = await call(toolRequest(httpTool(), { inlineOutput: true }));
    expect(result.truncated).toBe(true);
    const output = result.output as string;
    expect(output.startsWith('y'.repeat(64 * 1024))).toBe(true);
    expect(output).toMatch(/…\[truncated more than \d+ bytes\]$/);
  });
});

describe('callTool retries', () => {
  it('sends the same Idempotency-Key on every attempt of one activity, a different one for another activity', async () => {
    const attempt = (activityId: string, n: number) =>
      new MockActivityEnvironment({ activityId, attempt: n, workflowExecution: { workflowId: 'run-9', runId: `r${n}` } });
    server.enqueue({ status: 503 });
    await expect(call(toolRequest(httpTool()), { env: attempt('12', 1) })).rejects.toMatchObject({ type: 'TOOL_UNAVAILABLE' });
    await call(toolRequest(httpTool()), { env: attempt('12', 2) });
    await call(toolRequest(httpTool()), { env: attempt('13', 1) });
    const keys = server.requests.map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual(['run-9/12', 'run-9/12', 'run-9/13']);
  });
});

describe('callTool configuration', () => {
  it('refuses an MCP tool whose request carries no server', async () => {
    const tool = planTool({ type: 'mcp', endpoint: null, mcp: { server: 'default/fs', tool: 'read_file', discovered: false } });
    const failure = await callFailure(toolRequest(tool));
    expect(failure.type).toBe('TOOL_CONFIG_INVALID');
    expect(failure.nonRetryable).toBe(true);
  });

  it('refuses an http tool without an endpoint', async () => {
    const failure = await callFailure(toolRequest(planTool({ endpoint: null })));
    expect(failure.type).toBe('TOOL_CONFIG_INVALID');
    expect(failure.nonRetryable).toBe(true);
  });
});
