/**
 * The claim-check store: large tool results and agent transcripts, kept outside workflow
 * history so a long agent's history grows with its steps, not with their square. History
 * holds a reference (sha256 and size); the bytes live here.
 *
 * Content-addressed: a blob's key is the sha256 of its bytes, so a retried or replayed write
 * is the same write, and a read checks the bytes against the key. A blob that is missing or
 * does not match is a coded failure (STORED_PAYLOAD_MISSING, STORED_PAYLOAD_CORRUPT), never a
 * silently wrong transcript. Every worker of a deployment must share one store: the default is
 * a directory under $ORCH_HOME (one machine); `ORCH_BLOB_STORE` names a shared directory or a
 * PostgreSQL database (`postgres://…`) for several machines.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { StoredRef } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';
import { defaultMemoryHome } from './memory-databases.ts';
import { PostgresBlobs } from './blob-store-postgres.ts';

/** Where blobs are kept; `put` returns once the bytes are durable. */
export interface BlobBackend {
  /** Stores `bytes` under `sha256` unless they are there already. */
  write(sha256: string, bytes: Buffer): Promise<void>;
  /** The bytes stored under `sha256`, or undefined when there are none. */
  read(sha256: string): Promise<Buffer | undefined>;
  /** Stores `bytes` as record `name` (a sha256, hex), replacing what was there; durable when it returns. */
  writeRecord(name: string, bytes: Buffer): Promise<void>;
  /** The bytes last stored as record `name`, or undefined. */
  readRecord(name: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A backend that failed (I/O, the database): retryable, the store may be back by the next attempt. */
async function orUnavailable<T>(location: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw ApplicationFailure.create({
      type: 'STORE_UNAVAILABLE',
      message: `could not ${what} ${location}: ${error instanceof Error ? error.message : String(error)}`,
      nonRetryable: !isRetryable('STORE_UNAVAILABLE'),
    });
  }
}

function storedFailure(type: 'STORED_PAYLOAD_MISSING' | 'STORED_PAYLOAD_CORRUPT', message: string, ref: StoredRef): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !isRetryable(type), details: [{ sha256: ref.sha256, bytes: ref.bytes }] });
}

/** Verified blobs kept in memory, least recently used dropped first: transcripts are read again every step. */
class VerifiedCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }

  get(sha256: string): Buffer | undefined {
    const hit = this.entries.get(sha256);
    if (hit) {
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
    }
    return hit;
  }

  set(sha256: string, bytes: Buffer): void {
    if (bytes.length > this.limit || this.entries.has(sha256)) return;
    this.entries.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}

/** A record's name in a backend: the sha256 of its key, so any key is a safe file name and a valid text value. */
function recordName(key: string): string {
  return sha256Hex(Buffer.from(key, 'utf8'));
}

export class BlobStore {
  private readonly cache: VerifiedCache;
  private readonly backend: BlobBackend;
  /** Where the blobs are, for messages. */
  readonly location: string;
  constructor(backend: BlobBackend, location: string, cacheBytes = 64 * 1024 * 1024) {
    this.backend = backend;
    this.location = location;
    this.cache = new VerifiedCache(cacheBytes);
  }

  async put(bytes: Buffer): Promise<StoredRef> {
    const sha256 = sha256Hex(bytes);
    // Not cached: the first read checks what the store really holds.
    await orUnavailable(this.location, 'write to', () => this.backend.write(sha256, bytes));
    return { sha256, bytes: bytes.length };
  }

  /** The blob's bytes, checked against its reference. */
  async get(ref: StoredRef): Promise<Buffer> {
    const cached = this.cache.get(ref.sha256);
    if (cached && cached.length === ref.bytes) return cached;
    if (!/^[0-9a-f]{64}$/.test(ref.sha256)) throw storedFailure('STORED_PAYLOAD_CORRUPT', `not a sha256 reference: ${String(ref.sha256).slice(0, 80)}`, ref);
    const bytes = await orUnavailable(this.location, 'read from', () => this.backend.read(ref.sha256));
    if (!bytes) throw storedFailure('STORED_PAYLOAD_MISSING', `stored payload sha256:${ref.sha256} (${ref.bytes} bytes) is not in ${this.location}`, ref);
    if (bytes.length !== ref.bytes || sha256Hex(bytes) !== ref.sha256) {
      throw storedFailure('STORED_PAYLOAD_CORRUPT', `stored payload sha256:${ref.sha256} in ${this.location} does not match its digest`, ref);
    }
    this.cache.set(ref.sha256, bytes);
    return bytes;
  }

  async putJson(value: unknown): Promise<StoredRef> {
    return this.put(Buffer.from(JSON.stringify(value), 'utf8'));
  }

  async getJson<T>(ref: StoredRef): Promise<T> {
    const bytes = await this.get(ref);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch {
      throw storedFailure('STORED_PAYLOAD_CORRUPT', `stored payload sha256:${ref.sha256} is not JSON`, ref);
    }
  }

  /** Replaces the record under `key` (a call record: see call-records.ts). */
  async putRecord(key: string, value: unknown): Promise<void> {
    await orUnavailable(this.location, 'write a record to', () => this.backend.writeRecord(recordName(key), Buffer.from(JSON.stringify(value), 'utf8')));
  }

  /** The record under `key`; undefined when there is none or it is not JSON (a torn write cannot happen, a foreign file can). */
  async getRecord(key: string): Promise<unknown> {
    const bytes = await orUnavailable(this.location, 'read a record from', () => this.backend.readRecord(recordName(key)));
    if (!bytes) return undefined;
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

/**
 * One file per blob, `<dir>/<first two hex>/<sha256>`, written to a temporary name, synced and
 * renamed: a crash leaves the blob whole or absent, never torn.
 */
export class DirectoryBlobs implements BlobBackend {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  private recordFile(name: string): string {
    return path.join(this.dir, 'records', name.slice(0, 2), name);
  }

  async write(sha256: string, bytes: Buffer): Promise<void> {
    const target = this.file(sha256);
    // Already there and intact: a retry, a replay, or the same output again. A damaged copy is replaced.
    const existing = await stat(target).catch(() => undefined);
    if (existing?.size === bytes.length && sha256Hex(await readFile(target)) === sha256) return;
    await writeDurably(target, bytes);
  }

  async read(sha256: string): Promise<Buffer | undefined> {
    return readIfPresent(this.file(sha256));
  }

  writeRecord(name: string, bytes: Buffer): Promise<void> {
    return writeDurably(this.recordFile(name), bytes);
  }

  readRecord(name: string): Promise<Buffer | undefined> {
    return readIfPresent(this.recordFile(name));
  }

  async close(): Promise<void> {}
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes to a temporary name, syncs, renames over `target` and syncs the directory. */
async function writeDurably(target: string, bytes: Buffer): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${randomUUID()}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const directory = await open(path.dirname(target), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The default store: `$ORCH_HOME/blobs`, next to the embedded memories. */
export function defaultBlobHome(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(defaultMemoryHome(env)), 'blobs');
}

/** The store `ORCH_BLOB_STORE` names (a directory, or a `postgres://` URL), else the default directory. */
export function openBlobStore(env: NodeJS.ProcessEnv, configured = env.ORCH_BLOB_STORE?.trim()): BlobStore {
  if (configured && /^postgres(ql)?:\/\//i.test(configured)) return new BlobStore(new PostgresBlobs(configured), 'the PostgreSQL blob store');
  const dir = configured ? path.resolve(configured) : defaultBlobHome(env);
  return new BlobStore(new DirectoryBlobs(dir), dir);
}
