/** The CLI's window on the world, injected so tests run `main(argv, io)` in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is an interactive terminal (live progress) or a pipe (plain lines). */
  isTTY: boolean;
  /** Resolves when the user interrupts (Ctrl-C); long-running commands stop on it. */
  interrupted?: Promise<void>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    interrupted: new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
  };
}

/** Exit codes: success, a failed run or diagnostics, a usage error, no server running (`orch server status`), Ctrl-C while waiting. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notRunning: 3, interrupted: 130 } as const;

/** A CLI error with its exit code and a message for stderr (never a stack trace). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
