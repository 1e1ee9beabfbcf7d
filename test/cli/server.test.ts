/**
 * `orch server start --detach`, `orch server status` and `orch server stop` through the CLI,
 * on a real dev server of the test's own: its own ORCH_HOME and free ports, never the
 * shared test server.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli, probeTemporal, stopBackgroundServer } from '../../dev-server/index.ts';
import { isAlive } from '../helpers/processes.ts';
import { orch, singleJson, STACK_FRAME } from './cli-harness.ts';

let home: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'orch-cli-server-'));
  const cli = await findTemporalCli();
  if (!cli) throw new Error('global setup should have provided the Temporal CLI');
  env = { ORCH_HOME: home, ORCH_TEMPORAL_CLI: cli };
});
afterAll(async () => {
  await stopBackgroundServer({ home }).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

const server = (args: string[]) => orch(['server', ...args], { temporal: false, env });

describe('orch server status and stop', () => {
  it('with none running: status exits 3, stop says so and exits 0', async () => {
    const status = await server(['status']);
    expect(status).toEqual({ code: 3, stderr: '', stdout: `no background Temporal dev server is running (ORCH_HOME ${home}); \`orch run\` or \`orch server start --detach\` starts one\n` });
    const json = await server(['status', '--json']);
    expect(json.code).toBe(3);
    expect(singleJson(json.stdout)).toEqual({ running: false, state: 'stopped', orchHome: home });
    expect(await server(['stop'])).toEqual({ code: 0, stderr: '', stdout: `no background Temporal dev server is running (ORCH_HOME ${home}); nothing to stop\n` });
  });

  it('start --detach starts one in ORCH_HOME; status reports it; orch runs finds it; stop stops it', async () => {
    const started = await server(['start', '--detach', '--port', '0', '--ui-port', '0']);
    expect(started.stderr).not.toMatch(STACK_FRAME);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^started a Temporal dev server at 127\.0\.0\.1:\d+, Web UI http:\/\/127\.0\.0\.1:\d+ \(pid \d+\); `orch server stop` stops it\n$/);

    const status = await server(['status', '--json']);
    expect(status.code).toBe(0);
    const running = singleJson(status.stdout);
    expect(running).toMatchObject({ running: true, state: 'running', orchHome: home, namespace: 'default', dbFile: path.join(home, 'temporal.db'), logFile: path.join(home, 'temporal.log') });
    expect(running.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(running.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(isAlive(running.pid)).toBe(true);
    expect(existsSync(path.join(home, 'temporal.db'))).toBe(true);

    const text = await server(['status']);
    expect(text.code).toBe(0);
    for (const line of [`address    ${running.address}`, `Web UI     ${running.uiUrl}`, `pid        ${running.pid}`, `database   ${running.dbFile}`, `ORCH_HOME  ${home}`]) {
      expect(text.stdout).toContain(`${line}\n`);
    }

    // Starting it again finds it; a command with no address connects to it, wherever it listens.
    expect(await server(['start', '--detach'])).toEqual({ code: 0, stderr: '', stdout: `a Temporal server already runs at ${running.address}, Web UI ${running.uiUrl} (pid ${running.pid})\n` });
    const runs = await orch(['runs', '--json'], { temporal: false, env });
    expect(runs).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(runs.stdout)).toEqual([]);

    // A foreground server on the same database would corrupt it.
    const foreground = await server(['--port', '0', '--ui-port', '0']);
    expect(foreground.code).toBe(1);
    expect(foreground.stderr).toBe(
      `orch: the background Temporal dev server (pid ${running.pid}, ${running.address}) uses ${running.dbFile}; stop it with \`orch server stop\`, or pass --db-file or --in-memory\n`,
    );

    expect(await server(['stop'])).toEqual({ code: 0, stderr: '', stdout: `stopped the Temporal dev server at ${running.address} (pid ${running.pid})\n` });
    expect(isAlive(running.pid)).toBe(false);
    expect(await probeTemporal(running.address)).toBe('closed');
    expect((await server(['status'])).code).toBe(3);
    expect((await server(['stop'])).stdout).toContain('nothing to stop');
  });
});
