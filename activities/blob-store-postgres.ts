/**
 * The claim-check store in PostgreSQL, for deployments whose workers run on several machines:
 * one row per blob, keyed by its sha256, written once (a retried write changes nothing), and
 * one row per call record (call-records.ts), replaced by each write.
 */
import pg from 'pg';
import type { BlobBackend } from './blob-store.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS orch_blobs (sha256 text PRIMARY KEY, bytes bytea NOT NULL);
CREATE TABLE IF NOT EXISTS orch_call_records (key text PRIMARY KEY, bytes bytea NOT NULL)`;

export class PostgresBlobs implements BlobBackend {
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  constructor(connectionString: string) {
    this.pool = new pg.Pool({ connectionString, max: 4 });
    // An idle connection the server dropped is replaced on the next query, not a crash of the worker.
    this.pool.on('error', () => {});
  }

  private schema(): Promise<void> {
    this.ready ??= this.pool.query(SCHEMA).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      }
    );
    return this.ready;
  }

  async write(sha256: string, bytes: Buffer): Promise<void> {
    await this.schema();
    await this.pool.query('INSERT INTO orch_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [sha256, bytes]);
  }

  async read(sha256: string): Promise<Buffer | undefined> {
    await this.schema();
    const result = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM orch_blobs WHERE sha256 = $1', [sha256]);
    return result.rows[0]?.bytes;
  }

  async writeRecord(name: string, bytes: Buffer): Promise<void> {
    await this.schema();
    await this.pool.query('INSERT INTO orch_call_records (key, bytes) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET bytes = EXCLUDED.bytes', [name, bytes]);
  }

  async readRecord(name: string): Promise<Buffer | undefined> {
    await this.schema();
    const result = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM orch_call_records WHERE key = $1', [name]);
    return result.rows[0]?.bytes;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
