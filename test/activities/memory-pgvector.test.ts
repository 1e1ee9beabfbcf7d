/**
 * The `pgvector` provider on real databases: PGlite with its vector extension in-process, and
 * the production path, the `pg` client over a socket (a PGlite socket server on a free port).
 * It answers every call as the `in-memory` store does, applies a retried write once, and keeps
 * an embedded Memory's entries in its directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryOperationRequest, MemoryOperationResult } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName, PlanMemory } from '../../contract/plan.ts';
import { orchHome } from '../../dev-server/state-dir.ts';
import { defaultMemoryHome, embeddedMemoryDir, MemoryDatabases, pgDatabase, pgliteDatabase } from '../../activities/memory-databases.ts';
import { applyPgvectorOperation, initPgvectorSchema, type SqlDatabase } from '../../activities/memory-pgvector.ts';
import { applyMemoryOperation, emptyStore } from '../../workflows/memory-store.ts';

type Step = [MemoryToolName, JsonValue];
const RUNBOOK = 'When checkout returns HTTP 503 after a deploy, pause the rollout. Then roll back the release and tell the VIP merchants. '.repeat(12);

/** A script touching every tool, its defaults and its errors. */
const SCRIPT: Step[] = [
  ['memory.write', { key: ' incident/facts ', value: 'Rollback completed at 14:17; VIP merchants informed' }],
  ['memory.write', { key: 'triage/recommendation', value: 'keep the release paused' }],
  ['memory.write', { key: 'constructor', value: 'a key like any other' }],
  ['memory.write', { key: '__proto__', value: 'so is this one' }],
  ['memory.read', { key: '__proto__' }],
  ['memory.write', { key: 'percent_100%', value: 'prefix characters are literal' }],
  ['memory.write', { key: '   ', value: 'no key' }],
  ['memory.ingest', { source: 'runbook', content: RUNBOOK, chunk_size: 300, overlap: 50 }],
  ['memory.ingest', { source: 'empty', content: '  ' }],
  ['memory.read', { key: 'incident/facts' }],
  ['memory.read', { key: 'nope' }],
  ['memory.read', { key: '' }],
  ['memory.list', { prefix: 'triage/' }],
  ['memory.list', { prefix: 'percent_1' }],
  ['memory.list', { prefix: 'percent_%' }],
  ['memory.list', {}],
  ['memory.search', { query: 'VIP' }],
  ['memory.search', { query: 'chunk', top_k: 2 }],
  ['memory.search', { query: ' ' }],
  ['memory.write', { key: 'triage/recommendation', value: 'roll back release 2026.03.18.2' }],
  ['memory.read', { key: 'triage/recommendation' }],
];
const VECTOR_SEARCHES: Step[] = [
  ['memory.search', { query: 'first operator action when checkout returns HTTP 503 after a deploy', top_k: 3 }],
  ['memory.search', { query: 'rollback VIP merchants' }],
  ['memory.search', { query: 'zebra unicorn' }],
  ['memory.search', { query: '!!!' }],
];

let sequence = 0;
function request(tool: MemoryToolName, input: JsonValue, type: PlanMemory['type'], requestId = `r-${++sequence}`): MemoryOperationRequest {
  return { requestId, tool, input, type, maxEntries: 100_000, maxBytes: 100_000_000 };
}

/** Scores to five places: pgvector computes in single precision, the in-memory store in double. */
function comparable(result: MemoryOperationResult): unknown {
  return JSON.parse(JSON.stringify(result), (key, value) => (key === 'score' && typeof value === 'number' ? Math.round(value * 1e5) / 1e5 : value));
}

async function conformance(db: SqlDatabase, type: PlanMemory['type']) {
  const state = emptyStore();
  const steps = type === 'vector' ? [...SCRIPT, ...VECTOR_SEARCHES] : SCRIPT;
  for (const [tool, input] of steps) {
    const expected = applyMemoryOperation(state, request(tool, input, type));
    const actual = await applyPgvectorOperation(db, request(tool, input, type), type);
    expect([tool, input, comparable(actual)]).toEqual([tool, input, comparable(expected)]);
  }
}

async function freshPglite() {
  const db = await pgliteDatabase();
  await initPgvectorSchema(db);
  return db;
}

describe('pgvector on PGlite in-process', () => {
  it('keyword memories answer every call as the in-memory store does', async () => {
    const db = await freshPglite();
    await conformance(db, 'keyword');
    await db.close();
  });

  it('vector memories rank by cosine in SQL (pgvector <=>) as the in-memory store does in JS', async () => {
    const db = await freshPglite();
    await conformance(db, 'vector');
    const { rows } = await db.query<{ key: string }>('SELECT key FROM orloj_memory WHERE embedding IS NULL');
    expect(rows).toEqual([]);
    await db.close();
  });

  it('a retried write is answered from its record and applied once, even when the key changed since', async () => {
    const db = await freshPglite();
    const first = await applyPgvectorOperation(db, request('memory.write', { key: 'decision', value: 'roll back' }, 'keyword', 'run-1/act-1'), 'keyword');
    await applyPgvectorOperation(db, request('memory.write', { key: 'decision', value: 'hold' }, 'keyword', 'run-1/act-2'), 'keyword');
    const retried = await applyPgvectorOperation(db, request('memory.write', { key: 'decision', value: 'roll back' }, 'keyword', 'run-1/act-1'), 'keyword');
    expect(retried).toEqual(first);
    expect((await applyPgvectorOperation(db, request('memory.read', { key: 'decision' }, 'keyword'), 'keyword')).output).toEqual({ found: true, key: 'decision', value: 'hold' });
    const ingest = request('memory.ingest', { source: 'doc', content: 'x'.repeat(2500) }, 'keyword', 'run-1/act-3');
    const results = await Promise.all([applyPgvectorOperation(db, ingest, 'keyword'), applyPgvectorOperation(db, ingest, 'keyword')]);
    expect(results[0]).toEqual(results[1]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_memory_requests');
    expect(rows[0]!.n).toBe(3);
    await db.close();
  });

  it('a write that fails leaves no claim: its retry applies it', async () => {
    const db = await freshPglite();
    await db.query('ALTER TABLE orloj_memory ADD CONSTRAINT short_values CHECK (length(value) < 5)');
    await expect(applyPgvectorOperation(db, request('memory.write', { key: 'k', value: 'too long' }, 'keyword', 'once'), 'keyword')).rejects.toMatchObject({ code: '23514' });
    await db.query('ALTER TABLE orloj_memory DROP CONSTRAINT short_values');
    expect((await applyPgvectorOperation(db, request('memory.write', { key: 'k', value: 'too long' }, 'keyword', 'once'), 'keyword')).output).toEqual({ status: 'ok', key: 'k' });
    expect((await applyPgvectorOperation(db, request('memory.read', { key: 'k' }, 'keyword'), 'keyword')).output).toMatchObject({ value: 'too long' });
    await db.close();
  });
});

describe('pgvector through the pg client over a socket', () => {
  let server: PGLiteSocketServer;
  let backing: Awaited<ReturnType<typeof pgliteDatabase>>;
  let url: string;
  beforeAll(async () => {
    backing = await pgliteDatabase();
    server = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await server.start();
    url = `postgres://postgres@${server.getServerConn()}/postgres`;
  });
  afterAll(async () => {
    await server.stop();
    await backing.close();
  });

  it('creates Orloj\'s layout, answers as the in-memory store does, and applies a retried write once', async () => {
    const db = await pgDatabase(url);
    await initPgvectorSchema(db);
    await initPgvectorSchema(db);
    const { rows } = await db.query<{ column_name: string; udt_name: string }>(
      "SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = 'orloj_memory' ORDER BY ordinal_position"
    );
    expect(rows.map((r) => [r.column_name, r.udt_name])).toEqual([['key', 'text'], ['value', 'text'], ['embedding', 'vector'], ['created_at', 'timestamptz'], ['updated_at', 'timestamptz']]);
    await conformance(db, 'vector');
    const write = request('memory.write', { key: 'once', value: 'v' }, 'vector', 'socket/retry');
    expect(await applyPgvectorOperation(db, write, 'vector')).toEqual(await applyPgvectorOperation(db, write, 'vector'));
    const recorded = await db.query<{ result: unknown }>("SELECT result FROM orch_memory_requests WHERE request_id = 'socket/retry'");
    expect(recorded.rows).toEqual([{ result: { output: { status: 'ok', key: 'once' }, isError: false } }]);
    await db.close();
  });
});

describe('embedded databases', () => {
  it('live under $ORCH_HOME/memory/<namespace>/<name>, ORCH_HOME resolved as the dev server resolves it', () => {
    for (const env of [{ ORCH_HOME: 'rel/home' }, { XDG_STATE_HOME: '/xdg' }, { XDG_STATE_HOME: 'relative' }, {}]) {
      expect(defaultMemoryHome(env)).toBe(path.join(orchHome(env), 'memory'));
    }
    expect(embeddedMemoryDir('/h/memory', { id: { namespace: 'team', name: 'notes' } })).toBe('/h/memory/team/notes');
    for (const name of ['..', '.', 'a/b', 'a\\b', '']) expect(embeddedMemoryDir('/h/memory', { id: { namespace: 'team', name } })).toBeNull();
  });

  it('keep their entries across worker runtimes; two runtimes of one process share one database', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'orch-memory-home-'));
    const memory: PlanMemory = { id: { namespace: 'team', name: 'notes' }, type: 'keyword', provider: 'pgvector', embeddingModel: null, maxEntries: 1, maxBytes: 1 };
    const dir = embeddedMemoryDir(home, memory)!;
    try {
      const first = new MemoryDatabases(home);
      const second = new MemoryDatabases(home);
      const a = await first.open(memory, dir);
      expect(await second.open(memory, dir)).toBe(a);
      await applyPgvectorOperation(a, request('memory.write', { key: 'kept', value: 'across restarts' }, 'keyword'), 'keyword');
      await first.close();
      // Still open for the second runtime.
      expect((await applyPgvectorOperation(a, request('memory.list', {}, 'keyword'), 'keyword')).output).toMatchObject({ count: 1 });
      await second.close();
      const reopened = new MemoryDatabases(home);
      const b = await reopened.open(memory, dir);
      expect(b).not.toBe(a);
      expect((await applyPgvectorOperation(b, request('memory.read', { key: 'kept' }, 'keyword'), 'keyword')).output).toEqual({ found: true, key: 'kept', value: 'across restarts' });
      await reopened.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
