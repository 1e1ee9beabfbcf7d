/**
 * The `callMemory` activity on an `http` Memory, against a real local service speaking Orloj's
 * protocol: each tool is its request and answer shape, the bearer secret goes only to that
 * endpoint, the network guard applies, and a hostile service (non-JSON, huge, wrong shapes,
 * 5xx, slow, trickling, dropping) is a coded, retry-classified failure, never a crash or hang.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCallMemory } from '../../activities/call-memory.ts';
import { activityRuntime, type ActivityDeps } from '../../activities/deps.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName, PlanMemory } from '../../contract/plan.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startMemoryServer, type HostileReply, type MemoryServer } from '../helpers/memory-http-server.ts';

const TOKEN = 'memory-token-5f1c9a7e';
const secretRef = { namespace: 'team', name: 'memory-key', key: 'value' };
const server: MemoryServer = await startMemoryServer({ token: TOKEN });
afterAll(() => server.close());

function memory(overrides: Partial<PlanMemory> = {}): PlanMemory {
  return { id: { namespace: 'team', name: 'remote' }, type: 'keyword', provider: 'http', endpoint: server.url, secretRef, embeddingModel: null, maxEntries: 10, maxBytes: 1000, ...overrides };
}

function runtimeWith(deps: ActivityDeps = {}) {
  return activityRuntime({
    env: { ORCH_TOOLS_ALLOW_LOOPBACK: 'true' },
    secrets: { 'team/memory-key': { value: TOKEN } },
    // The worker loaded the Memory that declares this endpoint with this secret.
    manifests: { memories: [memory()] },
    memoryHttpTimeoutMs: 1_000,
    ...deps,
  });
}

const runtime = runtimeWith();
afterAll(() => runtime.close());

function call(name: MemoryToolName, input: JsonValue, options: { plan?: PlanMemory; activityId?: string; on?: ReturnType<typeof runtimeWith> } = {}) {
  const plan = options.plan ?? memory();
  const request: MemoryCallRequest = { agent: 'scribe', step: 1, memoryKey: 'team/remote', memory: plan, call: { id: 'c', name, input } };
  return new MockActivityEnvironment({ activityId: options.activityId ?? 'a-1' }).run(createCallMemory(options.on ?? runtime), request);
}

async function failureOf(promise: Promise<unknown>): Promise<{ type?: string; nonRetryable?: boolean; message: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should fail').toBeDefined();
  return error as { type?: string; nonRetryable?: boolean; message: string };
}

describe('callMemory on http: the protocol', () => {
  it('write, read, search, list and ingest are Orloj\'s requests, with the bearer token and an idempotency key', async () => {
    server.requests.length = 0;
    expect(await call('memory.write', { key: 'deploy/decision', value: 'Roll back the release' }, { activityId: 'w-1' })).toMatchObject({
      output: { status: 'ok', key: 'deploy/decision' },
      isError: false,
    });
    expect((await call('memory.read', { key: 'deploy/decision' })).output).toEqual({ found: true, key: 'deploy/decision', value: 'Roll back the release' });
    expect((await call('memory.read', { key: 'nothing' })).output).toEqual({ found: false, key: 'nothing' });
    expect((await call('memory.search', { query: 'ROLL', top_k: 3 })).output).toEqual({ results: [{ key: 'deploy/decision', value: 'Roll back the release', score: 1 }], count: 1 });
    expect((await call('memory.ingest', { source: 'runbook', content: 'abcdefghij', chunk_size: 6, overlap: 2 }, { activityId: 'i-1' })).output).toEqual({
      status: 'ok',
      source: 'runbook',
      chunks_stored: 2,
    });
    expect((await call('memory.list', { prefix: 'runbook/' })).output).toEqual({
      entries: [
        { key: 'runbook/chunk-0000', value: 'abcdef' },
        { key: 'runbook/chunk-0001', value: 'efghij' },
      ],
      count: 2,
    });
    expect(server.requests.map((r) => [r.method, r.path.replace('/memory', ''), r.body])).toEqual([
      ['POST', '/put', { key: 'deploy/decision', value: 'Roll back the release' }],
      ['POST', '/get', { key: 'deploy/decision' }],
      ['POST', '/get', { key: 'nothing' }],
      ['POST', '/search', { query: 'ROLL', top_k: 3 }],
      ['POST', '/put', { key: 'runbook/chunk-0000', value: 'abcdef' }],
      ['POST', '/put', { key: 'runbook/chunk-0001', value: 'efghij' }],
      ['POST', '/list', { prefix: 'runbook/' }],
    ]);
    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.headers['content-type']).toBe('application/json');
    }
    // The same on every attempt of one call: the run, its id and the activity.
    expect(server.requests[0]!.headers['idempotency-key']).toBe('test-workflow/test-run/w-1');
  });

  it('a blank key is Orloj\'s error before any request; a 4xx is Orloj\'s error told to the model', async () => {
    server.requests.length = 0;
    expect(await call('memory.write', { key: '  ', value: 'x' })).toMatchObject({ output: { error: 'memory.write: key is required' }, isError: true });
    expect(server.requests).toEqual([]);
    server.intercept = (r) => (r.path.endsWith('/put') ? { status: 422, body: JSON.stringify({ error: 'value too long' }) } : undefined);
    try {
      expect(await call('memory.write', { key: 'k', value: 'v' })).toMatchObject({ output: { error: 'memory.write: memory http /put: status 422: value too long' }, isError: true });
      expect(await call('memory.ingest', { source: 's', content: 'text' })).toMatchObject({
        output: { error: 'memory.ingest: failed writing chunk 0: memory http /put: status 422: value too long' },
        isError: true,
      });
    } finally {
      server.intercept = undefined;
    }
  });

  it('a service without auth.secretRef gets no Authorization header', async () => {
    const open = await startMemoryServer();
    const plan = memory({ endpoint: open.url, secretRef: undefined });
    try {
      expect((await call('memory.list', {}, { plan })).output).toEqual({ entries: [], count: 0 });
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});

describe('callMemory on http: the secret goes only to its endpoint', () => {
  it('a Memory pointing the secret at another endpoint is refused before any request (SECRET_DESTINATION_DENIED)', async () => {
    const elsewhere = await startMemoryServer();
    try {
      const failure = await failureOf(call('memory.read', { key: 'k' }, { plan: memory({ endpoint: elsewhere.url }) }));
      expect(failure).toMatchObject({ type: 'SECRET_DESTINATION_DENIED', nonRetryable: true });
      expect(failure.message).not.toContain(TOKEN);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it('loopback is refused unless the worker allows it, as for tools (TOOL_ENDPOINT_FORBIDDEN)', async () => {
    const guarded = runtimeWith({ env: {} });
    const before = server.requests.length;
    try {
      expect(await failureOf(call('memory.read', { key: 'k' }, { on: guarded }))).toMatchObject({ type: 'TOOL_ENDPOINT_FORBIDDEN', nonRetryable: true });
      expect(server.requests.length).toBe(before);
    } finally {
      await guarded.close();
    }
  });

  it('a missing secret is SECRET_NOT_FOUND', async () => {
    const bare = runtimeWith({ secrets: {} });
    try {
      expect(await failureOf(call('memory.read', { key: 'k' }, { on: bare }))).toMatchObject({ type: 'SECRET_NOT_FOUND', nonRetryable: true });
    } finally {
      await bare.close();
    }
  });

  it('a service that echoes the token has it masked in what the model and history get', async () => {
    server.intercept = (r) => (r.path.endsWith('/get') ? { body: JSON.stringify({ found: true, key: 'k', value: `you sent ${TOKEN}` }) } : undefined);
    try {
      const result = await call('memory.read', { key: 'k' });
      expect(JSON.stringify(result)).not.toContain(TOKEN);
      expect(result.output).toMatchObject({ found: true, key: 'k' });
    } finally {
      server.intercept = undefined;
    }
  });
});

describe('callMemory on http: a hostile service', () => {
  const cases: [string, HostileReply, MemoryToolName, JsonValue, string, boolean][] = [
    ['non-JSON', { body: '<html>oops</html>' }, 'memory.read', { key: 'k' }, 'TOOL_RESPONSE_INVALID', true],
    ['a JSON array', { body: '[1,2]' }, 'memory.list', {}, 'TOOL_RESPONSE_INVALID', true],
    ['found as a string', { body: '{"found":"yes","value":"v"}' }, 'memory.read', { key: 'k' }, 'TOOL_RESPONSE_INVALID', true],
    ['results not an array', { body: '{"results":"many"}' }, 'memory.search', { query: 'q' }, 'TOOL_RESPONSE_INVALID', true],
    ['an entry without a value', { body: '{"entries":[{"key":"k"}]}' }, 'memory.list', {}, 'TOOL_RESPONSE_INVALID', true],
    ['a score as text', { body: '{"results":[{"key":"k","value":"v","score":"high"}]}' }, 'memory.search', { query: 'q' }, 'TOOL_RESPONSE_INVALID', true],
    ['2 MiB', { body: `{"entries":[{"key":"k","value":"${'x'.repeat(2 * 1024 * 1024)}"}]}` }, 'memory.list', {}, 'TOOL_RESPONSE_INVALID', true],
    ['503', { status: 503, body: '{"error":"overloaded"}', headers: { 'retry-after': '1' } }, 'memory.write', { key: 'k', value: 'v' }, 'TOOL_UNAVAILABLE', false],
    ['429', { status: 429 }, 'memory.read', { key: 'k' }, 'TOOL_UNAVAILABLE', false],
    ['401', { status: 401, body: '{"error":"bad token"}' }, 'memory.read', { key: 'k' }, 'TOOL_AUTH_FAILED', true],
    ['no answer in time', { delayMs: 3_000, body: '{}' }, 'memory.read', { key: 'k' }, 'TOOL_TIMEOUT', false],
    ['a body that never ends', { trickleMs: 200, body: '{"found":true,"key":"k","value":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}' }, 'memory.read', { key: 'k' }, 'TOOL_TIMEOUT', false],
    ['a dropped connection', { drop: true }, 'memory.read', { key: 'k' }, 'TOOL_UNAVAILABLE', false],
  ];
  it.each(cases)('%s: %s', async (_name, reply, tool, input, type, nonRetryable) => {
    server.intercept = () => reply;
    try {
      const started = Date.now();
      const failure = await failureOf(call(tool, input));
      expect(failure).toMatchObject({ type, nonRetryable });
      expect(failure.message).not.toContain(TOKEN);
      // Bounded by the call's deadline (1 s here), never hanging on the service.
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      server.intercept = undefined;
    }
  });

  it('a 503 carries the service\'s retry-after to Temporal', async () => {
    server.intercept = () => ({ status: 503, headers: { 'retry-after': '2' } });
    try {
      const failure = (await failureOf(call('memory.read', { key: 'k' }))) as { nextRetryDelay?: unknown };
      expect(failure.nextRetryDelay).toBe(2_000);
    } finally {
      server.intercept = undefined;
    }
  });
});
