/**
 * Which Temporal cluster a command talks to, and how to connect to it: `--address`,
 * `--namespace` and `--profile` over Temporal's config file and `TEMPORAL_*` variables, else
 * orch's local dev server.
 */
import {
  backgroundServerStatus,
  connectionOptions,
  DEFAULT_TEMPORAL_IP,
  DEFAULT_TEMPORAL_PORT,
  DEFAULT_TEMPORAL_UI_PORT,
  ensureLocalServer,
  ensureSearchAttributes,
  missingSearchAttributes,
  loadTemporalSettings,
  TemporalServerError,
  type TemporalConnectionOptions,
  type TemporalSettings,
} from '../dev-server/index.ts';
import { CliError, type CliIo } from './io.ts';
import type { ConnectionFlags } from './connection-options.ts';
import { OrchClient } from '../client/orch-client.ts';
import { Connection } from '@temporalio/client';

/** Connection settings for OrchClient.connect and createOrchWorker. */
export interface TemporalConnectionSettings extends TemporalConnectionOptions {
  namespace: string;
}

export interface TemporalTarget {
  connection: TemporalConnectionSettings;
  uiUrl: string | null;
  /** A cluster named by flags, profile or TEMPORAL_*, rather than orch's local dev server (which has orch's search attributes). */
  cluster: boolean;
}

export { addConnectionOptions, type ConnectionFlags } from './connection-options.ts';

/** The settings, or one located line and exit 1 when the config file, a profile or a variable is wrong. */
function settingsOf(io: CliIo, flags: ConnectionFlags): TemporalSettings {
  try {
    return loadTemporalSettings({ env: io.env, ...pick(flags) });
  } catch (error) {
    if (TemporalServerError.is(error)) throw new CliError(error.message);
    throw error;
  }
}

/** Only the connection flags: commander's flag objects carry every other option too. */
function pick(flags: ConnectionFlags): ConnectionFlags {
  return {
    ...(flags.address === undefined ? {} : { address: flags.address }),
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
  };
}

/**
 * The configured cluster when there is one. Otherwise the local dev server: the background one
 * `orch run` started, or one answering on 127.0.0.1:7233; when `startServer` is set and there
 * is none, one is started in the background, so the Web UI link printed after a run keeps
 * working once the command returns.
 */
export async function connectTemporal(io: CliIo, options: { startServer: boolean; flags: ConnectionFlags }): Promise<TemporalTarget> {
  const settings = settingsOf(io, options.flags);
  const configuredUi = io.env.ORCH_TEMPORAL_UI_URL?.trim() || null;
  if (settings.cluster) {
    return { connection: { ...connectionOptions(settings.cluster), namespace: settings.namespace }, uiUrl: configuredUi, cluster: true };
  }
  if (options.startServer) {
    const server = await ensureLocalServer({ env: io.env, namespace: settings.namespace, detached: true, log: (message: string) => io.stderr(`${message}\n`) });
    if (server.started) io.stderr(`orch: started a Temporal dev server at ${server.address}${server.uiUrl ? ` (Web UI ${server.uiUrl})` : ''}; it keeps running for later runs (\`orch server stop\` stops it)\n`);
    return { connection: { ...connectionOptions(server.connection), namespace: server.namespace }, uiUrl: server.uiUrl, cluster: false };
  }
  const background = await backgroundServerStatus({ env: io.env });
  const recorded = background.state === 'running' ? background.server : null;
  return {
    connection: { address: recorded?.address ?? `${DEFAULT_TEMPORAL_IP}:${DEFAULT_TEMPORAL_PORT}`, namespace: settings.namespace },
    uiUrl: configuredUi ?? (recorded ? recorded.uiUrl : `http://${DEFAULT_TEMPORAL_IP}:${DEFAULT_TEMPORAL_UI_PORT}`),
    cluster: false,
  };
}

/**
 * Runs `connect`, turning a connection failure into one clear line that names the address
 * instead of the transport's own error text.
 */
export async function reachTemporal<T>(target: TemporalTarget, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/connect|transport|deadline|unavailable|ECONNREFUSED|dns/i.test(message)) {
      throw new CliError(
        `cannot reach Temporal at ${target.connection.address} (namespace ${target.connection.namespace}); is it running? Start one with \`orch server\`, or name a cluster with --address, --profile or TEMPORAL_ADDRESS`
      );
    }
    throw error;
  }
}

/**
 * On a cluster orch did not start, registers orch's search attributes the namespace lacks;
 * where that is not permitted (Temporal Cloud, a locked-down cluster) it says once what is
 * missing and how an operator adds it. Runs work either way; `orch runs` shows `-` without them.
 */
export async function noteSearchAttributes(io: CliIo, target: TemporalTarget): Promise<void> {
  if (!target.cluster) return;
  const { namespace } = target.connection;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connection, connectTimeout: 5_000 });
  } catch {
    // Unreachable: the command's own connection says so.
    return;
  }
  try {
    // Listed once: what is missing decides both the registration and what to tell. Not even
    // listed (no such namespace, no permission to look): the command itself reports what matters.
    const missing = await missingSearchAttributes(connection, namespace).catch(() => []);
    if (missing.length === 0) return;
    try {
      const added = await ensureSearchAttributes(connection, namespace, undefined, missing);
      io.stderr(`orch: registered search attributes ${added.join(', ')} on namespace ${namespace}\n`);
    } catch {
      const flags = missing.map((attribute) => `--name ${attribute.name} --type ${attribute.type}`).join(' ');
      io.stderr(
        `orch: namespace ${namespace} lacks orch's search attributes ${missing.map((attribute) => attribute.name).join(', ')}, and orch may not add them: runs work, but \`orch runs\` cannot show or filter their status, tokens and cost. ` +
          `An operator adds them once: \`temporal operator search-attribute create --namespace ${namespace} ${flags}\` (Temporal Cloud: \`tcld namespace search-attributes add --namespace ${namespace} ${missing.map((attribute) => `--search-attribute ${attribute.name}=${attribute.type}`).join(' ')}\`)\n`
      );
    }
  } finally {
    await connection.close().catch(() => {});
  }
}

/**
 * Connects an OrchClient to the configured cluster (never starting a server), runs `act`,
 * and closes the connection: the shape of every command that inspects or steers a run.
 */
export async function withOrchClient<T>(io: CliIo, flags: ConnectionFlags, act: (client: OrchClient, target: TemporalTarget) => Promise<T>): Promise<T> {
  const target = await connectTemporal(io, { startServer: false, flags });
  const client = await reachTemporal(target, () => OrchClient.connect(target.connection));
  try {
    return await act(client, target);
  } finally {
    await client.client.connection.close();
  }
}
