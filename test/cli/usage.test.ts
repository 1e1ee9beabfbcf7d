/**
 * `orch` usage: help for the program and every command, and usage errors (exit 2). None of
 * these reach Temporal or the manifests' contents.
 */
import { describe, expect, it } from 'vitest';
import { orch, STACK_FRAME } from './cli-harness.ts';

const COMMANDS = ['run', 'result', 'worker', 'validate', 'compile', 'server', 'tools', 'approvals', 'approve', 'deny', 'budget', 'audit', 'runs', 'describe', 'cancel', 'terminate', 'replay', 'logs', 'schema', 'explain', 'init', 'completion'] as const;
/** `orch server`'s own commands; `orch server` alone is `orch server start`. */
const SERVER_COMMANDS = ['start', 'status', 'stop'] as const;
/** The flags of every command that connects to Temporal. */
const CONNECTION = ['--address', '--namespace', '--profile'];

describe('help', () => {
  it('orch --help exits 0 and lists every command on stdout', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await orch([flag], { temporal: false });
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^Usage: orch /);
      for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  it('orch help exits 0 with the program usage on stdout', async () => {
    const { code, stdout } = await orch(['help'], { temporal: false });
    expect(code).toBe(0);
    expect(stdout).toBe((await orch(['--help'], { temporal: false })).stdout);
  });

  it.each(COMMANDS)('orch %s --help exits 0 and prints its usage on stdout', async (command) => {
    const { code, stdout, stderr } = await orch([command, '--help'], { temporal: false });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: orch ${command} `));
    expect(stdout).toMatch(/^\s+-h, --help\b/m);
  });

  it.each(COMMANDS)('orch help %s prints the same usage as --help', async (command) => {
    const viaFlag = await orch([command, '--help'], { temporal: false });
    const viaCommand = await orch(['help', command], { temporal: false });
    expect(viaCommand.code).toBe(0);
    expect(viaCommand.stdout).toBe(viaFlag.stdout);
  });

  it('documents the options each command takes', async () => {
    const expected: Record<(typeof COMMANDS)[number], string[]> = {
      run: ['--override', '--system', '--task', '--input', '--json', '--detach', '--no-worker', '--workflow-id', '--task-queue', ...CONNECTION],
      result: ['--run-id', '--json', ...CONNECTION],
      worker: ['--task-queue', '--secrets', ...CONNECTION],
      validate: ['--override', '--json'],
      compile: ['--override', '--system', '--task', '--input'],
      server: [],
      tools: ['--override', '--json'],
      approvals: ['--json', ...CONNECTION],
      approve: ['--by', '--reason', ...CONNECTION],
      deny: ['--by', '--reason', ...CONNECTION],
      budget: ['--add-tokens', '--add-cost', '--add-model-calls', '--add-tool-calls', '--wrap-up', '--by', '--reason', '--json', ...CONNECTION],
      audit: ['--run-id', '--format', ...CONNECTION],
      runs: ['--query', '--limit', '--json', ...CONNECTION],
      describe: ['--json', ...CONNECTION],
      cancel: ['--reason', ...CONNECTION],
      logs: ['--run-id', '-f, --follow', '--json', ...CONNECTION],
      schema: ['--kind', '--out'],
      explain: ['--json'],
      init: ['--name'],
      completion: [],
      replay: ['--run-id', '--file', '--all', '--query', '--limit', '--json', ...CONNECTION],
      terminate: ['--reason', ...CONNECTION],
    };
    for (const command of COMMANDS) {
      const { stdout } = await orch([command, '--help'], { temporal: false });
      for (const option of expected[command]) expect(stdout, `${command} ${option}`).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
    }
  });

  it('orch server lists its commands, and each documents its options', async () => {
    const { stdout } = await orch(['server', '--help'], { temporal: false });
    for (const command of SERVER_COMMANDS) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const expected: Record<(typeof SERVER_COMMANDS)[number], string[]> = {
      start: ['--port', '--ui-port', '--db-file', '--in-memory', '--detach'],
      status: ['--json'],
      stop: [],
    };
    for (const command of SERVER_COMMANDS) {
      const { code, stdout: help } = await orch(['server', command, '--help'], { temporal: false });
      expect(code).toBe(0);
      expect(help).toMatch(new RegExp(`^Usage: orch server ${command} `));
      for (const option of expected[command]) expect(help, `server ${command} ${option}`).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
    }
  });
});

describe('usage errors exit 2 with the usage on stderr', () => {
  const cases: Array<[string, string[]]> = [
    ['no command', []],
    ['an unknown command', ['bogus']],
    ['help for an unknown command', ['help', 'bogus']],
    ['an unknown program option', ['--bogus']],
    ['an unknown command option', ['run', 'examples/research-pipeline', '--bogus']],
    ['an unknown validate option', ['validate', '--strict', 'examples/research-pipeline']],
    ['an unknown server option', ['server', 'status', '--bogus']],
    ['a surplus server argument', ['server', 'stop', 'now']],
    ['run with no paths', ['run']],
    ['validate with no paths', ['validate']],
    ['compile with no paths', ['compile']],
    ['result with no workflow id', ['result']],
    ['an option missing its value', ['run', 'examples/research-pipeline', '--workflow-id']],
    ['a surplus argument', ['result', 'id-1', 'id-2']],
  ];

  it.each(cases)('%s', async (_name, argv) => {
    const { code, stdout, stderr } = await orch(argv, { temporal: false });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage: orch/m);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it.each([
    ['run', ['run', 'examples/research-pipeline', '--input', 'novalue']],
    ['run, = first', ['run', 'examples/research-pipeline', '--input', '=value']],
    ['compile', ['compile', 'examples/research-pipeline', '--input', 'topic=x', '--input', 'novalue']],
  ])('--input without key=value exits 2 (%s), before anything runs', async (_name, argv) => {
    // Nothing listens on port 1: a command that reached Temporal would fail with exit 1, not 2.
    const { code, stdout, stderr } = await orch(argv, { temporal: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^orch: .*--input/m);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('numeric options', () => {
  it.each([
    ['--add-tokens', ['budget', 'some-run', '--add-tokens', 'abc']],
    ['--add-cost', ['budget', 'some-run', '--add-cost', '-1']],
    ['--add-model-calls', ['budget', 'some-run', '--add-model-calls', '1.5']],
    ['--limit', ['runs', '--limit', '0']],
    ['--port', ['server', '--port', '99999']],
    ['--port', ['server', 'start', '--detach', '--port', '-1']],
    ['--address', ['runs', '--address', ' ']],
    ['--profile', ['audit', 'some-run', '--profile', '']],
  ])('a malformed %s exits 2 naming the flag, before anything runs', async (flag, argv) => {
    // Nothing listens on port 1: a command that reached Temporal would fail with exit 1, not 2.
    const { code, stdout, stderr } = await orch(argv, { temporal: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^orch: ${flag} `, 'm'));
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('orch --version', () => {
  it('prints the package version and exits 0', async () => {
    const { code, stdout } = await orch(['--version'], { temporal: false });
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
