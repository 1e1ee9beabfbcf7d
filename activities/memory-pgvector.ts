/**
 * The `pgvector` Memory provider: the built-in memory tools on a PostgreSQL table with the
 * pgvector extension, in Orloj's layout (`orloj_memory`: key, value, embedding, timestamps;
 * an HNSW cosine index). Arguments and results follow the shared rules of
 * validation/memory/memory-calls.ts, so a call answers as on the `in-memory` store.
 *
 * A write is applied exactly once across the activity's attempts: in one transaction it first
 * claims its request id in `orch_memory_requests` (a concurrent attempt waits on that row),
 * applies the upserts and records its result; a retried attempt finds the claim and is
 * answered with the recorded result.
 *
 * The table's `embedding` column has its embedder's dimensions (256 offline, the embedding
 * model's otherwise), fixed when the first write or search creates it; an embedder of other
 * dimensions is refused with a clear error rather than mixing vectors no search can compare.
 */
import type { MemoryOperationResult } from '../contract/memory-io.ts';
import type { PlanMemory } from '../contract/plan.ts';
import {
  byKey,
  EMBEDDING_DIMENSIONS,
  isMemoryCommand,
  memoryResults,
  parseMemoryCall,
  rankScored,
  type MemoryCommand,
} from '../validation/memory/memory-calls.ts';
import type { MemoryOperationRequest } from '../contract/memory-io.ts';
import { offlineEmbedder, type Embedder } from './embeddings.ts';

/** What the provider needs of a database connection: `pg`'s pool and PGlite alike. */
export interface SqlSession {
  query<Row extends object>(text: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface SqlDatabase extends SqlSession {
  /** Runs `work` in one transaction, committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Recorded write results are kept this long: an attempt is retried within its activity's timeouts, far sooner. */
const REQUEST_RETENTION = '7 days';

/** The record of applied writes, and the extension the entries' table needs. */
export const PGVECTOR_BASE_SCHEMA = [
  'CREATE EXTENSION IF NOT EXISTS vector',
  `CREATE TABLE IF NOT EXISTS orch_memory_requests (
     request_id TEXT PRIMARY KEY,
     result JSONB,
     applied_at TIMESTAMPTZ DEFAULT now())`,
  `DELETE FROM orch_memory_requests WHERE applied_at < now() - interval '${REQUEST_RETENTION}'`,
];

/** Orloj's table, its embedding of `dimensions`. */
function memoryTableSchema(dimensions: number): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS orloj_memory (
       key TEXT PRIMARY KEY,
       value TEXT NOT NULL,
       embedding vector(${dimensions}),
       created_at TIMESTAMPTZ DEFAULT now(),
       updated_at TIMESTAMPTZ DEFAULT now())`,
    'CREATE INDEX IF NOT EXISTS orloj_memory_embedding_idx ON orloj_memory USING hnsw (embedding vector_cosine_ops)',
  ];
}

/** The base schema and, when given dimensions, the entries' table (tests create it up front). */
export async function initPgvectorSchema(db: SqlSession, dimensions: number | null = EMBEDDING_DIMENSIONS): Promise<void> {
  for (const statement of PGVECTOR_BASE_SCHEMA) await db.query(statement);
  if (dimensions !== null) await ensureMemoryTable(db, dimensions);
}

/** The embedder's dimensions do not fit the table's: a configuration error, never retried. */
export class DimensionMismatchError extends Error {}

/** Tables verified per database: created if need be, dimensions checked. */
const verified = new WeakMap<SqlSession, Map<number, Promise<void>>>();

/** Creates `orloj_memory` with `dimensions` if it does not exist; refuses one of other dimensions. */
export function ensureMemoryTable(db: SqlSession, dimensions: number, source = "orch's offline embedding"): Promise<void> {
  let byDimension = verified.get(db);
  if (!byDimension) verified.set(db, (byDimension = new Map()));
  let done = byDimension.get(dimensions);
  if (!done) {
    done = createAndCheck(db, dimensions, source);
    byDimension.set(dimensions, done);
    // A failed check is not remembered: the next call looks again (the table may have been fixed).
    done.catch(() => byDimension.get(dimensions) === done && byDimension.delete(dimensions));
  }
  return done;
}

async function createAndCheck(db: SqlSession, dimensions: number, source: string): Promise<void> {
  for (const statement of memoryTableSchema(dimensions)) {
    try {
      await db.query(statement);
    } catch (error) {
      // Two sessions creating the table at once: the loser's statement fails; the table is there.
      if (!['23505', '42P07'].includes(String((error as { code?: unknown }).code))) throw error;
    }
  }
  const { rows } = await db.query<{ dimensions: number | string }>(
    "SELECT atttypmod AS dimensions FROM pg_attribute WHERE attrelid = to_regclass('orloj_memory') AND attname = 'embedding'"
  );
  const existing = Number(rows[0]?.dimensions ?? -1);
  if (existing > 0 && existing !== dimensions) {
    throw new DimensionMismatchError(
      `table orloj_memory holds ${existing}-dimension embeddings, and ${source} gives ${dimensions}: a table holds one embedder's vectors ` +
        '(give this Memory another database, or move the entries to a new table and let orch create it)'
    );
  }
}

/** PostgreSQL's `undefined_table`: nothing was ever written, so nothing is found. */
function isMissingTable(error: unknown): boolean {
  return (error as { code?: unknown }).code === '42P01';
}

/** pgvector's text form of a vector; null for the zero vector (no words), which has no direction to compare. */
function vectorLiteral(values: readonly number[]): string | null {
  return values.some((x) => x !== 0) ? `[${values.join(',')}]` : null;
}

type Entry = { key: string; value: string };

/** Rows of `text`, or none when the table does not exist yet. */
async function rowsOf<Row extends object>(db: SqlSession, text: string, params: unknown[]): Promise<Row[]> {
  try {
    return (await db.query<Row>(text, params)).rows;
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}

/** Applies one memory tool call to a pgvector database, embedding with `embedder` (orch's offline one by default). */
export async function applyPgvectorOperation(
  db: SqlDatabase,
  request: MemoryOperationRequest,
  type: PlanMemory['type'],
  embedder: Embedder = offlineEmbedder
): Promise<MemoryOperationResult> {
  const command = parseMemoryCall(request.tool, request.input);
  if (!isMemoryCommand(command)) return command;
  switch (command.tool) {
    case 'memory.read': {
      const rows = await rowsOf<{ value: string }>(db, 'SELECT value FROM orloj_memory WHERE key = $1', [command.key]);
      return memoryResults.read(command.key, rows[0]?.value);
    }
    case 'memory.search':
      return memoryResults.search(type === 'vector' ? await vectorSearch(db, command.query, command.limit, embedder) : await keywordSearch(db, command.query, command.limit));
    case 'memory.list': {
      const rows = await rowsOf<Entry>(db, 'SELECT key, value FROM orloj_memory WHERE starts_with(key, $1)', [command.prefix]);
      return memoryResults.list(rows.sort((a, b) => byKey(a.key, b.key)));
    }
    case 'memory.write':
    case 'memory.ingest': {
      const entries: [string, string][] = command.tool === 'memory.write' ? [[command.key, command.value]] : command.chunks;
      // Embedded before the transaction: a model call holds no row lock.
      const vectors = await embedder.embed(entries.map(([key, value]) => embedder.entryText(key, value)));
      await ensureMemoryTable(db, vectors[0]!.length, embedder.source);
      const rows = entries.map(([key, value], index): [string, string, number[]] => [key, value, vectors[index]!]);
      return db.transaction((session) => writeOnce(session, request.requestId, command, rows));
    }
  }
}

async function keywordSearch(db: SqlSession, query: string, limit: number) {
  // The substring rule of keywordMatches, in SQL; ordered in code-unit order by the shared byKey.
  const rows = await rowsOf<Entry>(
    db,
    'SELECT key, value FROM orloj_memory WHERE strpos(lower(key), lower($1)) > 0 OR strpos(lower(value), lower($1)) > 0',
    [query]
  );
  return rows
    .sort((a, b) => byKey(a.key, b.key))
    .slice(0, limit)
    .map(({ key, value }) => ({ key, value }));
}

async function vectorSearch(db: SqlSession, query: string, limit: number, embedder: Embedder) {
  const [vector] = await embedder.embed([query]);
  // Checked before comparing: `<=>` between vectors of two dimensions is an error, not a ranking.
  await ensureMemoryTable(db, vector!.length, embedder.source);
  const target = vectorLiteral(vector!);
  if (target === null) return [];
  const { rows } = await db.query<{ key: string; value: string; score: number | string }>(
    `SELECT key, value, 1 - (embedding <=> $1::vector) AS score FROM orloj_memory
     WHERE embedding IS NOT NULL ORDER BY embedding <=> $1::vector LIMIT $2`,
    [target, limit]
  );
  return rankScored(rows.map((row) => ({ key: row.key, value: row.value, score: Number(row.score) })), limit);
}

async function writeOnce(
  session: SqlSession,
  requestId: string,
  command: Extract<MemoryCommand, { tool: 'memory.write' | 'memory.ingest' }>,
  rows: readonly [string, string, number[]][]
): Promise<MemoryOperationResult> {
  const claimed = await session.query('INSERT INTO orch_memory_requests (request_id) VALUES ($1) ON CONFLICT (request_id) DO NOTHING', [requestId]);
  if (claimed.rowCount === 0) {
    const { rows } = await session.query<{ result: MemoryOperationResult | string }>('SELECT result FROM orch_memory_requests WHERE request_id = $1', [requestId]);
    const recorded = rows[0]?.result;
    return typeof recorded === 'string' ? (JSON.parse(recorded) as MemoryOperationResult) : recorded!;
  }
  for (const [key, value, vector] of rows) {
    await session.query(
      `INSERT INTO orloj_memory (key, value, embedding, updated_at) VALUES ($1, $2, $3::vector, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, embedding = EXCLUDED.embedding, updated_at = now()`,
      [key, value, vectorLiteral(vector)]
    );
  }
  const result = command.tool === 'memory.write' ? memoryResults.written(command.key) : memoryResults.ingested(command.source, command.chunks.length);
  await session.query('UPDATE orch_memory_requests SET result = $2::jsonb WHERE request_id = $1', [requestId, JSON.stringify(result)]);
  return result;
}
