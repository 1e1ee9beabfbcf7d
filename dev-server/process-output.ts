/** Running a short command and keeping what a process printed, for error messages. */
import { spawn, type ChildProcess } from 'node:child_process';

/** Keeps the last `limit` bytes of a process's output. */
export class OutputTail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#limit && this.#chunks.length > 1) this.#size -= this.#chunks.shift()?.length ?? 0;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export interface CommandResult {
  /** Exit code; null when the command could not be started (e.g. not installed) or was killed. */
  code: number | null;
  /** Combined stdout and stderr, last few KB. */
  output: string;
  /** Set when the command could not be started at all. */
  spawnError?: NodeJS.ErrnoException;
}

export function runCommand(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const tail = new OutputTail(16 * 1024);
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, output: '', spawnError: error as NodeJS.ErrnoException });
      return;
    }
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code) => {
      resolve(spawnError ? { code: null, output: tail.text(), spawnError } : { code, output: tail.text() });
    });
  });
}
