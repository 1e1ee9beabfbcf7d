/**
 * Drives `main(argv, io)` in-process with a fake CliIo: stdout and stderr are collected as
 * strings, the environment points at the shared test dev server on a task queue of the
 * test's own, and `interrupted` is a promise the test resolves when it wants Ctrl-C.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/io.ts';
import { temporalAddress } from '../helpers/temporal.ts';

/**
 * One ORCH_HOME for this test process, and an empty Temporal config file: a developer's own
 * background server, state and profiles never reach a test, and no test writes to theirs.
 */
const isolated = (() => {
  const home = mkdtempSync(join(tmpdir(), 'orch-cli-home-'));
  const config = join(home, 'temporal.toml');
  writeFileSync(config, '');
  // Each test file imports this module afresh (vitest isolates files): removed after its tests.
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  return { home, config };
})();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FakeCli {
  io: CliIo;
  taskQueue: string;
  stdout(): string;
  stderr(): string;
  /** Resolves `io.interrupted`, as Ctrl-C would. */
  interrupt(): void;
  /** Runs `main(argv, io)` and returns its exit code with everything printed during it. */
  run(argv: string[]): Promise<CliResult>;
}

export interface FakeCliOptions {
  /** Extra environment variables (they win over the test's TEMPORAL_ADDRESS and task queue). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to `test-cli-<uuid>`. */
  taskQueue?: string;
  isTTY?: boolean;
  /** Whether TEMPORAL_ADDRESS is set; tests that never reach Temporal may leave it out. */
  temporal?: boolean;
}

export function fakeCli(options: FakeCliOptions = {}): FakeCli {
  const taskQueue = options.taskQueue ?? `test-cli-${randomUUID()}`;
  let out = '';
  let err = '';
  let interrupt!: () => void;
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve;
  });
  const env: NodeJS.ProcessEnv = { ...process.env, ORCH_TASK_QUEUE: taskQueue };
  // A developer's own settings must not leak into the commands or the printed outcome.
  for (const name of Object.keys(env)) if (name.startsWith('TEMPORAL_')) delete env[name];
  for (const name of ['ORCH_TEMPORAL_UI_URL', 'ORCH_DEBUG']) delete env[name];
  env.ORCH_HOME = isolated.home;
  env.TEMPORAL_CONFIG_FILE = isolated.config;
  if (options.temporal !== false) env.TEMPORAL_ADDRESS = temporalAddress();
  Object.assign(env, options.env);
  const io: CliIo = {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env,
    isTTY: options.isTTY ?? false,
    interrupted,
  };
  return {
    io,
    taskQueue,
    stdout: () => out,
    stderr: () => err,
    interrupt,
    async run(argv) {
      const outBefore = out.length;
      const errBefore = err.length;
      const code = await main(argv, io);
      return { code, stdout: out.slice(outBefore), stderr: err.slice(errBefore) };
    },
  };
}

/** One call of `main` with a fresh fake io. */
export function orch(argv: string[], options: FakeCliOptions = {}): Promise<CliResult> {
  return fakeCli(options).run(argv);
}

/** Writes `files` (name → text) into a fresh temp directory and returns its path. */
export function writeFixtures(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Parses stdout that must be exactly one JSON object on one line. */
export function singleJson(stdout: string): any {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got ${lines.length}:\n${stdout}`);
  return JSON.parse(lines[0]!);
}

/** `file:line:col: severity CODE` of every rendered diagnostic line, without the prose. */
export function diagnosticHeads(stderr: string): string[] {
  const heads: string[] = [];
  for (const line of stderr.split('\n')) {
    const match = /^(.+:\d+:\d+): (error|warning) ([A-Z_]+):/.exec(line);
    if (match) heads.push(`${match[1]}: ${match[2]} ${match[3]}`);
  }
  return heads;
}

/** A stack frame line, which the CLI must never print unless ORCH_DEBUG is set. */
export const STACK_FRAME = /^ {4}at /m;
