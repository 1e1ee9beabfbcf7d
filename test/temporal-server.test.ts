import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import {
  ensureTemporalServer,
  findTemporalCli,
  orchHome,
  probeTemporal,
  startDevServer,
  TemporalServerError,
} from '../dev-server/index.ts';
import { ORCH_SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';
import { temporalAddress } from './helpers/temporal.ts';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'orch-temporal-server-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The error's code, or a marker when it is not a TemporalServerError. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return TemporalServerError.is(error) ? error.code : `not a TemporalServerError: ${String(error)}`;
  }
}

async function writeExecutable(file: string, script: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, script);
  await chmod(file, 0o755);
  return file;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('orchHome', () => {
  it('is ORCH_HOME, else $XDG_STATE_HOME/orch (absolute only), else ~/.local/state/orch', () => {
    expect(orchHome({ ORCH_HOME: '/srv/orch', XDG_STATE_HOME: '/state' })).toBe('/srv/orch');
    expect(orchHome({ ORCH_HOME: 'rel' })).toBe(path.resolve('rel'));
    expect(orchHome({ XDG_STATE_HOME: '/state' })).toBe(path.join('/state', 'orch'));
    expect(orchHome({ XDG_STATE_HOME: 'relative/state' })).toBe(path.join(homedir(), '.local', 'state', 'orch'));
    expect(orchHome({})).toBe(path.join(homedir(), '.local', 'state', 'orch'));
  });

  it('is never inside the package', () => {
    const packageDir = path.resolve(import.meta.dirname, '..');
    expect(path.relative(packageDir, orchHome({})).startsWith('..')).toBe(true);
  });
});

describe('findTemporalCli', () => {
  it('honours ORCH_TEMPORAL_CLI first', async () => {
    const fake = await writeExecutable(path.join(scratch, 'explicit', 'my-temporal'), '#!/bin/sh\nexit 0\n');
    const onPath = await writeExecutable(path.join(scratch, 'path-bin', 'temporal'), '#!/bin/sh\nexit 0\n');
    expect(await findTemporalCli({ home: scratch, env: { ORCH_TEMPORAL_CLI: fake, PATH: path.dirname(onPath) } })).toBe(fake);
  });

  it('refuses an ORCH_TEMPORAL_CLI that is not executable rather than ignoring it', async () => {
    expect(await codeOf(findTemporalCli({ home: scratch, env: { ORCH_TEMPORAL_CLI: path.join(scratch, 'nope') } }))).toBe('TEMPORAL_CLI_MISSING');
  });

  it('then looks on PATH, skipping files that are not executable', async () => {
    const notExecutable = path.join(scratch, 'path-plain', 'temporal');
    await mkdir(path.dirname(notExecutable), { recursive: true });
    await writeFile(notExecutable, 'not a program');
    const onPath = await writeExecutable(path.join(scratch, 'path-bin2', 'temporal'), '#!/bin/sh\nexit 0\n');
    const PATH = [path.dirname(notExecutable), path.dirname(onPath)].join(path.delimiter);
    expect(await findTemporalCli({ home: path.join(scratch, 'empty-home'), env: { PATH } })).toBe(onPath);
  });

  it('then falls back to $ORCH_HOME/tools/bin/temporal, else null', async () => {
    const home = path.join(scratch, 'orch-home');
    expect(await findTemporalCli({ env: { PATH: '', ORCH_HOME: home } })).toBeNull();
    const local = await writeExecutable(path.join(home, 'tools', 'bin', 'temporal'), '#!/bin/sh\nexit 0\n');
    expect(await findTemporalCli({ env: { PATH: '', ORCH_HOME: home } })).toBe(local);
    expect(await findTemporalCli({ home, env: { PATH: '' } })).toBe(local);
  });
});

describe('startDevServer', () => {
  let cli: string;
  beforeAll(async () => {
    // The global setup found or installed it already.
    const found = await findTemporalCli();
    if (!found) throw new Error('global setup should have provided the Temporal CLI');
    cli = found;
  });

  it('serves a real frontend with orch search attributes on free ports, and stop() frees the port', async () => {
    const server = await startDevServer({ cli, port: 0, ui: false, dbFile: null, log: () => {} });
    let stopped = false;
    try {
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(server.uiUrl).toBeNull();
      const connection = await Connection.connect({ address: server.address });
      try {
        const info = await connection.workflowService.getSystemInfo({});
        expect(info.serverVersion).toBeTruthy();
        const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const { name } of ORCH_SEARCH_ATTRIBUTES) expect(Object.keys(attributes.customAttributes ?? {})).toContain(name);
      } finally {
        await connection.close();
      }
      await server.stop();
      stopped = true;
      expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
      expect(await listening(portOf(server.address))).toBe(false);
      await server.stop(); // idempotent
    } finally {
      if (!stopped) await server.stop();
    }
  });

  it('keeps workflows across restarts in $ORCH_HOME/temporal.db', async () => {
    const home = path.join(scratch, 'persist');
    const workflowId = `persist-${Date.now()}`;
    const first = await startDevServer({ cli, port: 0, ui: false, home, log: () => {} });
    try {
      expect(first.dbFile).toBe(path.join(home, 'temporal.db'));
      expect(existsSync(first.dbFile!)).toBe(true);
      const connection = await Connection.connect({ address: first.address });
      // No worker polls this queue: the run simply stays open, which is all we need here.
      await new Client({ connection }).workflow.start('orchPersistenceProbe', { taskQueue: 'orch-persistence-probe', workflowId });
      await connection.close();
    } finally {
      await first.stop();
    }
    const second = await startDevServer({ cli, port: 0, ui: false, env: { ORCH_HOME: home }, log: () => {} });
    try {
      const connection = await Connection.connect({ address: second.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.type).toBe('orchPersistenceProbe');
      await connection.close();
    } finally {
      await second.stop();
    }
  });

  it('adds the search attributes an older database lacks when it starts on it again', async () => {
    const dbFile = path.join(scratch, 'upgrade', 'temporal.db');
    const older = ORCH_SEARCH_ATTRIBUTES.slice(0, 3);
    const first = await startDevServer({ cli, port: 0, ui: false, dbFile, log: () => {}, searchAttributes: older });
    await first.stop();
    const second = await startDevServer({ cli, port: 0, ui: false, dbFile, log: () => {} });
    try {
      const connection = await Connection.connect({ address: second.address });
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      await connection.close();
      expect(Object.keys(listed.customAttributes ?? {}).sort()).toEqual(ORCH_SEARCH_ATTRIBUTES.map((a) => a.name).sort());
    } finally {
      await second.stop();
    }
  });

  it('reports the server output when the process exits before answering', async () => {
    const broken = await writeExecutable(path.join(scratch, 'broken', 'temporal'), "#!/bin/sh\necho 'listen tcp: bind failed for a reason' >&2\nexit 3\n");
    let error: unknown;
    try {
      await startDevServer({ cli: broken, port: 0, ui: false, dbFile: null, log: () => {} });
    } catch (caught) {
      error = caught;
    }
    expect(TemporalServerError.is(error) && error.code).toBe('TEMPORAL_SERVER_EXITED');
    expect(TemporalServerError.is(error) && error.serverOutput).toContain('bind failed for a reason');
  });

  it('on ports it picked, a server that exits before answering is started again (its output may not say why)', async () => {
    const marker = path.join(scratch, 'flaky-once');
    // The first start dies with a goroutine dump and no reason; the next runs the real server.
    const flaky = await writeExecutable(
      path.join(scratch, 'flaky', 'temporal'),
      `#!/bin/sh\nif [ ! -e '${marker}' ]; then touch '${marker}'; echo 'go.uber.org/fx.(*module).invoke(...)' >&2; exit 2; fi\nexec '${cli}' "$@"\n`
    );
    const server = await startDevServer({ cli: flaky, port: 0, ui: false, dbFile: null, log: () => {} });
    try {
      const connection = await Connection.connect({ address: server.address });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
    } finally {
      await server.stop();
    }
  });

  it('fails fast when a fixed port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      expect(await codeOf(startDevServer({ cli, port, ui: false, dbFile: null, log: () => {} }))).toBe('TEMPORAL_PORT_IN_USE');
    } finally {
      blocker.close();
    }
  });
});

describe('ensureTemporalServer', () => {
  it('uses TEMPORAL_ADDRESS as given, starting nothing', async () => {
    const handle = await ensureTemporalServer({
      env: { HOME: scratch, TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'k', ORCH_TEMPORAL_UI_URL: 'https://cloud.temporal.io' },
      cli: '/nonexistent/temporal',
    });
    expect(handle).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', uiUrl: 'https://cloud.temporal.io', started: false, server: null });
    expect(handle.connection.apiKey).toBe('k');
    await handle.stop();
  });

  it('uses the address flag over TEMPORAL_ADDRESS, and a profile of the config file', async () => {
    const configFile = path.join(scratch, 'ensure.toml');
    await writeFile(configFile, '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n');
    const env = { HOME: scratch, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_ADDRESS: 'env.example:7233' };
    expect(await ensureTemporalServer({ env, address: 'flag.example:7233', cli: '/nonexistent/temporal' })).toMatchObject({ address: 'flag.example:7233', started: false });
    expect(await ensureTemporalServer({ env: { HOME: scratch, TEMPORAL_CONFIG_FILE: configFile }, profile: 'prod', cli: '/nonexistent/temporal' })).toMatchObject({
      address: 'prod.example:7233',
      namespace: 'prod',
      started: false,
    });
  });

  it('reuses a server that already answers on the port instead of starting one', async () => {
    const address = temporalAddress();
    const handle = await ensureTemporalServer({ env: { PATH: '', HOME: scratch, ORCH_HOME: path.join(scratch, 'reuse-home') }, port: portOf(address), cli: '/nonexistent/temporal', log: () => {} });
    expect(handle).toMatchObject({ address, namespace: 'default', started: false, server: null });
    await handle.stop(); // must not stop the shared server
    expect(await probeTemporal(address)).toBe('temporal');
  });
});

describe('the shared test server', () => {
  it('answers at the injected address', async () => {
    expect(await probeTemporal(temporalAddress())).toBe('temporal');
  });
});
