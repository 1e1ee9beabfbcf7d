/**
 * `temporal server start-dev` with orch's search attributes: started, waited for until it can
 * take runs, and stopped without leaving a process behind.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ORCH_SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';
import { DEFAULT_TEMPORAL_IP, DEFAULT_TEMPORAL_NAMESPACE, DEFAULT_TEMPORAL_PORT, DEFAULT_TEMPORAL_UI_PORT } from './defaults.ts';
import { TemporalServerError } from './errors.ts';
import { ensureTemporalCli } from './install-temporal-cli.ts';
import { LATENCY_DYNAMIC_CONFIG, SQLITE_PRAGMAS } from './latency-config.ts';
import { findFreePort, formatHost, portFree } from './probe.ts';
import { waitUntilReady } from './readiness.ts';
import type { SearchAttributeSpec } from './search-attributes.ts';
import { spawnServer } from './server-process.ts';
import { statePaths } from './state-dir.ts';
import { resolveToolOptions, type TemporalToolOptions } from './tool-options.ts';

export interface DevServerOptions extends TemporalToolOptions {
  /** Path of the `temporal` CLI. Default: `ensureTemporalCli` (find, else install). */
  cli?: string;
  /** Address the frontend (and UI) bind. Default 127.0.0.1. */
  ip?: string;
  /** Frontend gRPC port. Default 7233; 0 picks a free port. */
  port?: number;
  /** Serve the Web UI. Default true (the link `orch` prints must work); tests pass false. */
  ui?: boolean;
  /** Web UI port. Default 8233; 0 picks a free port. Ignored when `ui` is false. */
  uiPort?: number;
  /** SQLite file. Default `$ORCH_HOME/temporal.db`; null keeps everything in memory. */
  dbFile?: string | null;
  /** Namespace to create and to wait for. Default 'default' (always created). */
  namespace?: string;
  /**
   * Run the server in its own process group, output to `logFile`, not tied to this process:
   * it outlives `orch server` / `orch run` until stopped. Default false (stopped when this
   * process exits).
   */
  detached?: boolean;
  /** Where a detached server writes its output. Default `$ORCH_HOME/temporal.log`. */
  logFile?: string;
  /** Server log level. Default 'warn'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * `--dynamic-config-value KEY=JSON` settings, over {@link LATENCY_DYNAMIC_CONFIG} (which a
   * key given here replaces).
   */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** `--sqlite-pragma NAME=VALUE` settings for the SQLite file. Default {@link SQLITE_PRAGMAS}; ignored in memory. */
  sqlitePragmas?: Readonly<Record<string, string>>;
  /** Search attributes to register. Default `ORCH_SEARCH_ATTRIBUTES`. */
  searchAttributes?: ReadonlyArray<SearchAttributeSpec>;
  /** How long to wait for the frontend. Default 30 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 10 s. */
  stopGraceMs?: number;
}

/** A running dev server started by {@link startDevServer}. */
export interface DevServer {
  /** `host:port` of the gRPC frontend, for `Connection.connect({ address })`. */
  address: string;
  /** Web UI base URL, or null when headless. */
  uiUrl: string | null;
  namespace: string;
  /** The SQLite file, or null when in memory. */
  dbFile: string | null;
  /** Where a detached server writes its output; null when attached (its output is kept in memory). */
  logFile: string | null;
  /** The `temporal` CLI it runs. */
  cli: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is reaped. Idempotent. */
  stop(): Promise<void>;
}

function devServerArgs(o: {
  ip: string;
  port: number;
  uiPort: number | null;
  dbFile: string | null;
  namespace: string;
  logLevel: string;
  searchAttributes: ReadonlyArray<SearchAttributeSpec>;
  dynamicConfig: Readonly<Record<string, unknown>>;
  sqlitePragmas: Readonly<Record<string, string>>;
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--log-level', o.logLevel];
  if (o.uiPort !== null) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.dbFile) for (const [pragma, value] of Object.entries(o.sqlitePragmas)) args.push('--sqlite-pragma', `${pragma}=${value}`);
  if (o.namespace !== DEFAULT_TEMPORAL_NAMESPACE) args.push('--namespace', o.namespace);
  for (const attribute of o.searchAttributes) args.push('--search-attribute', `${attribute.name}=${attribute.type}`);
  for (const [key, value] of Object.entries(o.dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/**
 * Starts `temporal server start-dev` with orch's search attributes and waits until the
 * frontend answers `GetSystemInfo`, the namespace exists and the attributes are registered.
 *
 * @throws TemporalServerError `TEMPORAL_PORT_IN_USE` when a fixed port is taken,
 * `TEMPORAL_SERVER_EXITED` (with the server's last output) when the process dies first,
 * `TEMPORAL_SERVER_TIMEOUT` when it does not answer in time (the process is then stopped).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = options.cli ?? (await ensureTemporalCli(options));
  const autoPorts = options.port === 0 || ((options.ui ?? true) && options.uiPort === 0);
  // A free port picked by us can be taken before the server binds it; try again. The server's
  // own ports beside the one we pick (its HTTP API, membership) can clash too, and its last
  // output may then be a goroutine dump that no longer shows why: with ports picked here, any
  // exit before it answers is tried again.
  const attempts = autoPorts ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, cli);
    } catch (error) {
      const retry = attempt < attempts && TemporalServerError.is(error) && error.code === 'TEMPORAL_SERVER_EXITED';
      if (!retry) throw error;
    }
  }
}

async function startOnce(options: DevServerOptions, cli: string): Promise<DevServer> {
  const { home, env } = resolveToolOptions(options);
  const paths = statePaths(home);
  const ip = options.ip ?? DEFAULT_TEMPORAL_IP;
  const namespace = options.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  const port = options.port === 0 ? await findFreePort(ip) : (options.port ?? DEFAULT_TEMPORAL_PORT);
  const uiPort = !(options.ui ?? true) ? null : options.uiPort === 0 ? await findFreePort(ip) : (options.uiPort ?? DEFAULT_TEMPORAL_UI_PORT);
  const dbFile = options.dbFile === null ? null : path.resolve(options.dbFile ?? paths.dbFile);
  const searchAttributes = options.searchAttributes ?? ORCH_SEARCH_ATTRIBUTES;

  for (const [what, p] of uiPort === null ? ([['frontend', port]] as const) : ([['frontend', port], ['Web UI', uiPort]] as const)) {
    if (!(await portFree(ip, p))) {
      throw new TemporalServerError('TEMPORAL_PORT_IN_USE', `Cannot start the Temporal dev server: the ${what} port ${ip}:${p} is already in use.`);
    }
  }
  if (dbFile) mkdirSync(path.dirname(dbFile), { recursive: true });

  const args = devServerArgs({ ip, port, uiPort, dbFile, namespace, logLevel: options.logLevel ?? 'warn', searchAttributes, dynamicConfig: { ...LATENCY_DYNAMIC_CONFIG, ...options.dynamicConfig }, sqlitePragmas: options.sqlitePragmas ?? SQLITE_PRAGMAS });
  const detached = options.detached ?? false;
  const logFile = path.resolve(options.logFile ?? paths.logFile);
  const server = spawnServer({ cli, args, env, detached, logFile, stopGraceMs: options.stopGraceMs ?? 10_000 });

  const host = formatHost(ip);
  const address = `${host}:${port}`;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  try {
    await waitUntilReady({
      address,
      namespace,
      attributes: searchAttributes.map((attribute) => attribute.name),
      deadline: Date.now() + startTimeoutMs,
      hasExited: () => server.exitInfo() !== undefined,
    });
  } catch (error) {
    const exitInfo = server.exitInfo();
    if (exitInfo) {
      const spawnError = server.spawnError();
      const how = spawnError ? `could not be started (${spawnError.message})` : `exited (code ${exitInfo.code}, signal ${exitInfo.signal})`;
      const serverOutput = await server.output();
      throw new TemporalServerError(
        'TEMPORAL_SERVER_EXITED',
        `The Temporal dev server (${cli} ${args.join(' ')}) ${how} before it answered.${serverOutput ? `\nIts last output:\n${serverOutput}` : ''}`,
        { serverOutput, cause: error },
      );
    }
    await server.stop();
    const serverOutput = await server.output();
    throw new TemporalServerError(
      'TEMPORAL_SERVER_TIMEOUT',
      `The Temporal dev server did not answer at ${address} within ${startTimeoutMs} ms (${(error as Error).message}).${serverOutput ? `\nIts last output:\n${serverOutput}` : ''}`,
      { serverOutput, cause: error },
    );
  }

  if (detached) server.child.unref();
  return {
    address,
    uiUrl: uiPort === null ? null : `http://${host}:${uiPort}`,
    namespace,
    dbFile,
    logFile: detached ? logFile : null,
    cli,
    process: server.child,
    stop: server.stop,
  };
}
