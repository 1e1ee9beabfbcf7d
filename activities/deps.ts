/**
 * What the worker injects into activities. Kept apart from the activities so tests and
 * the worker build them the same way.
 */
import type { SecretValues } from '../contract/activity-io.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from './activity-context.ts';
import { DEFAULT_MCP_LIST_TIMEOUT_MS, McpConnectionPool } from './mcp-connections.ts';
import { defaultMemoryHome, MemoryDatabases } from './memory-databases.ts';
import { DEFAULT_MEMORY_HTTP_TIMEOUT_MS } from './memory-http.ts';
import { modelDestination, PROVIDER_KEY_ENV, providerKeyVariable } from './model-provider.ts';
import { createGuardedHttp, networkSettings, type GuardedHttp, type NetworkSettings } from './network-guard.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { SecretDestinations, type WorkerManifests } from './secret-destinations.ts';
import { heldSecretValues } from './secrets.ts';
import { DEFAULT_MAX_TOOL_OUTPUT_BYTES } from './tool-output.ts';
import { openBlobStore, type BlobStore } from './blob-store.ts';

/** Injected dependencies of {@link createActivities}; every field is optional. */
export interface ActivityDeps {
  /** Values of Secret manifests, keyed `namespace/name`, then by data key. */
  secrets?: SecretValues;
  /**
   * What the manifests this worker loaded declare (`CompileResult.manifests` or
   * `ValidateResult.manifests`): the endpoints its unbound secrets may go to, and the
   * `destinations` its Secrets list. Without it only `ORCH_SECRET_<NAME>_DESTINATIONS`
   * bind, and an unbound secret goes nowhere (see activities/secret-destinations.ts).
   */
  manifests?: WorkerManifests;
  /**
   * Where `ORCH_SECRET_*` / `ORLOJ_SECRET_*`, provider key variables, `ORCH_TOOLS_ALLOW_*`
   * and the PATH given to stdio MCP servers are read. Default: `process.env`.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * The fetch used for model calls. Default: the global fetch. Tool calls (HTTP tools,
   * MCP over HTTP) do not use it: they go through the network guard's own client.
   */
  fetch?: typeof fetch;
  /** Interval between heartbeats while a call is in flight. Default: 1000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * Non-public destinations tool endpoints (HTTP tools, MCP servers over HTTP) may reach.
   * Defaults: `ORCH_TOOLS_ALLOW_LOOPBACK=true` / `ORCH_TOOLS_ALLOW_PRIVATE=true` in `env`,
   * else refused. Link-local (cloud metadata), unspecified and reserved addresses are
   * always refused.
   */
  network?: { allowLoopback?: boolean; allowPrivate?: boolean };
  /** Size limit of a tool's output given to the model, in bytes of text; longer output is cut with a marker. Default 64 KiB. */
  maxToolOutputBytes?: number;
  /** Where `pgvector` Memories without an endpoint keep their embedded databases (`<memoryHome>/<namespace>/<name>`). Default: `$ORCH_HOME/memory`. */
  memoryHome?: string;
  /** Deadline of one call to an `http` Memory's service, all its requests together. Default 20 s. */
  memoryHttpTimeoutMs?: number;
  /**
   * The claim-check store of large tool results and transcripts (activities/blob-store.ts): a
   * directory or a `postgres://` URL, shared by every worker of the deployment. Default:
   * `ORCH_BLOB_STORE` in `env`, else `$ORCH_HOME/blobs`.
   */
  blobStore?: string;
  /** MCP connection settings. */
  mcp?: {
    /** Bound on starting a server and its `initialize`. Default 30 s. */
    connectTimeoutMs?: number;
    /** Bound on a `tools/list` page. Default 30 s. */
    listTimeoutMs?: number;
  };
}

/** {@link ActivityDeps} with defaults applied, plus the resources the activities share. */
export interface ActivityRuntime {
  secrets: SecretValues;
  env: NodeJS.ProcessEnv;
  /** Where each secret may go. */
  destinations: SecretDestinations;
  /** Redactors over every secret the worker holds, plus a call's own. */
  redactors: RuntimeRedactors;
  fetch: typeof fetch | undefined;
  heartbeatIntervalMs: number;
  network: NetworkSettings;
  maxToolOutputBytes: number;
  /** The guarded HTTP client of tool calls (keep-alive agents; destroyed by `close`). */
  http: GuardedHttp;
  /** MCP connections, one per server. */
  mcp: McpConnectionPool;
  mcpListTimeoutMs: number;
  /** The databases of `pgvector` Memories, opened on first use. */
  memoryDatabases: MemoryDatabases;
  memoryHttpTimeoutMs: number;
  /** Where large tool results and transcripts are kept instead of history. */
  blobs: BlobStore;
  /** Closes MCP connections (killing stdio servers) and the HTTP agents. */
  close(): Promise<void>;
}

/**
 * Redactors for what leaves an activity. Each masks every secret value the worker holds
 * (values shorter than 8 characters only when the call used them: a short value would
 * mask ordinary text) and the values given, the call's own.
 */
export interface RuntimeRedactors {
  /** For results: values only, so a tool's legitimate data is not rewritten. */
  result(values?: readonly (string | undefined)[]): Redactor;
  /** For failures and logs: values, and credential-shaped tokens too. */
  failure(values?: readonly (string | undefined)[]): Redactor;
}

function providerKeyVariables(): string[] {
  return Object.values(PROVIDER_KEY_ENV).filter((name): name is string => name !== undefined);
}

/** Held secrets shorter than this are masked only in the calls that used them. */
const MIN_HELD_SECRET_LENGTH = 8;

function runtimeRedactors(held: () => readonly string[]): RuntimeRedactors {
  let cached: { held: Set<string>; result: Redactor; failure: Redactor } | undefined;
  const base = () => {
    if (!cached) {
      const values = held().filter((value) => value.length >= MIN_HELD_SECRET_LENGTH);
      cached = { held: new Set(values), result: createRedactor(values, { patterns: false }), failure: createRedactor(values) };
    }
    return cached;
  };
  const build = (values: readonly (string | undefined)[], patterns: boolean): Redactor => {
    const known = base();
    const extra = values.filter((value): value is string => typeof value === 'string' && value !== '' && !known.held.has(value));
    if (extra.length === 0) return patterns ? known.failure : known.result;
    return createRedactor([...known.held, ...extra], { patterns });
  };
  return { result: (values = []) => build(values, false), failure: (values = []) => build(values, true) };
}

/** Applies the defaults. `fetch` stays undefined when not given so providers use their own default. */
export function activityRuntime(deps: ActivityDeps = {}): ActivityRuntime {
  const env = deps.env ?? process.env;
  const secrets = deps.secrets ?? {};
  const network = networkSettings(deps.network, env);
  const http = createGuardedHttp(network);
  const destinations = new SecretDestinations({ manifests: deps.manifests, env, modelDestination, providerKeyVariable });
  const redactors = runtimeRedactors(() => heldSecretValues({ env, secrets }, providerKeyVariables()));
  const mcp = new McpConnectionPool({
    secrets,
    env,
    http,
    destinations,
    redactors,
    ...(deps.mcp?.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.mcp.connectTimeoutMs } : {}),
  });
  const memoryDatabases = new MemoryDatabases(deps.memoryHome ?? defaultMemoryHome(env));
  const blobs = openBlobStore(env, deps.blobStore ?? env.ORCH_BLOB_STORE?.trim());
  return {
    secrets,
    env,
    destinations,
    redactors,
    fetch: deps.fetch,
    heartbeatIntervalMs: deps.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    network,
    maxToolOutputBytes: Math.max(1, deps.maxToolOutputBytes ?? DEFAULT_MAX_TOOL_OUTPUT_BYTES),
    http,
    mcp,
    mcpListTimeoutMs: deps.mcp?.listTimeoutMs ?? DEFAULT_MCP_LIST_TIMEOUT_MS,
    memoryDatabases,
    memoryHttpTimeoutMs: deps.memoryHttpTimeoutMs ?? DEFAULT_MEMORY_HTTP_TIMEOUT_MS,
    blobs,
    async close() {
      await mcp.closeAll();
      await memoryDatabases.close();
      await blobs.close();
      http.destroy();
    },
  };
}
