/**
 * The claim-check store and what the activities keep in it: content-addressed writes, reads
 * checked against their digest (a tampered or missing blob is a coded failure), transcripts
 * stored as chains of deltas, and large tool outputs replaced by references, on the embedded
 * directory store and on PostgreSQL (PGlite over its socket server).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore, DirectoryBlobs, openBlobStore, sha256Hex } from '../../activities/blob-store.ts';
import { PostgresBlobs } from '../../activities/blob-store-postgres.ts';
import { closeActivities, createActivities } from '../../activities/index.ts';
import { loadTranscript, storeTranscript, STORE_TOOL_OUTPUT_OVER_BYTES } from '../../activities/stored-transcript.ts';
import type { ChatMessage, ModelCallRequest } from '../../contract/activity-io.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { pgliteSocket } from '../helpers/pglite-socket.ts';
import { applicationFailureOf, modelRequest, planTool, toolRequest } from '../helpers/activity-fixtures.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orch-blobs-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function blobFile(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), sha256);
}

describe('the directory store', () => {
  it('stores by sha256, once, and reads back what it stored', async () => {
    const dir = freshDir();
    const store = new BlobStore(new DirectoryBlobs(dir), dir);
    const bytes = Buffer.from('x'.repeat(10_000));
    const ref = await store.put(bytes);
    expect(ref).toEqual({ sha256: sha256Hex(bytes), bytes: 10_000 });
    expect(await new BlobStore(new DirectoryBlobs(dir), dir).put(bytes)).toEqual(ref);
    expect(readdirSync(path.join(dir, ref.sha256.slice(0, 2)))).toEqual([ref.sha256]);
    expect((await new BlobStore(new DirectoryBlobs(dir), dir).get(ref)).equals(bytes)).toBe(true);
  });

  it('a tampered blob is STORED_PAYLOAD_CORRUPT, a missing one STORED_PAYLOAD_MISSING, neither retried', async () => {
    const dir = freshDir();
    const ref = await new BlobStore(new DirectoryBlobs(dir), dir).put(Buffer.from('{"answer":42}'));
    writeFileSync(blobFile(dir, ref.sha256), '{"answer":43}');
    const tampered = await applicationFailureOf(new BlobStore(new DirectoryBlobs(dir), dir).get(ref));
    expect(tampered).toMatchObject({ type: 'STORED_PAYLOAD_CORRUPT', nonRetryable: true });
    writeFileSync(blobFile(dir, ref.sha256), '{"answer":42} ');
    expect((await applicationFailureOf(new BlobStore(new DirectoryBlobs(dir), dir).get(ref))).type).toBe('STORED_PAYLOAD_CORRUPT');
    rmSync(blobFile(dir, ref.sha256));
    const missing = await applicationFailureOf(new BlobStore(new DirectoryBlobs(dir), dir).get(ref));
    expect(missing).toMatchObject({ type: 'STORED_PAYLOAD_MISSING', nonRetryable: true });
    // A reference that is not a digest never becomes a path.
    const escape = await applicationFailureOf(new BlobStore(new DirectoryBlobs(dir), dir).get({ sha256: '../../etc/passwd', bytes: 1 }));
    expect(escape.type).toBe('STORED_PAYLOAD_CORRUPT');
  });
});

describe('a store the worker cannot use', () => {
  it('is STORE_UNAVAILABLE, retryable, naming the store: writes, reads and records alike', async () => {
    // A file where the store's directory should be: every operation fails with an I/O error.
    const file = path.join(freshDir(), 'not-a-directory');
    writeFileSync(file, 'x');
    const store = new BlobStore(new DirectoryBlobs(file), file);
    const attempts = [
      () => store.put(Buffer.from('bytes')),
      () => store.get({ sha256: sha256Hex(Buffer.from('bytes')), bytes: 5 }),
      () => store.putRecord('key', { a: 1 }),
      () => store.getRecord('key'),
    ];
    for (const attempt of attempts) {
      const failure = await applicationFailureOf(attempt());
      expect(failure).toMatchObject({ type: 'STORE_UNAVAILABLE', nonRetryable: false });
      expect(failure.message).toContain(file);
    }
  });
});

describe('stored transcripts', () => {
  const message = (i: number): ChatMessage => ({ role: 'user', content: `message ${i}` });

  it('are chains of deltas that load whole, and a tampered segment is a coded failure', async () => {
    const dir = freshDir();
    const store = new BlobStore(new DirectoryBlobs(dir), dir);
    const first = await storeTranscript(store, null, [message(1), message(2)]);
    const second = await storeTranscript(store, first, [message(3)]);
    expect(second.messages).toBe(3);
    // Stored again (a retried call): the same reference.
    expect(await storeTranscript(store, first, [message(3)])).toEqual(second);
    const fresh = () => new BlobStore(new DirectoryBlobs(dir), dir);
    expect(await loadTranscript(fresh(), second)).toEqual([message(1), message(2), message(3)]);
    // A reference claiming more messages than the chain holds is refused.
    expect((await applicationFailureOf(loadTranscript(fresh(), { ...second, messages: 4 }))).type).toBe('STORED_PAYLOAD_CORRUPT');
    writeFileSync(blobFile(dir, first.sha256), JSON.stringify({ v: 1, parent: null, messages: [message(1), { role: 'user', content: 'forged' }] }));
    expect((await applicationFailureOf(loadTranscript(fresh(), second))).type).toBe('STORED_PAYLOAD_CORRUPT');
  });
});

describe('the activities', () => {
  let stub: RecordingServer;
  beforeAll(async () => {
    stub = await startRecordingServer();
  });
  afterAll(() => stub.close());

  it('callTool stores a large output and returns its reference; callModel gives the model the stored transcript and outputs', async () => {
    const dir = freshDir();
    const tool = planTool({ endpoint: stub.url });
    const activities = createActivities({ blobStore: dir, manifests: { tools: [tool] }, network: { allowLoopback: true } });
    try {
      const big = { rows: 'r'.repeat(STORE_TOOL_OUTPUT_OVER_BYTES) };
      stub.enqueue({ body: big });
      const env = new MockActivityEnvironment();
      const result = await env.run(activities.callTool, toolRequest(tool));
      expect(result.stored).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: JSON.stringify(big).length });
      expect(result.output).toBe(`[stored output: ${result.stored!.bytes} bytes, sha256:${result.stored!.sha256}]`);
      // Small outputs, and outputs asked for inline, stay in the result.
      stub.enqueue({ body: { ok: true } });
      expect(await env.run(activities.callTool, toolRequest(tool))).toMatchObject({ output: { ok: true } });
      stub.enqueue({ body: big });
      expect(await env.run(activities.callTool, toolRequest(tool, { inlineOutput: true }))).toMatchObject({ output: big });

      const transcript: ChatMessage[] = [
        { role: 'user', content: 'fetch it' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: tool.name, input: {} }] },
        { role: 'tool', toolCallId: 'call_1', toolName: tool.name, output: result.output, isError: false, stored: result.stored! },
      ];
      const first = await env.run(activities.callModel, modelRequest({ messages: transcript.slice(0, 1), transcript: { base: null } }));
      expect(first.transcript).toMatchObject({ messages: 1 });
      const second = await env.run(
        activities.callModel,
        modelRequest({ step: 2, messages: transcript.slice(1), transcript: { base: first.transcript! } }) as ModelCallRequest
      );
      expect(second.transcript).toMatchObject({ messages: 3 });
      // The mock answers with the start of the last tool output it was given: the stored output, not the placeholder.
      expect(second.text).toContain('rrrr');
      expect(second.text).not.toContain('stored output');

      // Tampered with: the next call fails with a code, on a worker that has not read it yet.
      writeFileSync(blobFile(dir, result.stored!.sha256), JSON.stringify({ rows: 'forged' }));
      const other = createActivities({ blobStore: dir });
      try {
        const failure = await applicationFailureOf(
          new MockActivityEnvironment().run(other.callModel, modelRequest({ step: 2, messages: transcript.slice(1), transcript: { base: first.transcript! } }))
        );
        expect(failure).toMatchObject({ type: 'STORED_PAYLOAD_CORRUPT', nonRetryable: true });
      } finally {
        await closeActivities(other);
      }
    } finally {
      await closeActivities(activities);
    }
  });
});

describe('the PostgreSQL store', () => {
  const pg = pgliteSocket();

  it('stores once by sha256 and checks what it reads', async () => {
    // One backend (the socket server takes one connection); each BlobStore reads with a cache of its own.
    const backend = new PostgresBlobs(pg.url);
    const fresh = () => new BlobStore(backend, 'postgres');
    try {
      const bytes = Buffer.from('p'.repeat(20_000));
      const ref = await fresh().put(bytes);
      expect(await fresh().put(bytes)).toEqual(ref);
      expect((await pg.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_blobs')).rows[0]!.n).toBe(1);
      expect((await fresh().get(ref)).equals(bytes)).toBe(true);
      await pg.db.query('UPDATE orch_blobs SET bytes = $1 WHERE sha256 = $2', [Buffer.from('q'.repeat(20_000)), ref.sha256]);
      expect((await applicationFailureOf(fresh().get(ref))).type).toBe('STORED_PAYLOAD_CORRUPT');
      expect((await applicationFailureOf(fresh().get({ sha256: sha256Hex(Buffer.from('absent')), bytes: 6 }))).type).toBe('STORED_PAYLOAD_MISSING');
      expect(openBlobStore({}, pg.url).location).toBe('the PostgreSQL blob store');
    } finally {
      await backend.close();
    }
  });
});
