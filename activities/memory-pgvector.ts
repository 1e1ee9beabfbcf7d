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
 */
import type { MemoryOperationResult } from '../contract/memory-io.ts';
import type { PlanMemory } from '../contract/plan.ts';
import {
  byKey,
  embed,
  embeddingText,
  EMBEDDING_DIMENSIONS,
  isMemoryCommand,
  memoryResults,
  parseMemoryCall,
  rankScored,
  type MemoryCommand,
} from '../validation/memory/memory-calls.ts';
import type { MemoryOperationRequest } from '../contract/memory-io.ts';

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

/** Orloj's table, with orch's embedding (256 dimensions), plus the record of applied writes. */
export const PGVECTOR_SCHEMA = [
  'CREATE EXTENSION IF NOT EXISTS vector',
  `CREATE TABLE IF NOT EXISTS orloj_memory (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     embedding vector(${EMBEDDING_DIMENSIONS}),
     created_at TIMESTAMPTZ DEFAULT now(),
     updated_at TIMESTAMPTZ DEFAULT now())`,
  'CREATE INDEX IF NOT EXISTS orloj_memory_embedding_idx ON orloj_memory USING hnsw (embedding vector_cosine_ops)',
  `CREATE TABLE IF NOT EXISTS orch_memory_requests (
     request_id TEXT PRIMARY KEY,
     result JSONB,
     applied_at TIMESTAMPTZ DEFAULT now())`,
  `DELETE FROM orch_memory_requests WHERE applied_at < now() - interval '${REQUEST_RETENTION}'`,
];

export async function initPgvectorSchema(db: SqlSession): Promise<void> {
  for (const statement of PGVECTOR_SCHEMA) await db.query(statement);
}

/** pgvector's text form of a vector; null for the zero vector (no words), which has no direction to compare. */
function vectorLiteral(values: readonly number[]): string | null {
  return values.some((x) => x !== 0) ? `[${values.join(',')}]` : null;
}

type Entry = { key: string; value: string };

/** Applies one memory tool call to a pgvector database. */
export async function applyPgvectorOperation(db: SqlDatabase, request: MemoryOperationRequest, type: PlanMemory['type']): Promise<MemoryOperationResult> {
  const command = parseMemoryCall(request.tool, request.input);
  if (!isMemoryCommand(command)) return command;
  switch (command.tool) {
    case 'memory.read': {
      const { rows } = await db.query<{ value: string }>('SELECT value FROM orloj_memory WHERE key = $1', [command.key]);
      return memoryResults.read(command.key, rows[0]?.value);
    }
    case 'memory.search':
      return memoryResults.search(type === 'vector' ? await vectorSearch(db, command.query, command.limit) : await keywordSearch(db, command.query, command.limit));
    case 'memory.list': {
      const { rows } = await db.query<Entry>('SELECT key, value FROM orloj_memory WHERE starts_with(key, $1)', [command.prefix]);
      return memoryResults.list(rows.sort((a, b) => byKey(a.key, b.key)));
    }
    case 'memory.write':
    case 'memory.ingest':
      return db.transaction((session) => writeOnce(session, request.requestId, command));
  }
}

async function keywordSearch(db: SqlSession, query: string, limit: number) {
  // The substring rule of keywordMatches, in SQL; ordered in code-unit order by the shared byKey.
  const { rows } = await db.query<Entry>(
    'SELECT key, value FROM orloj_memory WHERE strpos(lower(key), lower($1)) > 0 OR strpos(lower(value), lower($1)) > 0',
    [query]
  );
  return rows
    .sort((a, b) => byKey(a.key, b.key))
    .slice(0, limit)
    .map(({ key, value }) => ({ key, value }));
}

async function vectorSearch(db: SqlSession, query: string, limit: number) {
  const target = vectorLiteral(embed(query));
  if (target === null) return [];
  const { rows } = await db.query<{ key: string; value: string; score: number | string }>(
    `SELECT key, value, 1 - (embedding <=> $1::vector) AS score FROM orloj_memory
     WHERE embedding IS NOT NULL ORDER BY embedding <=> $1::vector LIMIT $2`,
    [target, limit]
  );
  return rankScored(rows.map((row) => ({ key: row.key, value: row.value, score: Number(row.score) })), limit);
}

async function writeOnce(session: SqlSession, requestId: string, command: Extract<MemoryCommand, { tool: 'memory.write' | 'memory.ingest' }>): Promise<MemoryOperationResult> {
  const claimed = await session.query('INSERT INTO orch_memory_requests (request_id) VALUES ($1) ON CONFLICT (request_id) DO NOTHING', [requestId]);
  if (claimed.rowCount === 0) {
    const { rows } = await session.query<{ result: MemoryOperationResult | string }>('SELECT result FROM orch_memory_requests WHERE request_id = $1', [requestId]);
    const recorded = rows[0]?.result;
    return typeof recorded === 'string' ? (JSON.parse(recorded) as MemoryOperationResult) : recorded!;
  }
  const entries: [string, string][] = command.tool === 'memory.write' ? [[command.key, command.value]] : command.chunks;
  for (const [key, value] of entries) {
    await session.query(
      `INSERT INTO orloj_memory (key, value, embedding, updated_at) VALUES ($1, $2, $3::vector, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, embedding = EXCLUDED.embedding, updated_at = now()`,
      [key, value, vectorLiteral(embed(embeddingText(key, value)))]
    );
  }
  const result = command.tool === 'memory.write' ? memoryResults.written(command.key) : memoryResults.ingested(command.source, command.chunks.length);
  await session.query('UPDATE orch_memory_requests SET result = $2::jsonb WHERE request_id = $1', [requestId, JSON.stringify(result)]);
  return result;
}
