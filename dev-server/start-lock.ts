/**
 * `$ORCH_HOME/server.lock`: two `orch run`s that find no server must not both start one on
 * the same port and database; the second waits, then finds the first one's server.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sleep } from './probe.ts';
import { processAlive } from './server-record.ts';

/** A start never takes longer than the start timeout (30 s) plus a margin: older is stale. */
const STALE_MS = 60_000;

function tryAcquire(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A lock whose holder died, or that is older than any start, is left over: remove it. */
function removeIfStale(file: string): void {
  try {
    const text = readFileSync(file, 'utf8').trim();
    const age = Date.now() - statSync(file).mtimeMs;
    // Empty for an instant: created, its holder's pid not written yet.
    if (text === '' && age < 5_000) return;
    const holder = Number(text);
    if (!(Number.isInteger(holder) && holder > 0 && processAlive(holder)) || age > STALE_MS) rmSync(file, { force: true });
  } catch {
    // Removed meanwhile by its holder: try again.
  }
}

/** Runs `act` holding the lock, waiting up to `STALE_MS` for another holder to finish. */
export async function withStartLock<T>(file: string, act: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + STALE_MS;
  while (!tryAcquire(file)) {
    if (Date.now() > deadline) throw new Error(`${file} is held by another process; remove it if no orch command is starting a server`);
    removeIfStale(file);
    await sleep(200);
  }
  try {
    return await act();
  } finally {
    rmSync(file, { force: true });
  }
}
