/**
 * `orch server status` and `orch server stop`: the background dev server `orch run` started,
 * found through `$ORCH_HOME/server.json` after the process that started it has exited.
 */
import { IS_WINDOWS } from './temporal-cli.ts';
import { probeTemporal, sleep } from './probe.ts';
import { isRecordedServer, processAlive, readServerRecord, removeServerRecord, type BackgroundServerRecord } from './server-record.ts';
import { statePaths } from './state-dir.ts';
import { resolveToolOptions, type TemporalToolOptions } from './tool-options.ts';

export interface BackgroundServerStatus {
  /** `running`: it answers; `not_answering`: its process lives but its frontend does not answer; `stopped`: none. */
  state: 'running' | 'not_answering' | 'stopped';
  orchHome: string;
  /** What was recorded when it started; null when stopped. */
  server: BackgroundServerRecord | null;
}

export async function backgroundServerStatus(options: TemporalToolOptions = {}): Promise<BackgroundServerStatus> {
  const { home } = resolveToolOptions(options);
  const file = statePaths(home).serverRecord;
  const record = readServerRecord(file);
  if (!record || !isRecordedServer(record)) {
    // A record of a process that is gone (killed, machine restarted) says nothing any more.
    if (record) removeServerRecord(file);
    return { state: 'stopped', orchHome: home, server: null };
  }
  const answers = (await probeTemporal(record.address)) === 'temporal';
  return { state: answers ? 'running' : 'not_answering', orchHome: home, server: record };
}

export interface StopBackgroundServerOptions extends TemporalToolOptions {
  /** How long to wait after SIGTERM before SIGKILL. Default 10 s. */
  graceMs?: number;
}

export interface StopBackgroundServerResult {
  /** The server that was stopped; null when none was running. */
  stopped: BackgroundServerRecord | null;
  /** It did not exit on SIGTERM within the grace period and was killed. */
  forced: boolean;
  orchHome: string;
}

/** Signals the server's process group (it was started as its leader), or the process where there are no groups. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(IS_WINDOWS ? pid : -pid, sig);
  } catch {
    // Gone already (ESRCH).
  }
}

async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Stops the background server: SIGTERM, then SIGKILL after the grace period. Idempotent:
 * with none running it returns `stopped: null`.
 *
 * @throws Error when the process survives SIGKILL (owned by another user, say).
 */
export async function stopBackgroundServer(options: StopBackgroundServerOptions = {}): Promise<StopBackgroundServerResult> {
  const { home } = resolveToolOptions(options);
  const file = statePaths(home).serverRecord;
  const record = readServerRecord(file);
  if (!record || !isRecordedServer(record)) {
    if (record) removeServerRecord(file);
    return { stopped: null, forced: false, orchHome: home };
  }
  signal(record.pid, 'SIGTERM');
  let forced = false;
  if (!(await exitsWithin(record.pid, options.graceMs ?? 10_000))) {
    forced = true;
    signal(record.pid, 'SIGKILL');
    if (!(await exitsWithin(record.pid, 5_000))) throw new Error(`the Temporal dev server (pid ${record.pid}) did not exit, even on SIGKILL`);
  }
  removeServerRecord(file);
  return { stopped: record, forced, orchHome: home };
}
