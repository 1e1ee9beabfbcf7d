/**
 * The dev server as a process: spawned attached (output kept in memory, stopped when this
 * process exits) or detached (its own process group, output to a log file, outliving this
 * process until stopped), and stopped with SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { lastLines, OutputTail } from './process-output.ts';
import { IS_WINDOWS } from './temporal-cli.ts';

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves once the process has exited (or could not be spawned). */
  exited: Promise<void>;
  exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  spawnError(): Error | undefined;
  /** The last lines it printed. */
  output(): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is reaped. Idempotent. */
  stop(): Promise<void>;
}

/** Non-detached servers still running: stopped if this process exits without stopping them. */
const attachedServers = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackAttached(child: ChildProcess): void {
  attachedServers.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of attachedServers) server.kill('SIGTERM');
  });
}

/**
 * The CLI reads `TEMPORAL_*` variables (address, namespace, TLS, config profiles) as client
 * settings; none of them may leak into the server it starts.
 */
function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!key.startsWith('TEMPORAL_')) result[key] = value;
  return result;
}

export function spawnServer(o: { cli: string; args: string[]; env: NodeJS.ProcessEnv; detached: boolean; logFile: string; stopGraceMs: number }): ServerProcess {
  const tail = new OutputTail(32 * 1024);
  let child: ChildProcess;
  if (o.detached) {
    mkdirSync(path.dirname(o.logFile), { recursive: true });
    const fd = openSync(o.logFile, 'a');
    try {
      child = spawn(o.cli, o.args, { env: serverEnv(o.env), stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
  } else {
    child = spawn(o.cli, o.args, { env: serverEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  }

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      attachedServers.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      // 'exit' is not emitted when the process could not be spawned at all.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve();
      }
    });
  });
  if (!o.detached) trackAttached(child);

  const output = async (): Promise<string> => {
    if (!o.detached) return lastLines(tail.text(), 30);
    try {
      return lastLines((await readFile(o.logFile, 'utf8')).slice(-32 * 1024), 30);
    } catch {
      return '';
    }
  };

  const signal = (sig: NodeJS.Signals): void => {
    if (exitInfo || child.pid === undefined) return;
    try {
      if (o.detached && !IS_WINDOWS) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Already gone (ESRCH): nothing to stop.
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      child.ref(); // keep this process alive until the server is reaped, even when detached
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), o.stopGraceMs)))]);
      clearTimeout(timer);
      if (!graceful) {
        signal('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  return { child, exited, exitInfo: () => exitInfo, spawnError: () => spawnError, output, stop };
}
