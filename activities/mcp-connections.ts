/**
 * MCP connections: one SDK `Client` per MCP server per worker, shared by every call to
 * that server, in a pool keyed by the server's `namespace/name` plus a hash of its
 * resolved configuration (so an edited manifest or a rotated secret gets a fresh
 * connection instead of reusing a stale one).
 *
 * - stdio: the command is spawned with ONLY the declared `env` entries (literal values,
 *   or `secretRef`s resolved here) plus the worker's `PATH`, which the child needs to find
 *   `node`, `npx`, `uvx` and the like; a declared `PATH` wins. Nothing else of the
 *   worker's environment (provider keys, ORCH_SECRET_* values) reaches the server. Its
 *   stderr is kept as a bounded tail for error messages, never printed.
 * - http: streamable HTTP to `endpoint`, with `auth` headers (bearer, api_key_header,
 *   basic) and the same network guard as HTTP tools (loopback/private refused unless
 *   allowed).
 *
 * Lifetime: concurrent first calls share one connect. A connection unused for the
 * server's `idleTimeoutMs` is closed (0 or less: kept until the pool closes). A
 * connection whose transport closed (the child died, the session ended) or failed at the
 * connection level is evicted at once, so the next call connects afresh: a call that
 * finds its server already gone reconnects transparently; a call in flight when it dies
 * fails with a retryable failure and Temporal's retry reconnects. `closeAll()` closes
 * everything (worker shutdown).
 *
 * {@link discoverMcpTools} lists a server's tools with or without a pool, for the
 * `listMcpTools` activity and for `orch validate --discover` in the CLI process.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadedMcpSdk, loadMcpSdk } from './mcp-sdk.ts';
import { admittedMcpTool, type JsonObject, type PlanMcpServer } from '../contract/plan.ts';
import { activityFailure, cancellationError, isAbortOrTimeout, networkErrorCode } from './classify-failure.ts';
import { ChildProcessTransport, TailBuffer } from './mcp-stdio-transport.ts';
import { createGuardedHttp, endpointForbidden, networkSettings, type GuardedHttp, type NetworkSettings } from './network-guard.ts';
import { createRedactor, type Redact, type Redactor } from './redact.ts';
import { stdioDestination, type SecretDestinations } from './secret-destinations.ts';
import { resolveSecretFor, type SecretSources } from './secrets.ts';
import { authHeaders } from './tool-auth.ts';
import type { ActivityFailureType, McpToolDescription, SecretValues } from '../contract/activity-io.ts';

/** Default bound on starting a server and completing `initialize`. */
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 30_000;
/** Default bound on one `tools/list` page. */
export const DEFAULT_MCP_LIST_TIMEOUT_MS = 30_000;

const CLIENT_INFO = { name: 'orch', version: '0.1.0' };

/** Options of {@link McpConnectionPool}; every field is optional. */
export interface McpPoolOptions {
  /** Secret manifests' values, for `secretRef`s in `env` and `auth`. */
  secrets?: SecretValues;
  /**
   * Where each secret may go: a stdio server gets a secret only when its launch is bound to
   * it, an http server only when its endpoint is (see secret-destinations.ts). Workers always
   * pass one; without it nothing is checked, which only suits connecting to the servers of
   * manifests this process loaded itself (the CLI's discovery).
   */
  destinations?: SecretDestinations;
  /**
   * Builds the redactors of a connection from its own secret values; the activities' ones
   * also mask every other secret the worker holds. Default: the connection's values only.
   */
  redactors?: { result(values: readonly string[]): Redactor; failure(values: readonly string[]): Redactor };
  /** Where ORCH_SECRET_* values, PATH and the network defaults are read. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Which non-public addresses http servers may have (defaults from ORCH_TOOLS_ALLOW_*). */
  network?: Partial<NetworkSettings>;
  /** A guarded HTTP client to share (the activities' one); otherwise the pool makes and destroys its own. */
  http?: GuardedHttp;
  /** Bound on spawn/connect + `initialize`. Default 30 s. */
  connectTimeoutMs?: number;
  /** Characters of a stdio server's stderr kept for error messages. Default 4096. */
  stderrTailChars?: number;
  /** How long a closing stdio server gets after stdin closes, and after SIGTERM. Default 1000 ms. */
  closeGraceMs?: number;
}

/** One live connection, as the pool's users see it. */
export interface McpConnection {
  /** Pool key: `namespace/name#<config hash>`. */
  readonly key: string;
  /** `namespace/name` of the McpServer. */
  readonly server: string;
  readonly transport: 'stdio' | 'http';
  readonly client: Client;
  /** The stdio child's pid; null for http. */
  readonly pid: number | null;
  /** Masks the secret values this connection was configured with (and credential shapes): for failures. */
  readonly redact: Redact;
  /** Masks secret values only (those of the connection, and the pool's `redactors` ones): for results. */
  readonly redactResult: Redactor;
  readonly closed: boolean;
  /** How many calls are using it now. */
  readonly inFlight: number;
}

interface Entry extends McpConnection {
  closed: boolean;
  inFlight: number;
  pid: number | null;
  idleTimer: NodeJS.Timeout | undefined;
  idleTimeoutMs: number;
  stderr: TailBuffer | null;
  stdio: ChildProcessTransport | null;
  http: StreamableHTTPClientTransport | null;
  lastError: Error | undefined;
}

/**
 * A connection-level failure, wrapped with what the pool knows about it (the stdio child's
 * exit status and stderr tail, redacted). The activity classifies `cause`.
 */
export class McpConnectionError extends Error {
  override readonly name = 'McpConnectionError';
  readonly server: string;
  readonly phase: 'connect' | 'call';
  override readonly cause: unknown;
  /** Already redacted; empty when there is nothing to add. */
  readonly detail: string;
  constructor(server: string, phase: 'connect' | 'call', cause: unknown, detail: string) {
    super(`${cause instanceof Error ? cause.message : String(cause)}${detail ? ` (${detail})` : ''}`);
    this.server = server;
    this.phase = phase;
    this.cause = cause;
    this.detail = detail;
  }
}

interface ResolvedServer {
  key: string;
  id: string;
  secrets: string[];
  stdio: { command: string; args: string[]; env: Record<string, string> } | null;
  http: { url: URL; headers: Record<string, string> } | null;
}

/** `namespace/name` of a server. */
export function mcpServerId(server: PlanMcpServer): string {
  return `${server.id.namespace}/${server.id.name}`;
}

/**
 * The child's environment: the declared entries (values or resolved secrets) plus the
 * worker's PATH, and the secret values in it (for redaction). A secret goes into it only
 * when the server's launch (command line and literal entries) is bound to the secret.
 */
export function mcpChildEnv(server: PlanMcpServer, sources: SecretSources): { env: Record<string, string>; secrets: string[] } {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  const path = sources.env.PATH ?? process.env.PATH;
  if (path !== undefined) env.PATH = path;
  const launch = stdioDestination(server);
  for (const entry of server.env) {
    if (entry.secretRef) {
      const value = resolveSecretFor(entry.secretRef, sources, launch, `MCP server ${mcpServerId(server)}`);
      env[entry.name] = value;
      secrets.push(value);
    } else {
      env[entry.name] = entry.value ?? '';
    }
  }
  return { env, secrets };
}

function configFailure(id: string, message: string): ApplicationFailure {
  return activityFailure('TOOL_CONFIG_INVALID', `MCP server ${id}: ${message}`, { details: { mcpServer: id } }, createRedactor([]));
}

function resolveServer(server: PlanMcpServer, sources: SecretSources): ResolvedServer {
  const id = mcpServerId(server);
  let resolved: Omit<ResolvedServer, 'key'>;
  if (server.transport === 'stdio') {
    if (!server.command) throw configFailure(id, 'stdio transport needs a command');
    const { env, secrets } = mcpChildEnv(server, sources);
    resolved = { id, secrets, stdio: { command: server.command, args: [...server.args], env }, http: null };
  } else {
    if (!server.endpoint) throw configFailure(id, 'http transport needs an endpoint');
    let url: URL;
    try {
      url = new URL(server.endpoint);
    } catch {
      throw configFailure(id, `endpoint is not a URL: ${server.endpoint}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configFailure(id, `endpoint must be http or https: ${server.endpoint}`);
    const auth = authHeaders(server.auth, url.href, id, sources, 'MCP server');
    resolved = { id, secrets: auth.secrets, stdio: null, http: { url, headers: auth.headers } };
  }
  // The hash covers resolved values too, so a rotated secret yields a new connection. It
  // stays in this process: keys are never logged or put in failures.
  const hash = createHash('sha256')
    .update(JSON.stringify({ transport: server.transport, stdio: resolved.stdio, http: resolved.http && { url: resolved.http.url.href, headers: resolved.http.headers } }))
    .digest('hex')
    .slice(0, 16);
  return { ...resolved, key: `${id}#${hash}` };
}

/** Rejects with the signal's reason when it aborts first; the shared work goes on for others. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      }
    );
  });
}

/**
 * True for failures of the connection rather than of the request: the transport closed,
 * the child is gone, the network failed, the session expired, the server is down.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpConnectionError) return true;
  const sdk = loadedMcpSdk();
  if (sdk && error instanceof sdk.McpError) return error.code === sdk.ErrorCode.ConnectionClosed;
  if (sdk && error instanceof sdk.StreamableHTTPError) {
    const status = error.code ?? 0;
    return status === 404 || status >= 500;
  }
  if (networkErrorCode(error) !== undefined) return true;
  if (error instanceof Error && /not running|not connected|EPIPE|write after end/i.test(error.message)) return true;
  return false;
}

/** A pool of MCP connections; see the module comment. */
export class McpConnectionPool {
  readonly #sources: SecretSources;
  readonly #redactors: NonNullable<McpPoolOptions['redactors']>;
  readonly #http: GuardedHttp;
  readonly #ownsHttp: boolean;
  readonly #connectTimeoutMs: number;
  readonly #stderrTailChars: number;
  readonly #closeGraceMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #connecting = new Map<string, Promise<Entry>>();
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(options: McpPoolOptions = {}) {
    const env = options.env ?? process.env;
    this.#sources = { env, secrets: options.secrets ?? {}, destinations: options.destinations };
    this.#redactors = options.redactors ?? {
      result: (values) => createRedactor(values, { patterns: false }),
      failure: (values) => createRedactor(values),
    };
    this.#ownsHttp = options.http === undefined;
    this.#http = options.http ?? createGuardedHttp(networkSettings(options.network, env));
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS;
    this.#stderrTailChars = options.stderrTailChars ?? 4096;
    this.#closeGraceMs = options.closeGraceMs ?? 1000;
  }

  /** The live connections, for diagnostics and tests. */
  connections(): McpConnection[] {
    return [...this.#entries.values()];
  }

  /** The live connection for a server (any config hash), if any. */
  connectionFor(server: PlanMcpServer | string): McpConnection | undefined {
    const id = typeof server === 'string' ? server : mcpServerId(server);
    for (const entry of this.#entries.values()) if (entry.server === id && !entry.closed) return entry;
    return undefined;
  }

  /**
   * Runs `work` on the server's connection, connecting first if needed. A connection-level
   * failure (of the connect or of `work`) evicts the connection and is rethrown as an
   * {@link McpConnectionError}; other errors are rethrown as they are. `signal` abandons
   * the wait for a shared connect (the connect itself goes on for other callers).
   */
  async use<T>(server: PlanMcpServer, work: (connection: McpConnection) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    if (this.#closed) throw new McpConnectionError(mcpServerId(server), 'connect', new Error('MCP connection pool is closed'), '');
    const resolved = resolveServer(server, this.#sources);
    const entry = await raceSignal(this.#acquire(resolved, server), options.signal);
    entry.inFlight++;
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    try {
      return await work(entry);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (isConnectionFailure(error) || entry.closed) {
        const detail = this.#detail(entry);
        this.evict(entry);
        throw new McpConnectionError(entry.server, 'call', error, detail);
      }
      const sdk = loadedMcpSdk();
      if (sdk && error instanceof sdk.McpError && error.code === sdk.ErrorCode.RequestTimeout) this.#probe(entry);
      throw error;
    } finally {
      entry.inFlight--;
      this.#scheduleIdle(entry);
    }
  }

  /** Closes a connection (and its child) and forgets it. Resolves when it is closed. */
  evict(connection: McpConnection): Promise<void> {
    const entry = connection as Entry;
    if (entry.closed) return Promise.resolve();
    entry.closed = true;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    const closing = (async () => {
      if (entry.http?.sessionId) {
        // Polite: end the server's session; bounded, since the server may be the problem.
        await Promise.race([entry.http.terminateSession().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      await entry.client.close().catch(() => {});
    })();
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
    return closing;
  }

  /** Closes every connection and stops accepting new ones (worker shutdown). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#connecting.values()]);
    for (const entry of [...this.#entries.values()]) void this.evict(entry);
    await Promise.allSettled([...this.#closing]);
    if (this.#ownsHttp) this.#http.destroy();
  }

  #acquire(resolved: ResolvedServer, server: PlanMcpServer): Promise<Entry> {
    const existing = this.#entries.get(resolved.key);
    if (existing && !existing.closed && !existing.stdio?.exited) return Promise.resolve(existing);
    if (existing) this.evict(existing);
    let pending = this.#connecting.get(resolved.key);
    if (!pending) {
      pending = this.#connect(resolved, server).finally(() => this.#connecting.delete(resolved.key));
      this.#connecting.set(resolved.key, pending);
    }
    return pending;
  }

  async #connect(resolved: ResolvedServer, server: PlanMcpServer): Promise<Entry> {
    const redact = this.#redactors.failure(resolved.secrets);
    const redactResult = this.#redactors.result(resolved.secrets);
    const sdk = await loadMcpSdk();
    const client = new sdk.Client(CLIENT_INFO, { capabilities: {} });
    const stderr = resolved.stdio ? new TailBuffer(this.#stderrTailChars) : null;
    const stdio = resolved.stdio
      ? new ChildProcessTransport({ ...resolved.stdio, stderr: stderr!, closeGraceMs: this.#closeGraceMs, sdk })
      : null;
    const http = resolved.http
      ? new sdk.StreamableHTTPClientTransport(resolved.http.url, {
          requestInit: { headers: resolved.http.headers },
          fetch: this.#http.fetch,
        })
      : null;
    const entry: Entry = {
      key: resolved.key,
      server: resolved.id,
      transport: stdio ? 'stdio' : 'http',
      client,
      pid: null,
      redact,
      redactResult,
      closed: false,
      inFlight: 0,
      idleTimer: undefined,
      idleTimeoutMs: server.idleTimeoutMs,
      stderr,
      stdio,
      http,
      lastError: undefined,
    };
    // The transport closed (child exited, session gone): evict so the next call reconnects.
    client.onclose = () => void this.evict(entry);
    client.onerror = (error) => {
      entry.lastError = error;
    };
    try {
      await client.connect((stdio ?? http)!, { timeout: this.#connectTimeoutMs });
    } catch (error) {
      entry.pid = stdio?.pid ?? null;
      const detail = this.#detail(entry);
      entry.closed = true;
      await client.close().catch(() => {});
      await stdio?.close().catch(() => {});
      if (error instanceof ApplicationFailure) throw error;
      throw new McpConnectionError(resolved.id, 'connect', error, detail);
    }
    entry.pid = stdio?.pid ?? null;
    if (this.#closed) {
      await this.evict(entry);
      throw new McpConnectionError(resolved.id, 'connect', new Error('MCP connection pool is closed'), '');
    }
    this.#entries.set(entry.key, entry);
    return entry;
  }

  /** What the pool knows about a failed connection: exit status and stderr tail, redacted. */
  #detail(entry: Entry): string {
    const parts: string[] = [];
    if (entry.stdio?.exitStatus) parts.push(`server ${entry.stdio.exitStatus}`);
    const tail = entry.stderr?.text(600);
    if (tail) parts.push(`stderr: ${tail}`);
    return entry.redact(parts.join('; '));
  }

  #scheduleIdle(entry: Entry): void {
    if (entry.closed || entry.inFlight > 0 || entry.idleTimeoutMs <= 0) return;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.inFlight === 0) void this.evict(entry);
    }, entry.idleTimeoutMs);
    entry.idleTimer.unref();
  }

  /** After a request timed out: a server that cannot answer a ping is hung; evict it. */
  #probe(entry: Entry): void {
    if (entry.closed) return;
    entry.client.ping({ timeout: 2_000 }).catch(() => void this.evict(entry));
  }
}


/** `tools/list` over every page, filtered by the server's `toolFilter` (empty: all). */
export async function listToolsOn(
  connection: McpConnection,
  toolFilter: readonly string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {}
): Promise<McpToolDescription[]> {
  const out: McpToolDescription[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await connection.client.listTools(cursor !== undefined ? { cursor } : undefined, {
      timeout: options.timeoutMs ?? DEFAULT_MCP_LIST_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (const tool of result.tools) {
      if (admittedMcpTool(toolFilter, tool.name) === undefined) continue;
      out.push({
        name: tool.name,
        description: tool.description ?? '',
        inputSchema: JSON.parse(JSON.stringify(tool.inputSchema ?? { type: 'object' })) as JsonObject,
      });
    }
    cursor = result.nextCursor;
    if (cursor === undefined || seen.has(cursor)) break;
    seen.add(cursor);
  }
  return out;
}

/** Dependencies of {@link discoverMcpTools}: a pool to use, or what a one-shot connection needs. */
export interface McpDiscoveryDeps extends McpPoolOptions {
  /** Use (and keep) this pool's connection; without one, connect, list and close. */
  pool?: McpConnectionPool;
  signal?: AbortSignal;
  /** Bound on each `tools/list` page. Default 30 s. */
  timeoutMs?: number;
}

/**
 * The server's tools (`tools/list`, every page), filtered by its `toolFilter`; each with its
 * description ('' when absent) and input JSON schema. Throws a typed ApplicationFailure
 * (see {@link classifyMcpError}); its message is fit to show a user.
 */
export async function discoverMcpTools(server: PlanMcpServer, deps: McpDiscoveryDeps = {}): Promise<McpToolDescription[]> {
  const pool = deps.pool ?? new McpConnectionPool(deps);
  try {
    return await pool.use(
      server,
      (connection) =>
        listToolsOn(connection, server.toolFilter, {
          ...(deps.signal ? { signal: deps.signal } : {}),
          ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
        }),
      deps.signal ? { signal: deps.signal } : {}
    );
  } catch (error) {
    throw classifyMcpError(error, { subject: mcpServerId(server), cancellationSignal: deps.signal, redact: createRedactor([]) });
  } finally {
    if (!deps.pool) await pool.closeAll();
  }
}

/** What {@link classifyMcpError} needs besides the error. */
export interface McpFailureContext {
  /** `namespace/name` of the tool (or of the server, for discovery), for messages and details. */
  subject: string;
  /** `namespace/name` of the server, when `subject` is a tool. */
  server?: string;
  redact: Redact;
  cancellationSignal?: AbortSignal | undefined;
}

/**
 * Turns an error from an MCP connect, list or call into a typed ApplicationFailure:
 * - the connection failed or broke (child exited, transport closed, ECONNREFUSED, HTTP 5xx
 *   or a lost session) → retryable TOOL_UNAVAILABLE (the pool already evicted it);
 * - a request timed out → retryable TOOL_TIMEOUT;
 * - the server refused the request as malformed (unknown tool, -32602 invalid params,
 *   -32601 method not found, -32600) → non-retryable TOOL_REQUEST_INVALID;
 * - 401/403 → non-retryable TOOL_AUTH_FAILED; a refused address → TOOL_ENDPOINT_FORBIDDEN;
 * - the command does not exist → non-retryable TOOL_CONFIG_INVALID;
 * - a result that is not a valid MCP result → non-retryable TOOL_RESPONSE_INVALID;
 * - anything else → retryable TOOL_CALL_FAILED.
 * The activity's own cancellation is returned as the cancellation it is.
 */
export function classifyMcpError(error: unknown, context: McpFailureContext): unknown {
  const sdk = loadedMcpSdk();
  const cancelled = cancellationError(context.cancellationSignal);
  if (cancelled !== undefined) return cancelled;
  if (error instanceof ApplicationFailure) return error;
  const { subject } = context;
  const wrapper = error instanceof McpConnectionError ? error : undefined;
  const cause = wrapper ? wrapper.cause : error;
  const redact: Redact = (text) => context.redact(text);
  const suffix = wrapper?.detail ? ` (${wrapper.detail})` : '';
  // A server's McpError message already starts `MCP error <code>: `, and the client adds it again.
  const raw = (cause instanceof Error ? cause.message : String(cause)).replace(/^(MCP error (-?\d+): )(MCP error \2: )+/, '$1');
  const message = raw + suffix;
  const server = context.server ?? wrapper?.server;
  const label = server && server !== subject ? `MCP tool ${subject} (server ${server})` : `MCP ${subject}`;
  const fail = (type: ActivityFailureType, text: string, extra: JsonObject = {}) =>
    activityFailure(type, `${label}: ${text}`, { details: { tool: subject, ...(server ? { mcpServer: server } : {}), ...extra } }, redact);
  const lost = wrapper?.phase === 'connect' ? 'cannot connect' : 'connection lost';

  const forbidden = endpointForbidden(cause);
  if (forbidden) return fail('TOOL_ENDPOINT_FORBIDDEN', forbidden.message, { address: forbidden.address, addressClass: forbidden.addressClass });

  const code = (cause as { code?: unknown } | null)?.code;
  if (wrapper?.phase === 'connect' && (code === 'ENOENT' || code === 'EACCES')) {
    return fail('TOOL_CONFIG_INVALID', `cannot start the server command (${code}): ${message}`, { code });
  }
  if (sdk && cause instanceof sdk.McpError) {
    const mcpCode = cause.code;
    if (mcpCode === sdk.ErrorCode.RequestTimeout) return fail('TOOL_TIMEOUT', `timed out: ${message}`, { mcpCode });
    if (mcpCode === sdk.ErrorCode.ConnectionClosed) return fail('TOOL_UNAVAILABLE', `${lost}: ${message}`, { mcpCode });
    if (
      mcpCode === sdk.ErrorCode.InvalidParams ||
      mcpCode === sdk.ErrorCode.MethodNotFound ||
      mcpCode === sdk.ErrorCode.InvalidRequest ||
      mcpCode === sdk.ErrorCode.ParseError
    ) {
      return fail('TOOL_REQUEST_INVALID', `request refused: ${message}`, { mcpCode });
    }
    return fail('TOOL_CALL_FAILED', message, { mcpCode });
  }
  if (sdk && cause instanceof sdk.UnauthorizedError) return fail('TOOL_AUTH_FAILED', `server rejected the credentials: ${message}`);
  if (sdk && cause instanceof sdk.StreamableHTTPError) {
    const status = cause.code ?? -1;
    if (status === 401 || status === 403) return fail('TOOL_AUTH_FAILED', `server rejected the credentials (${status}): ${message}`, { statusCode: status });
    if (status === 404 || status === 408 || status === 429 || status >= 500) return fail('TOOL_UNAVAILABLE', `server unavailable (${status}): ${message}`, { statusCode: status });
    if (status >= 400) return fail('TOOL_REQUEST_INVALID', `server refused the request (${status}): ${message}`, { statusCode: status });
    return fail('TOOL_CALL_FAILED', message, { statusCode: status });
  }
  if (isAbortOrTimeout(cause) !== undefined) return fail('TOOL_TIMEOUT', `timed out: ${message}`);
  const network = networkErrorCode(cause);
  if (network !== undefined) return fail('TOOL_UNAVAILABLE', `server unreachable (${network}): ${message}`, { code: network });
  if (cause instanceof Error && cause.name === 'ZodError') return fail('TOOL_RESPONSE_INVALID', `malformed result: ${message}`);
  if (wrapper) return fail('TOOL_UNAVAILABLE', `${lost}: ${message}`);
  const name = cause instanceof Error ? cause.name : typeof cause;
  return fail('TOOL_CALL_FAILED', `call failed (${name}): ${message}`);
}
