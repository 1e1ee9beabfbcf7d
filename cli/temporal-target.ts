/** Which Temporal cluster a command talks to, and how to connect to it. */
import type { TLSConfig } from '@temporalio/client';
import {
  connectionOptions,
  DEFAULT_TEMPORAL_NAMESPACE,
  ensureTemporalServer,
  resolveTemporalConnection,
} from '../dev-server/temporal-server.ts';
import { CliError, type CliIo } from './io.ts';
import { OrchClient } from '../client/orch-client.ts';

/** Connection settings for OrchClient.connect and createOrchWorker. */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

export interface TemporalTarget {
  connection: TemporalConnectionSettings;
  uiUrl: string | null;
}

/**
 * `TEMPORAL_ADDRESS` (and Temporal's other standard variables) when set. Otherwise the local
 * dev server: reused when one answers, started in the background when `startServer` is set,
 * so the Web UI link printed after a run keeps working once the command returns.
 */
export async function connectTemporal(io: CliIo, options: { startServer: boolean }): Promise<TemporalTarget> {
  if (options.startServer) {
    const server = await ensureTemporalServer({
      env: io.env,
      detached: true,
      log: (message: string) => io.stderr(`${message}\n`),
    });
    if (server.started) io.stderr(`orch: started a Temporal dev server at ${server.address}${server.uiUrl ? ` (Web UI ${server.uiUrl})` : ''}; it keeps running for later runs\n`);
    return {
      connection: { ...connectionOptions(server.connection), namespace: server.namespace },
      uiUrl: server.uiUrl,
    };
  }
  const remote = resolveTemporalConnection(io.env);
  if (remote) {
    return {
      connection: { ...connectionOptions(remote), namespace: remote.namespace },
      uiUrl: io.env.ORCH_TEMPORAL_UI_URL?.trim() || null,
    };
  }
  return {
    connection: { address: '127.0.0.1:7233', namespace: io.env.TEMPORAL_NAMESPACE?.trim() || DEFAULT_TEMPORAL_NAMESPACE },
    uiUrl: io.env.ORCH_TEMPORAL_UI_URL?.trim() || 'http://127.0.0.1:8233',
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
        `cannot reach Temporal at ${target.connection.address} (namespace ${target.connection.namespace}); is it running? Start one with \`orch server\`, or set TEMPORAL_ADDRESS`
      );
    }
    throw error;
  }
}

/**
 * Connects an OrchClient to the configured cluster (never starting a server), runs `act`,
 * and closes the connection: the shape of every command that inspects or steers a run.
 */
export async function withOrchClient<T>(io: CliIo, act: (client: OrchClient, target: TemporalTarget) => Promise<T>): Promise<T> {
  const target = await connectTemporal(io, { startServer: false });
  const client = await reachTemporal(target, () => OrchClient.connect(target.connection));
  try {
    return await act(client, target);
  } finally {
    await client.client.connection.close();
  }
}
