/**
 * The `orch` command as a process of its own, for what only a real process shows: signals,
 * exit codes set by Node, and every byte that reaches the file descriptors (native code's too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { temporalAddress } from '../helpers/temporal.ts';

const bin = fileURLToPath(new URL('../../cli/bin.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface OrchProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (or 128 + signal number, as a shell reports it). */
  exited: Promise<number>;
}

/** `orch <args>` against the shared test server, in an isolated ORCH_HOME, with `env` on top. */
export function spawnOrch(args: string[], env: NodeJS.ProcessEnv): OrchProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(childEnv)) if (name.startsWith('TEMPORAL_') || name.startsWith('ORCH_')) delete childEnv[name];
  Object.assign(childEnv, { TEMPORAL_ADDRESS: temporalAddress() }, env);
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const signals: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  const exited = new Promise<number>((resolve) => child.once('close', (code, signal) => resolve(code ?? 128 + (signals[signal ?? ''] ?? 0))));
  return { child, stdout: () => out, stderr: () => err, exited };
}
