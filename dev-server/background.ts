/**
 * A Temporal server for `orch run` and `orch worker`, wherever it comes from: the configured
 * cluster; else the background dev server an earlier command started (`$ORCH_HOME/server.json`);
 * else whatever Temporal answers on 127.0.0.1:7233; else a new dev server, left running in the
 * background for later runs when `detached`.
 */
import { Connection } from '@temporalio/client';
import { loadTemporalSettings, type TemporalConnectionConfig, type TemporalConnectionFlags } from './connection.ts';
import { DEFAULT_TEMPORAL_IP, DEFAULT_TEMPORAL_NAMESPACE, DEFAULT_TEMPORAL_PORT, DEFAULT_TEMPORAL_UI_PORT } from './defaults.ts';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server.ts';
import { TemporalServerError } from './errors.ts';
import { formatHost, httpAnswers, probeTemporal } from './probe.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { isRecordedServer, readServerRecord, removeServerRecord, writeServerRecord, type BackgroundServerRecord } from './server-record.ts';
import { withStartLock } from './start-lock.ts';
import { statePaths } from './state-dir.ts';
import { resolveToolOptions } from './tool-options.ts';

/** As {@link DevServerOptions}, plus a command's connection flags; the namespace comes from them or the environment. */
export type EnsureTemporalServerOptions = Omit<DevServerOptions, 'namespace'> & TemporalConnectionFlags;

/** A Temporal server to use, and whether this call started it. */
export interface TemporalServerHandle {
  address: string;
  namespace: string;
  /** Web UI base URL when known (`ORCH_TEMPORAL_UI_URL` for remote clusters), else null. */
  uiUrl: string | null;
  /** True when this call started a dev server; stop() stops only such a server. */
  started: boolean;
  /** Full connection settings (TLS, API key) for `Connection.connect(connectionOptions(...))`. */
  connection: TemporalConnectionConfig;
  /** The dev server this call started, if any. */
  server: DevServer | null;
  stop(): Promise<void>;
}

const nothingToStop = async (): Promise<void> => {};

/**
 * The configured cluster (`--address`, `TEMPORAL_ADDRESS`, a profile: nothing is started, the
 * UI comes from `ORCH_TEMPORAL_UI_URL`), else {@link ensureLocalServer}.
 */
export async function ensureTemporalServer(options: EnsureTemporalServerOptions = {}): Promise<TemporalServerHandle> {
  const { env } = resolveToolOptions(options);
  const { address, namespace, profile, ...local } = options;
  const settings = loadTemporalSettings({ env, address, namespace, profile });
  if (settings.cluster) {
    const cluster = settings.cluster;
    const uiUrl = env.ORCH_TEMPORAL_UI_URL?.trim() || null;
    return { address: cluster.address, namespace: cluster.namespace, uiUrl, started: false, connection: cluster, server: null, stop: nothingToStop };
  }
  return ensureLocalServer({ ...local, namespace: settings.namespace });
}

/** The recorded background server when it still runs and answers; a record of a dead one is removed. */
export async function liveBackgroundServer(recordFile: string): Promise<BackgroundServerRecord | null> {
  const record = readServerRecord(recordFile);
  if (!record) return null;
  if (!isRecordedServer(record)) {
    removeServerRecord(recordFile);
    return null;
  }
  return (await probeTemporal(record.address)) === 'temporal' ? record : null;
}

/**
 * A local dev server: the recorded background one (unless `port` asks for another), else one
 * answering on the port (orch's search attributes are registered on it when missing), else a
 * new one: SQLite under `$ORCH_HOME`, the UI on 8233. A `detached` one is recorded, and its
 * start is serialized with other orch processes.
 */
export async function ensureLocalServer(options: DevServerOptions = {}): Promise<TemporalServerHandle> {
  const { home, env, log } = resolveToolOptions(options);
  const paths = statePaths(home);
  const namespace = options.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  const configuredUi = env.ORCH_TEMPORAL_UI_URL?.trim() || null;
  const ip = options.ip ?? DEFAULT_TEMPORAL_IP;
  const port = options.port ?? DEFAULT_TEMPORAL_PORT;
  const uiPort = options.uiPort ?? DEFAULT_TEMPORAL_UI_PORT;
  const address = `${formatHost(ip)}:${port}`;

  const useExisting = async (at: string, uiUrl: string | null): Promise<TemporalServerHandle> => {
    const connection = await Connection.connect({ address: at, connectTimeout: 5000 });
    try {
      await connection.workflowService.describeNamespace({ namespace }).catch((error: unknown) => {
        throw new TemporalServerError(
          'TEMPORAL_CONFIG_INVALID',
          `The Temporal server at ${at} has no namespace "${namespace}" (create it with \`temporal operator namespace create ${namespace}\`).`,
          { cause: error },
        );
      });
      const added = await ensureSearchAttributes(connection, namespace);
      if (added.length > 0) log(`orch: registered search attributes ${added.join(', ')} on ${at}`);
    } finally {
      await connection.close();
    }
    return { address: at, namespace, uiUrl, started: false, connection: { address: at, namespace }, server: null, stop: nothingToStop };
  };

  const find = async (): Promise<TemporalServerHandle | null> => {
    const recorded = options.port === undefined ? await liveBackgroundServer(paths.serverRecord) : null;
    if (recorded) return useExisting(recorded.address, configuredUi ?? recorded.uiUrl);
    if (port === 0) return null;
    const found = await probeTemporal(address);
    if (found === 'temporal') {
      const guessedUi = `http://${formatHost(ip)}:${uiPort}`;
      return useExisting(address, configuredUi ?? ((await httpAnswers(guessedUi)) ? guessedUi : null));
    }
    if (found === 'other') {
      throw new TemporalServerError(
        'TEMPORAL_PORT_IN_USE',
        `Something that is not a Temporal server listens on ${address}. Stop it, or point orch at a cluster with --address or TEMPORAL_ADDRESS.`,
      );
    }
    return null;
  };

  const start = async (): Promise<TemporalServerHandle> => {
    const existing = await find();
    if (existing) return existing;
    const server = await startDevServer({ ...options, home, env, log, ip, port, uiPort, namespace });
    if (options.detached && server.process.pid !== undefined && server.logFile) {
      writeServerRecord(paths.serverRecord, {
        pid: server.process.pid,
        address: server.address,
        uiUrl: server.uiUrl,
        namespace,
        dbFile: server.dbFile,
        logFile: server.logFile,
        cli: server.cli,
        startedAt: new Date().toISOString(),
      });
    }
    return { address: server.address, namespace, uiUrl: server.uiUrl, started: true, connection: { address: server.address, namespace }, server, stop: () => server.stop() };
  };

  try {
    return options.detached ? await withStartLock(paths.startLock, start) : await start();
  } catch (error) {
    // Something else (a plain `temporal server start-dev`) may have taken the port meanwhile: use it.
    if (port !== 0 && TemporalServerError.is(error) && error.code !== 'TEMPORAL_CLI_MISSING' && (await probeTemporal(address)) === 'temporal') {
      return useExisting(address, configuredUi);
    }
    throw error;
  }
}
