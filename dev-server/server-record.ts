/**
 * `$ORCH_HOME/server.json`: the background dev server `orch run` started, so a later command
 * finds it (`orch server status`, `orch server stop`, the next `orch run`) after the process
 * that started it has exited.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface BackgroundServerRecord {
  pid: number;
  address: string;
  uiUrl: string | null;
  namespace: string;
  dbFile: string | null;
  logFile: string;
  cli: string;
  /** ISO time it was started. */
  startedAt: string;
}

function isRecord(value: unknown): value is BackgroundServerRecord {
  const r = value as Partial<BackgroundServerRecord> | null;
  return (
    typeof r === 'object' && r !== null &&
    Number.isInteger(r.pid) && (r.pid ?? 0) > 0 &&
    typeof r.address === 'string' && typeof r.namespace === 'string' && typeof r.logFile === 'string' &&
    typeof r.cli === 'string' && typeof r.startedAt === 'string' &&
    (r.uiUrl === null || typeof r.uiUrl === 'string') && (r.dbFile === null || typeof r.dbFile === 'string')
  );
}

/** The record, or null when there is none or it is not one (a truncated write, a hand edit). */
export function readServerRecord(file: string): BackgroundServerRecord | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a record. */
export function writeServerRecord(file: string, record: BackgroundServerRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}

export function removeServerRecord(file: string): void {
  rmSync(file, { force: true });
}

/** Linux and others with procfs: the process table, zombies included, can be read there. */
const HAS_PROC = existsSync('/proc/self/stat');

/** True while `pid` is a running process (not a zombie waiting to be reaped). */
export function processAlive(pid: number): boolean {
  if (HAS_PROC) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is still the dev server the record names, not a process that reused its pid
 * (which must never be signalled). Where the command line is readable it must be a
 * `server start-dev`; elsewhere a live pid is taken at its word.
 */
export function isRecordedServer(record: BackgroundServerRecord): boolean {
  if (!processAlive(record.pid)) return false;
  if (!HAS_PROC) return true;
  try {
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('start-dev');
  } catch {
    return false;
  }
}
