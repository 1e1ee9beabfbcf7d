/**
 * orch as its users get it: `npm pack`, installed into a scratch service project that has its
 * own Node (the npm `node` package at the lowest version `engines` allows; the checkout's own
 * Node 24 for the newest), then used only through the package's public entry points: the
 * `orch` binary, `import 'orch'` from a service, `orch/worker` in a plain Temporal worker,
 * and the shipped declarations under `tsc`. Nothing may be written under the consumer's
 * node_modules: state goes to ORCH_HOME.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../dev-server/temporal-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
/** The lowest Node `engines` allows, e.g. `>=22.12` → 22.12.0. */
const LOWEST_NODE = `${packageJson.engines.node.replace(/^>=\s*/, '')}.0`.split('.').slice(0, 3).join('.');

let scratch: string;
let consumer: string;
let tarball: string;
let orchHome: string;
/** The consumer's own Node binaries: the lowest `engines` allows, and 24 (the checkout's). */
let nodes: Array<{ label: string; bin: string }>;
let before: Map<string, string>;

/** Every file under `dir` with its size and modification time, to prove nothing changed. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const stat = statSync(join(dir, entry), { throwIfNoEntry: false });
    if (stat?.isFile()) files.set(entry, `${stat.size}:${stat.mtimeMs}`);
  }
  return files;
}

function env(node: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Only what a user's shell would have: their Node first on PATH, orch's state dir, no test
  // server redirection beyond what a case passes.
  return {
    PATH: `${dirname(node)}:${join(consumer, 'node_modules/.bin')}:${process.env.PATH}`,
    HOME: process.env.HOME,
    ORCH_HOME: orchHome,
    ...extra,
  } as NodeJS.ProcessEnv;
}

async function inConsumer(node: string, args: string[], extra: Record<string, string> = {}, timeout = 120_000) {
  return run(node, args, { cwd: consumer, env: env(node, extra), timeout, maxBuffer: 16 * 1024 * 1024 });
}

/** `npx` (a `#!/usr/bin/env node` script, as is orch's bin) with `node` first on PATH, so both run on it. */
async function npx(node: string, args: string[], extra: Record<string, string> = {}) {
  return run('npx', ['--no-install', ...args], { cwd: consumer, env: env(node, extra), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'orch-pack-'));
  consumer = join(scratch, 'service');
  orchHome = join(scratch, 'state');
  mkdirSync(consumer);
  const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  tarball = join(scratch, info!.filename);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'service', private: true, type: 'module' }, null, 2)
  );
  const install = (cwd: string, packages: string[]) =>
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], { cwd, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  // The lowest Node lives outside the project, as a user's own Node would: PATH picks it.
  const lowest = join(scratch, 'node-lowest');
  mkdirSync(lowest);
  writeFileSync(join(lowest, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }));
  await install(lowest, [`node@${LOWEST_NODE}`]);
  await install(consumer, [tarball, '@temporalio/worker@1.24.0', '@types/node@24']);
  for (const file of readdirSync(join(root, 'test/fixtures/consumer'))) cpSync(join(root, 'test/fixtures/consumer', file), join(consumer, file));
  cpSync(join(root, 'examples/research-pipeline'), join(consumer, 'research-pipeline'), { recursive: true });
  nodes = [
    { label: `Node ${LOWEST_NODE}`, bin: join(scratch, 'node-lowest/node_modules/node/bin/node') },
    { label: 'Node 24', bin: process.execPath },
  ];
  before = snapshot(join(consumer, 'node_modules'));
}, 900_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships compiled JavaScript, declarations, the prebuilt workflow bundle, README and LICENSE; no tests, no sources', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((line) => line.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'bin/orch.js', 'dist/index.js', 'dist/index.d.ts', 'dist/worker/index.js', 'dist/workflow-bundle.js', 'dist/workflow-bundle-traced.js', 'dist/schema/manifest.json']));
    expect(files.filter((file) => file.startsWith('test/') || file.includes('.test.'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('installed with its own Node: the lowest version the package claims', async () => {
    const { stdout } = await inConsumer(nodes[0]!.bin, ['--version']);
    expect(stdout.trim()).toBe(`v${LOWEST_NODE}`);
  });
});

describe.each([
  { index: 0, label: 'the lowest Node engines allows' },
  { index: 1, label: 'Node 24' },
])('in a consumer project, on $label', ({ index }) => {
  const node = () => nodes[index]!.bin;

  it('runs on that Node', async () => {
    const { stdout } = await npx(node(), ['node', '-p', 'process.version']);
    expect(stdout.trim()).toBe(index === 0 ? `v${LOWEST_NODE}` : process.version);
  });

  it('ships the manifest JSON Schema where editors and code can reach it (`orch/schema/manifest.json`)', async () => {
    const { stdout } = await npx(node(), ['node', '--input-type=module', '-e', "import s from 'orch/schema/manifest.json' with { type: 'json' }; console.log(s.$schema, s.oneOf.length > 10)"]);
    expect(stdout.trim()).toBe('https://json-schema.org/draft/2020-12/schema true');
  });

  it('`npx orch --version` prints the package version', async () => {
    const { stdout } = await npx(node(), ['orch', '--version']);
    expect(stdout.trim()).toBe(packageJson.version);
  });

  it('`npx orch run` runs a copied example against a running server', async () => {
    const { stdout } = await npx(node(), ['orch', 'run', './research-pipeline', '--json', '--task-queue', `pack-run-${index}`], {
      TEMPORAL_ADDRESS: temporalAddress(),
    });
    const outcome = JSON.parse(stdout) as { status: string; output: unknown };
    expect(outcome.status).toBe('succeeded');
    expect(JSON.stringify(outcome.output)).toContain('# Brief: ');
  });

  it('a service imports { compile, OrchClient } from orch and awaits a run a plain Temporal worker with orchPlugin() executes; the native bridge stays out of the service', async () => {
    const result = await serviceRunOn(node(), `pack-plugin-${index}`);
    expect(result.worker.nativeBridge).toBe(true);
    expect(result.service.status).toBe('succeeded');
    expect(JSON.stringify(result.service.output)).toContain('packaged');
    expect(result.service.nativeBridge).toBe(false);
  });
});

describe('a worker that bundles its own workflows', () => {
  it('re-exports orch/workflows from its module; Temporal bundles the compiled package and runs orch’s workflow', async () => {
    const result = await serviceRunOn(process.execPath, 'pack-own-workflows', 'my-workflows.mjs');
    expect(result.service.status).toBe('succeeded');
  });
});

/** Starts worker.mjs on `taskQueue`, runs service.mjs against it, stops the worker. */
async function serviceRunOn(node: string, taskQueue: string, workflowsPath?: string) {
  const args = ['worker.mjs', temporalAddress(), taskQueue, ...(workflowsPath ? [join(consumer, workflowsPath)] : [])];
  const worker: ChildProcess = spawn(node, args, { cwd: consumer, env: env(node), stdio: ['ignore', 'pipe', 'pipe'] });
  let workerErr = '';
  worker.stderr!.on('data', (chunk: Buffer) => (workerErr += chunk.toString()));
  try {
    const ready = await new Promise<{ nativeBridge: boolean }>((resolve, fail) => {
      let out = '';
      worker.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = /ready (\{.*\})/.exec(out);
        if (line) resolve(JSON.parse(line[1]!));
      });
      worker.once('exit', (code) => fail(new Error(`worker exited ${code}: ${workerErr}`)));
    });
    const { stdout } = await inConsumer(node, ['service.mjs', './research-pipeline', temporalAddress(), taskQueue]);
    const service = JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; output: unknown; nativeBridge: boolean };
    return { worker: ready, service };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((done) => (worker.exitCode === null ? worker.once('exit', done) : done(null)));
  }
}

describe('typed consumers', () => {
  it('`tsc --noEmit` of a typed consumer file passes against the shipped declarations', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', join(consumer, 'tsconfig.json')], { cwd: consumer }).catch(
      (error: { stdout: string; stderr: string }) => error
    );
    expect('stdout' in result ? result.stdout + result.stderr : '').toBe('');
  });
});

describe('the embedded dev server, from the package', () => {
  it('`orch server start --detach` keeps its database under ORCH_HOME; `orch run` with no address uses it; `orch server stop` stops it', async () => {
    const cli = await findTemporalCli({ env: process.env });
    expect(cli).toBeTruthy();
    const local = { ORCH_TEMPORAL_CLI: cli! };
    await npx(process.execPath, ['orch', 'server', 'start', '--detach', '--port', '0', '--ui-port', '0'], local);
    try {
      const status = JSON.parse((await npx(process.execPath, ['orch', 'server', 'status', '--json'], local)).stdout) as Record<string, unknown>;
      expect(JSON.stringify(status)).toContain(join(orchHome, 'temporal.db'));
      const { stdout } = await npx(process.execPath, ['orch', 'run', './research-pipeline', '--json'], local);
      expect((JSON.parse(stdout) as { status: string }).status).toBe('succeeded');
      expect(readdirSync(orchHome)).toEqual(expect.arrayContaining(['temporal.db', 'server.json']));
    } finally {
      await npx(process.execPath, ['orch', 'server', 'stop'], local);
    }
    const after = await npx(process.execPath, ['orch', 'server', 'status'], local).catch((error: { code: number }) => error);
    expect('code' in after ? after.code : 0).toBe(3);
  }, 120_000);
});

describe('state', () => {
  it('nothing was written under the consumer’s node_modules', () => {
    const after = snapshot(join(consumer, 'node_modules'));
    const changed = [...after].filter(([file, stamp]) => before.get(file) !== stamp).map(([file]) => file);
    const gone = [...before.keys()].filter((file) => !after.has(file));
    expect({ changed, gone }).toEqual({ changed: [], gone: [] });
  });
});
