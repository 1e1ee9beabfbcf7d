/**
 * Where to connect, by Temporal's own conventions (`@temporalio/envconfig`): a profile of the
 * TOML config file (the one named by the `profile` option, else `TEMPORAL_PROFILE`, else
 * "default"), overlaid by `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY` and
 * `TEMPORAL_TLS*`, overlaid by the command's `--address` and `--namespace`. orch adds one rule:
 * when nothing gives an address and no profile is chosen, the cluster is orch's embedded dev
 * server. Every mistake is one message naming the file, profile or variable at fault.
 */
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfig, loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { defaultConfigFilePath, readTemporalConfigFile, type TemporalConfigFile } from './config-file.ts';
import { DEFAULT_TEMPORAL_NAMESPACE } from './defaults.ts';
import { TemporalServerError } from './errors.ts';

/** What a command's flags say; each wins over the environment and the profile. */
export interface TemporalConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
}

export interface ResolveConnectionOptions extends TemporalConnectionFlags {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Where and how to reach a Temporal cluster (certificates already read). */
export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TLSConfig | true;
  /** gRPC headers (a profile's `grpc_meta`). */
  metadata?: Record<string, string>;
}

export interface TemporalSettings {
  /** The cluster configured; null when none is, which means orch's embedded dev server. */
  cluster: TemporalConnectionConfig | null;
  /** The namespace to use, on the cluster or on the dev server. */
  namespace: string;
}

/** Temporal's address when a chosen profile gives none, as its CLI and SDKs assume. */
const TEMPORAL_DEFAULT_ADDRESS = 'localhost:7233';

function invalid(message: string, cause?: unknown): TemporalServerError {
  return new TemporalServerError('TEMPORAL_CONFIG_INVALID', message, cause === undefined ? undefined : { cause });
}

/** The environment envconfig reads: a blank value is unset, as people mean it. */
function variables(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') result[name] = name.startsWith('TEMPORAL_') ? value.trim() : value;
  // envconfig reads anything but "true" and "1" as false: `TEMPORAL_TLS=yes` would turn TLS off.
  const tls = result.TEMPORAL_TLS;
  if (tls !== undefined && !['true', 'false', '1', '0'].includes(tls)) throw invalid(`TEMPORAL_TLS=${tls} is not a boolean (use true or false).`);
  return result;
}

function profileNames(file: TemporalConfigFile): string {
  try {
    const names = Object.keys(loadClientConfig({ configSource: { data: file.text } }).profiles);
    return names.length > 0 ? ` (it has ${names.map((name) => `"${name}"`).join(', ')})` : ' (it has none)';
  } catch {
    return '';
  }
}

/** envconfig's own errors, located: TOML syntax at file:line:column, the rest at the profile. */
function locate(error: unknown, file: TemporalConfigFile | null, profile: string | undefined, where: string): TemporalServerError {
  const message = error instanceof Error ? error.message : String(error);
  const { line, column } = error as { line?: unknown; column?: unknown };
  if (file && typeof line === 'number' && typeof column === 'number') {
    const what = message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    return invalid(`${file.path}:${line}:${column}: invalid TOML: ${what}`, error);
  }
  if (file && profile !== undefined && /^Profile '.*' not found/.test(message)) {
    return invalid(`${file.path}: no profile "${profile}"${profileNames(file)}`, error);
  }
  return invalid(`${where}: ${message}`, error);
}

function checkProfile(profile: ClientConfigProfile, where: string): void {
  for (const [field, key] of [['address', 'address'], ['namespace', 'namespace'], ['apiKey', 'api_key']] as const) {
    if (profile[field] !== undefined && typeof profile[field] !== 'string') throw invalid(`${where}: ${key} must be a string`);
  }
  const tls = profile.tls;
  if (tls && !tls.disabled && Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
    const has = tls.clientCert ? 'certificate' : 'key';
    throw invalid(`${where}: mTLS needs a client certificate and its key; only the ${has} is set (client_cert_path and client_key_path, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH).`);
  }
}

function toConnection(profile: ClientConfigProfile, address: string, namespace: string, where: string): TemporalConnectionConfig {
  let options: ReturnType<typeof toClientOptions>['connectionOptions'];
  try {
    options = toClientOptions(profile).connectionOptions;
  } catch (error) {
    throw invalid(`${where}: cannot read a TLS certificate or key: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const config: TemporalConnectionConfig = { address, namespace };
  if (options.apiKey) config.apiKey = options.apiKey as string;
  if (options.tls) {
    const tls = Object.fromEntries(Object.entries(options.tls === true ? {} : options.tls).filter(([, value]) => value !== undefined)) as TLSConfig;
    config.tls = Object.keys(tls).length > 0 ? tls : true;
  }
  if (options.metadata && Object.keys(options.metadata).length > 0) config.metadata = options.metadata as Record<string, string>;
  return config;
}

/**
 * The cluster to use and its namespace, from the config file, the environment and the flags.
 *
 * @throws TemporalServerError `TEMPORAL_CONFIG_INVALID` for an unreadable or invalid config
 * file, a profile it lacks, a malformed boolean, a certificate without its key (or the
 * reverse), or a certificate file that cannot be read.
 */
export function loadTemporalSettings(options: ResolveConnectionOptions = {}): TemporalSettings {
  const env = variables(options.env ?? process.env);
  const file = readTemporalConfigFile(env);
  const profileName = options.profile ?? env.TEMPORAL_PROFILE;
  if (profileName !== undefined && !file) {
    const fallback = defaultConfigFilePath(env);
    throw invalid(`no Temporal config file to read profile "${profileName}" from: set TEMPORAL_CONFIG_FILE${fallback ? `, or create ${fallback}` : ''}`);
  }
  const where = file ? `profile "${profileName ?? 'default'}" in ${file.path}` : 'the TEMPORAL_* environment';
  const load = (source: TemporalConfigFile | null): ClientConfigProfile =>
    loadClientConfigProfile({
      ...(source ? { configSource: { data: source.text } } : { disableFile: true }),
      ...(profileName === undefined ? {} : { profile: profileName }),
      overrideEnvVars: env,
    });
  let profile: ClientConfigProfile;
  try {
    profile = load(file);
  } catch (error) {
    // envconfig takes a `profile` table for granted: a file without one (an empty file) fails
    // with a TypeError, where it simply has no profiles.
    if (!(file && error instanceof TypeError)) throw locate(error, file, profileName, where);
    if (profileName !== undefined) throw invalid(`${file.path}: no profile "${profileName}" (it has none)`);
    profile = load(null);
  }
  checkProfile(profile, where);
  if (options.address !== undefined) profile.address = options.address;
  if (options.namespace !== undefined) profile.namespace = options.namespace;
  const namespace = profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  if (profile.address === undefined && profileName === undefined) return { cluster: null, namespace };
  return { cluster: toConnection(profile, profile.address ?? TEMPORAL_DEFAULT_ADDRESS, namespace, where), namespace };
}

/** The configured cluster, or null when orch should provide its local dev server. */
export function resolveTemporalConnection(options: ResolveConnectionOptions = {}): TemporalConnectionConfig | null {
  return loadTemporalSettings(options).cluster;
}

/**
 * The connection half of both `@temporalio/client`'s `ConnectionOptions` and
 * `@temporalio/worker`'s `NativeConnectionOptions` (the namespace goes to the Client/Worker).
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** Maps a {@link TemporalConnectionConfig} to SDK connection options. */
export function connectionOptions(conn: TemporalConnectionConfig): TemporalConnectionOptions {
  return {
    address: conn.address,
    ...(conn.tls ? { tls: conn.tls } : {}),
    ...(conn.apiKey ? { apiKey: conn.apiKey } : {}),
    ...(conn.metadata ? { metadata: conn.metadata } : {}),
  };
}
