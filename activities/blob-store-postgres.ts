/**
 * The claim-check store in PostgreSQL, for deployments whose workers run on several machines:
 * one row per blob, keyed by its sha256, written once (a retried write changes nothing), and
 * one row per call record (call-records.ts), replaced by each write.
 */
import type pg from 'pg';
import { loadPg } from './provider-sdks.ts';
import type { BlobBackend } from './blob-store.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS orch_blobs (sha256 text PRIMARY KEY, bytes bytea NOT NULL);
CREATE TABLE IF NOT EXISTS orch_call_records (key text PRIMARY KEY, bytes bytea NOT NULL)`;

export class PostgresBlobs implements BlobBackend {
  private readonly connectionString: string;
  private pool: pg.Pool | undefined;
  private ready: Promise<pg.Pool> | undefined;

  constructor(connectionString: string) {
    this.connectionString = connectionString;
  }

  /** The pool, its tables created: on first use, so a worker that never claims a check never loads the driver. */
  private schema(): Promise<pg.Pool> {
    this.ready ??= (async () => {
      if (!this.pool) {
        const { Pool } = await loadPg();
        this.pool = new Pool({ connectionString: this.connectionString, max: 4 });
        // An idle connection the server dropped is replaced on the next query, not a crash of the worker.
        this.pool.on('error', () => {});
      }
      await this.pool.query(SCHEMA);
      return this.pool;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async write(sha256: string, bytes: Buffer): Promise<void> {
    const pool = await this.schema();
    await pool.query('INSERT INTO orch_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [sha256, bytes]);
  }

  async read(sha256: string): Promise<Buffer | undefined> {
    const pool = await this.schema();
    const result = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM orch_blobs WHERE sha256 = $1', [sha256]);
    return result.rows[0]?.bytes;
  }

  async writeRecord(name: string, bytes: Buffer): Promise<void> {
    const pool = await this.schema();
    await pool.query('INSERT INTO orch_call_records (key, bytes) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET bytes = EXCLUDED.bytes', [name, bytes]);
  }

  async readRecord(name: string): Promise<Buffer | undefined> {
    const pool = await this.schema();
    const result = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM orch_call_records WHERE key = $1', [name]);
    return result.rows[0]?.bytes;
  }

  async close(): Promise<void> {
    // A schema step still under way would otherwise open the pool after it was closed.
    await this.ready?.catch(() => {});
    await this.pool?.end();
  }
}
