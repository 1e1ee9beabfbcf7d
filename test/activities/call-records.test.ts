/**
 * Call records of local model calls (`execution: local`): a local callModel writes its answer
 * to the store before it returns, and the same call again (the workflow task re-run after a
 * crash) answers from the record without calling the model; another call, or an activity of
 * its own, does not. A failure no retry changes is recorded too; a store that cannot be
 * written does not lose the answer. On the directory store and on PostgreSQL.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore, DirectoryBlobs } from '../../activities/blob-store.ts';
import { PostgresBlobs } from '../../activities/blob-store-postgres.ts';
import { closeActivities, createActivities } from '../../activities/index.ts';
import { createCallModel } from '../../activities/call-model.ts';
import { activityRuntime } from '../../activities/deps.ts';
import type { ModelCallRequest } from '../../contract/activity-io.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { pgliteSocket } from '../helpers/pglite-socket.ts';
import { applicationFailureOf, modelRequest, planModel } from '../helpers/activity-fixtures.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';

let server: OpenAICompatibleServer;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startOpenAICompatibleServer();
});
afterAll(async () => {
  await server.close();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orch-records-'));
  dirs.push(dir);
  return dir;
}

const localInfo = (activityId: string, isLocal = true) => ({ isLocal, activityId, activityType: 'callModel', workflowExecution: { workflowId: 'wf-records', runId: 'run-1' } });

/** Activities over a store in `dir` that may call the local test model, closed after `use`. */
async function withActivities(dir: string, use: (activities: ReturnType<typeof createActivities>) => Promise<void>): Promise<void> {
  const activities = createActivities({ blobStore: dir, manifests: { models: [request().model] }, network: { allowLoopback: true } });
  try {
    await use(activities);
  } finally {
    await closeActivities(activities);
  }
}

function request(overrides: Partial<ModelCallRequest> = {}): ModelCallRequest {
  return modelRequest({ model: planModel({ provider: 'openai-compatible', baseUrl: server.url, model: 'local-1', execution: 'local' }), ...overrides });
}

describe('call records', () => {
  it('the same local call again answers from its record; another call, or an activity, calls the model', async () => {
    const dir = freshDir();
    await withActivities(dir, async (activities) => {
      server.enqueue({ text: 'answer one', usage: { promptTokens: 11, completionTokens: 2 } });
      const before = server.requests.length;
      const first = await new MockActivityEnvironment(localInfo('3')).run(activities.callModel, request());
      expect(first).toMatchObject({ text: 'answer one', usage: { totalTokens: 13 }, call: { agent: 'research', model: 'local-1', toolErrors: [] } });
      expect(readdirSync(path.join(dir, 'records'))).toHaveLength(1);
      // The workflow task runs again on another worker: same run, same sequence number, same request.
      const again = await new MockActivityEnvironment(localInfo('3')).run(activities.callModel, request());
      expect(again).toEqual(first);
      expect(server.requests.length - before).toBe(1);

      server.enqueue({ text: 'answer two' }, { text: 'answer three' });
      expect(await new MockActivityEnvironment(localInfo('4')).run(activities.callModel, request())).toMatchObject({ text: 'answer two' });
      // An activity of its own keeps no record and echoes nothing: Temporal records its input.
      const activity = await new MockActivityEnvironment(localInfo('3', false)).run(activities.callModel, request());
      expect(activity.text).toBe('answer three');
      expect(activity.call).toBeUndefined();
      expect(server.requests.length - before).toBe(3);
    });
  });

  it('an answer too large for its workflow task is handed over, and the activity with answerOf brings it from the record', async () => {
    await withActivities(freshDir(), async (activities) => {
      server.enqueue({ text: 'w'.repeat(40_000), usage: { promptTokens: 5, completionTokens: 10_000 } });
      const before = server.requests.length;
      const stub = await new MockActivityEnvironment(localInfo('21')).run(activities.callModel, request());
      expect(stub).toMatchObject({ text: '', handedOver: { activityId: '21' }, usage: { totalTokens: 0 } });
      const brought = await new MockActivityEnvironment(localInfo('activity-9', false)).run(activities.callModel, request(), { answerOf: '21' });
      expect(brought).toMatchObject({ usage: { totalTokens: 10_005 } });
      expect(brought.text).toHaveLength(40_000);
      expect(server.requests.length - before).toBe(1);
    });
  });

  it('a forged answerOf reads nothing it should not: another request, another run; the local call keeps its record', async () => {
    await withActivities(freshDir(), async (activities) => {
      server.enqueue({ text: 'w'.repeat(40_000) });
      const before = server.requests.length;
      const stub = await new MockActivityEnvironment(localInfo('31')).run(activities.callModel, request());
      expect(stub).toMatchObject({ handedOver: { activityId: '31' } });
      // Same run, the record of call 31, but a request of its own: the model is asked, and call 31's record is left alone.
      server.enqueue({ text: 'asked anew' });
      const otherRequest = request({ messages: [{ role: 'user', content: 'tell me what call 31 was told' }] });
      expect(await new MockActivityEnvironment(localInfo('activity-40', false)).run(activities.callModel, otherRequest, { answerOf: '31' })).toMatchObject({ text: 'asked anew' });
      // Another run naming call 31: its key is that run's, so nothing is found.
      server.enqueue({ text: 'not yours' });
      const otherRun = { ...localInfo('activity-41', false), workflowExecution: { workflowId: 'wf-records', runId: 'run-2' } };
      expect(await new MockActivityEnvironment(otherRun).run(activities.callModel, request(), { answerOf: '31' })).toMatchObject({ text: 'not yours' });
      // Call 31 re-run after a crash still answers from its own record, and the real hand-over still brings it.
      expect(await new MockActivityEnvironment(localInfo('31')).run(activities.callModel, request())).toEqual(stub);
      const brought = await new MockActivityEnvironment(localInfo('activity-42', false)).run(activities.callModel, request(), { answerOf: '31' });
      expect(brought.text).toHaveLength(40_000);
      expect(server.requests.length - before).toBe(3);
    });
  });

  it('a failure no retry changes is recorded and thrown again, with what it spent; a retryable one is called again', async () => {
    await withActivities(freshDir(), async (activities) => {
      server.enqueue({ status: 400 });
      const failure = await applicationFailureOf(new MockActivityEnvironment(localInfo('7')).run(activities.callModel, request()));
      expect(failure).toMatchObject({ type: 'MODEL_REQUEST_INVALID', nonRetryable: true });
      const before = server.requests.length;
      const replayed = await applicationFailureOf(new MockActivityEnvironment(localInfo('7')).run(activities.callModel, request()));
      expect(replayed).toMatchObject({ type: 'MODEL_REQUEST_INVALID', nonRetryable: true, message: failure.message });
      expect(server.requests.length).toBe(before);

      server.enqueue({ status: 503 }, { text: 'recovered' });
      expect(await applicationFailureOf(new MockActivityEnvironment(localInfo('8')).run(activities.callModel, request()))).toMatchObject({ nonRetryable: false });
      expect(await new MockActivityEnvironment(localInfo('8')).run(activities.callModel, request())).toMatchObject({ text: 'recovered' });
    });
  });

  it('a record under the same key for another request is never an answer', async () => {
    await withActivities(freshDir(), async (activities) => {
      server.enqueue({ text: 'for the first request' }, { text: 'for the second request' });
      await new MockActivityEnvironment(localInfo('9')).run(activities.callModel, request());
      const other = await new MockActivityEnvironment(localInfo('9')).run(activities.callModel, request({ messages: [{ role: 'user', content: 'another question' }] }));
      expect(other.text).toBe('for the second request');
    });
  });

  it('a store that cannot be written loses no answer: the call returns it and the worker logs why', async () => {
    const broken = new BlobStore(
      Object.assign(new DirectoryBlobs(freshDir()), { writeRecord: () => Promise.reject(new Error('disk full')) }),
      'broken'
    );
    const runtime = activityRuntime({ manifests: { models: [request().model] }, network: { allowLoopback: true } });
    const env = new MockActivityEnvironment(localInfo('5'));
    try {
      server.enqueue({ text: 'kept anyway' });
      expect(await env.run(createCallModel({ ...runtime, blobs: broken }), request())).toMatchObject({ text: 'kept anyway' });
      // Too large to return in its workflow task, and no record to hand it over from: it comes back whole.
      server.enqueue({ text: 'z'.repeat(40_000) });
      const whole = await new MockActivityEnvironment(localInfo('15')).run(createCallModel({ ...runtime, blobs: broken }), request());
      expect(whole.handedOver).toBeUndefined();
      expect(whole.text).toHaveLength(40_000);
      expect(env.logs.some((log) => log.level === 'WARN' && String(log.meta?.error).includes('disk full'))).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});

describe('a call record that cannot be read', () => {
  it('fails the call STORE_UNAVAILABLE, retryable, before the model is called: it may have answered already', async () => {
    const unreadable = new BlobStore(
      Object.assign(new DirectoryBlobs(freshDir()), { readRecord: () => Promise.reject(new Error('connection refused')) }),
      'the test store'
    );
    const runtime = activityRuntime({ manifests: { models: [request().model] }, network: { allowLoopback: true } });
    try {
      const before = server.requests.length;
      const failure = await applicationFailureOf(new MockActivityEnvironment(localInfo('6')).run(createCallModel({ ...runtime, blobs: unreadable }), request()));
      expect(failure).toMatchObject({ type: 'STORE_UNAVAILABLE', nonRetryable: false });
      expect(server.requests.length).toBe(before);
    } finally {
      await runtime.close();
    }
  });
});

describe('call records in PostgreSQL', () => {
  const pg = pgliteSocket();

  it('are one row per key, replaced by each write', async () => {
    const backend = new PostgresBlobs(pg.url);
    const store = new BlobStore(backend, 'postgres');
    try {
      expect(await store.getRecord('a\u0000b')).toBeUndefined();
      await store.putRecord('a\u0000b', { attempt: 1 });
      await store.putRecord('a\u0000b', { attempt: 2 });
      expect(await store.getRecord('a\u0000b')).toEqual({ attempt: 2 });
      expect((await pg.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_call_records')).rows[0]!.n).toBe(1);
    } finally {
      await backend.close();
    }
  });
});
