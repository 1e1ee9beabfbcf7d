/**
 * Temporal's connection conventions through the CLI: a profile of the config file
 * (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, --profile) pointing at the shared test server,
 * --address and --namespace over it, and a config file that is wrong: one located line and
 * exit 1, never a stack trace. Also OrchClient.connect() with no options.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { orch, STACK_FRAME } from './cli-harness.ts';

let scratch: string;
let configFile: string;
const NOWHERE = '127.0.0.1:1';
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'orch-cli-connection-'));
  configFile = path.join(scratch, 'temporal.toml');
  await writeFile(configFile, `[profile.shared]\naddress = "${temporalAddress()}"\nnamespace = "default"\n\n[profile.nowhere]\naddress = "${NOWHERE}"\n`);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `orch runs --json --limit 1` with only the given settings (no TEMPORAL_ADDRESS from the harness). */
const runs = (env: Record<string, string>, flags: string[] = []) => orch(['runs', '--json', '--limit', '1', ...flags], { temporal: false, env });
/** `orch worker`, for where a command goes when it cannot get there: it gives up sooner than a client does. */
const worker = (env: Record<string, string>, flags: string[] = []) => orch(['worker', ...flags], { temporal: false, env });

function expectOneLine(result: { code: number; stdout: string; stderr: string }, text: string): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^orch: .+\n$/);
  expect(result.stderr).toContain(text);
  expect(result.stderr).not.toMatch(STACK_FRAME);
}

describe('a Temporal config file profile', () => {
  it('TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE are honoured', async () => {
    const result = await runs({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'shared' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
    expectOneLine(await worker({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'nowhere' }), `cannot reach Temporal at ${NOWHERE}`);
  });

  it('--profile wins over TEMPORAL_PROFILE, --address over the profile, --namespace over both', async () => {
    const nowhere = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'nowhere' };
    expect((await runs(nowhere, ['--profile', 'shared'])).code).toBe(0);
    expect((await runs(nowhere, ['--address', temporalAddress()])).code).toBe(0);
    expectOneLine(await worker({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'shared' }, ['--address', NOWHERE]), `cannot reach Temporal at ${NOWHERE}`);
    expectOneLine(await runs(nowhere, ['--profile', 'shared', '--namespace', 'no-such-namespace']), 'no-such-namespace');
  });

  it('--address wins over TEMPORAL_ADDRESS', async () => {
    expect((await runs({ TEMPORAL_ADDRESS: NOWHERE }, ['--address', temporalAddress()])).code).toBe(0);
  });
});

describe('a config file that is wrong', () => {
  it('invalid TOML: exit 1 with file:line:column', async () => {
    const broken = path.join(scratch, 'broken.toml');
    await writeFile(broken, '[profile.default]\naddress = "a:1"\nnamespace = \n');
    const result = await runs({ TEMPORAL_CONFIG_FILE: broken });
    expectOneLine(result, `${broken}:3:`);
    expect(result.stderr).toMatch(/: invalid TOML: /);
  });

  it('missing, unreadable, or without the profile asked for: exit 1 naming the file', async () => {
    const missing = path.join(scratch, 'missing.toml');
    expectOneLine(await runs({ TEMPORAL_CONFIG_FILE: missing }), `orch: ${missing}: cannot read the Temporal config file (TEMPORAL_CONFIG_FILE): no such file`);
    expectOneLine(await runs({ TEMPORAL_CONFIG_FILE: scratch }), `orch: ${scratch}: cannot read the Temporal config file (TEMPORAL_CONFIG_FILE): it is a directory`);
    expectOneLine(await runs({ TEMPORAL_CONFIG_FILE: configFile }, ['--profile', 'staging']), `orch: ${configFile}: no profile "staging" (it has "shared", "nowhere")`);
  });

  it('every command that connects reports it the same way, before connecting', async () => {
    const env = { TEMPORAL_CONFIG_FILE: path.join(scratch, 'missing.toml') };
    for (const argv of [['run', 'examples/research-pipeline'], ['worker'], ['result', 'x'], ['audit', 'x'], ['approvals', 'x'], ['budget', 'x']]) {
      const result = await orch(argv, { temporal: false, env });
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.stderr, argv.join(' ')).toContain('cannot read the Temporal config file');
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });
});

describe('OrchClient.connect()', () => {
  it('with no options reads the same settings: config file, profile, environment', async () => {
    const saved = { file: process.env.TEMPORAL_CONFIG_FILE, profile: process.env.TEMPORAL_PROFILE, address: process.env.TEMPORAL_ADDRESS };
    process.env.TEMPORAL_CONFIG_FILE = configFile;
    process.env.TEMPORAL_PROFILE = 'shared';
    delete process.env.TEMPORAL_ADDRESS;
    try {
      const client = await OrchClient.connect();
      try {
        expect(client.client.options.namespace).toBe('default');
        expect(Array.isArray(await client.listRuns({ limit: 1 }))).toBe(true);
      } finally {
        await client.client.connection.close();
      }
    } finally {
      for (const [name, value] of [['TEMPORAL_CONFIG_FILE', saved.file], ['TEMPORAL_PROFILE', saved.profile], ['TEMPORAL_ADDRESS', saved.address]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
