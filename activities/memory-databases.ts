/**
 * The databases of `pgvector` Memories, opened on first use and shared by the worker's calls:
 * a `pg` pool per connection string, or, for a Memory without an endpoint, an embedded PGlite
 * with its vector extension under `<memoryHome>/<namespace>/<name>`. An embedded database is
 * a directory one process may open at a time, so it is shared process-wide (every worker of
 * the process uses the same instance) and closed when its last runtime closes.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type pg from 'pg';
import type { PlanMemory } from '../contract/plan.ts';
import { initPgvectorSchema, type SqlDatabase, type SqlSession } from './memory-pgvector.ts';
import { loadPg } from './provider-sdks.ts';

/**
 * `$ORCH_HOME/memory`, with ORCH_HOME resolved as dev-server/state-dir.ts does (activities may
 * not import dev-server; test/activities/memory-pgvector.test.ts holds the two to one answer).
 */
export function defaultMemoryHome(env: NodeJS.ProcessEnv): string {
  const explicit = env.ORCH_HOME?.trim();
  const xdg = env.XDG_STATE_HOME?.trim();
  const home = explicit ? path.resolve(explicit) : xdg && path.isAbsolute(xdg) ? path.join(xdg, 'orch') : path.join(homedir(), '.local', 'state', 'orch');
  return path.join(home, 'memory');
}

/** Where an embedded Memory's database lives; null when its name could leave the directory. */
export function embeddedMemoryDir(memoryHome: string, memory: Pick<PlanMemory, 'id'>): string | null {
  const parts = [memory.id.namespace, memory.id.name];
  if (parts.some((part) => part === '' || part === '.' || part === '..' || /[/\\\0]/.test(part))) return null;
  return path.join(memoryHome, ...parts);
}

/** `endpoint` with `password` in it, unless it already has one (in its userinfo or a `password` parameter). */
export function withPassword(endpoint: string, password: string | undefined): string {
  if (!password) return endpoint;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return endpoint;
  }
  if (url.password !== '' || url.searchParams.has('password')) return endpoint;
  url.password = password;
  return url.href;
}

function pgSession(client: pg.Pool | pg.PoolClient): SqlSession {
  return {
    async query<Row extends object>(text: string, params?: unknown[]) {
      const result = await client.query<Row>(text, params);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  };
}

export async function pgDatabase(connectionString: string): Promise<SqlDatabase> {
  const { Pool } = await loadPg();
  const pool = new Pool({ connectionString, max: 4 });
  // An idle client's broken connection is reported here; the next query gets a new one.
  pool.on('error', () => {});
  return {
    ...pgSession(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(pgSession(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function pgliteSession(db: PGlite | Transaction): SqlSession {
  return {
    async query<Row extends object>(text: string, params?: unknown[]) {
      const result = await db.query<Row>(text, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
    },
  };
}

/** PGlite with the vector extension: in memory without `dataDir`, else in that directory. */
export async function pgliteDatabase(dataDir?: string): Promise<SqlDatabase & { pglite: PGlite }> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Loaded on first use: a worker whose runs keep no embedded memory never spends the ~50 ms.
  const [{ PGlite }, { vector }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector')]);
  const db = await PGlite.create(dataDir ?? 'memory://', { extensions: { vector } });
  return {
    pglite: db,
    ...pgliteSession(db),
    transaction: (work) => db.transaction((tx) => work(pgliteSession(tx))),
    close: () => db.close(),
  };
}

interface Opened {
  db: Promise<SqlDatabase>;
  users: number;
}

/** Embedded databases of this process, by directory. */
const embedded = new Map<string, Opened>();

/** The base schema in place; the entries' table waits for its first write or search, which knows the dimensions. */
function ready(db: Promise<SqlDatabase>): Promise<SqlDatabase> {
  return db.then(async (opened) => {
    await initPgvectorSchema(opened, null);
    return opened;
  });
}

/** One runtime's pgvector databases. */
export class MemoryDatabases {
  private readonly pools = new Map<string, Promise<SqlDatabase>>();
  private readonly dirs = new Set<string>();
  readonly memoryHome: string;
  constructor(memoryHome: string) {
    this.memoryHome = memoryHome;
  }

  /**
   * The Memory's database, its schema in place; the same one for every call. `password`
   * (from `auth.secretRef`) goes into the connection string when it carries none, as Orloj does.
   */
  open(memory: PlanMemory, dataDir: string | null, password?: string): Promise<SqlDatabase> {
    if (memory.endpoint) return this.pool(withPassword(memory.endpoint, password));
    const dir = dataDir!;
    let opened = embedded.get(dir);
    if (!opened) {
      opened = { db: ready(pgliteDatabase(dir)), users: 0 };
      embedded.set(dir, opened);
      // A failed open is not kept: the next call tries again.
      opened.db.catch(() => embedded.get(dir) === opened && embedded.delete(dir));
    }
    if (!this.dirs.has(dir)) {
      this.dirs.add(dir);
      opened.users++;
    }
    return opened.db;
  }

  private pool(connectionString: string): Promise<SqlDatabase> {
    let db = this.pools.get(connectionString);
    if (!db) {
      const database = pgDatabase(connectionString);
      db = ready(database);
      db.catch(() => {
        this.pools.delete(connectionString);
        void database.then((opened) => opened.close()).catch(() => {});
      });
      this.pools.set(connectionString, db);
    }
    return db;
  }

  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const db of this.pools.values()) closing.push(db.then((d) => d.close(), () => {}));
    this.pools.clear();
    for (const dir of this.dirs) {
      const opened = embedded.get(dir);
      if (opened && --opened.users === 0) {
        embedded.delete(dir);
        closing.push(opened.db.then((d) => d.close(), () => {}));
      }
    }
    this.dirs.clear();
    await Promise.all(closing);
  }
}
