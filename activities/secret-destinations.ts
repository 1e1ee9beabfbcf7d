/**
 * Where a worker may send a secret. A plan names endpoints and secret references, and
 * whoever can start a run chooses the plan; so the worker, not the plan, decides where each
 * secret it holds may go, and refuses (non-retryable `SECRET_DESTINATION_DENIED`, before any
 * request is made or any process started) a call that would send one anywhere else.
 *
 * A secret is **bound** when its owner listed destinations for it: `destinations` on its
 * Secret manifest, or `ORCH_SECRET_<NAME>_DESTINATIONS` (comma-separated) in the worker's
 * environment. A bound secret goes only there. An **unbound** secret goes only to an
 * endpoint that a manifest the worker loaded itself declares together with that secret
 * (the Tool, ModelEndpoint or McpServer that references it). A provider key from the
 * environment (`OPENAI_API_KEY`, …) goes to its provider's own API, or to a ModelEndpoint
 * the worker loaded that uses it.
 *
 * What a destination is, per transport:
 * - HTTP (tools, MCP over HTTP, model endpoints): the URL the request goes to, compared on
 *   parsed URLs: same scheme, same host (case and IDNA normalized, a trailing dot ignored),
 *   same port (defaults filled in), and then the path:
 *   - **exact** for the endpoint a loaded Tool or MCP server (over HTTP) declares: its
 *     requests go to that URL and no other, so the target's path must be the declared path
 *     (after URL normalization, `.` and `..` resolved; a trailing slash counts) and its
 *     query the declared query (none when it declares none). The fragment is never sent
 *     and is ignored.
 *   - **prefix** for a loaded ModelEndpoint's base URL (the SDK appends `/chat/completions`
 *     and the like), for a listed destination (`destinations`, `ORCH_SECRET_<NAME>_DESTINATIONS`)
 *     and for a provider's own API: the target's path starts with the prefix's path on a
 *     segment boundary (`/v1` covers `/v1` and `/v1/chat`, not `/v10`), any query. The part
 *     of the path past the prefix must not contain an encoded separator or dot (`%2f`, `%5c`,
 *     `%2e`, in either case) nor a `.` or `..` segment: a server that decodes those could
 *     resolve `/v1/..%2F..%2Fadmin` outside the prefix.
 *   URLs with userinfo, listed destinations with a query or fragment, and schemes other
 *   than http(s) match nothing. A model call checks every request it makes, redirects
 *   included, so neither the SDK's own URL building nor a redirect can carry the key
 *   elsewhere.
 * - stdio MCP servers: the process the secret is handed to, i.e. its command line
 *   (`command` and `args`, exactly) and its literal environment entries (which can steer
 *   a program: `PATH`, `NODE_OPTIONS`, a package registry). A listed destination
 *   `stdio:<command> <arg> …` (split on spaces) binds a server with exactly that command
 *   line and no literal environment entries; a loaded McpServer binds its exact launch.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { PlanMcpServer, PlanModel, PlanTool, SecretRef } from '../contract/plan.ts';
import type { WorkerManifests } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';

export type { WorkerManifests } from '../contract/activity-io.ts';

/** Where a credential is about to go. */
export type Destination =
  | { kind: 'url'; url: string }
  | { kind: 'stdio'; command: string; args: readonly string[]; env: Readonly<Record<string, string>> }
  /** A PostgreSQL connection string (a pgvector Memory's endpoint), password or not. */
  | { kind: 'database'; url: string };

/** Whose credential it is: a Secret, or a provider key variable of the worker's environment. */
export type CredentialOwner = { secret: SecretRef } | { variable: string };

/** The destinations a bound provider key variable has without any manifest: its provider's own API. */
export const PROVIDER_DEFAULT_DESTINATIONS: Readonly<Record<string, readonly string[]>> = {
  OPENAI_API_KEY: ['https://api.openai.com/v1'],
  ANTHROPIC_API_KEY: ['https://api.anthropic.com/v1'],
};

/** A URL parsed for comparison. */
interface NormalUrl {
  protocol: string;
  host: string;
  port: string;
  /** The path, normalized as URLs are (`.` and `..` resolved), still percent-encoded. */
  path: string;
  segments: string[];
  search: string;
}

/**
 * Where a credential may go: URLs under a prefix, exactly one URL (see the module comment),
 * or a process.
 */
type Prefix =
  | { kind: 'url'; match: 'prefix' | 'exact'; url: NormalUrl }
  | { kind: 'stdio'; argv: readonly string[]; env: Readonly<Record<string, string>> }
  | { kind: 'database'; target: string };

/**
 * A connection string as the one database it names: user, host, port, database and every
 * parameter (a `?host=` parameter would point `pg` elsewhere), without the password and with
 * `postgres:` and `postgresql:` alike; null when it is not a postgres URL.
 */
export function databaseTarget(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return null;
  const port = url.port || '5432';
  return `postgresql://${url.username}@${url.hostname.toLowerCase().replace(/\.$/, '')}:${port}${url.pathname}${url.search}`;
}

/** The parsed URL, or null when it cannot be a destination (not http(s), userinfo, unparsable). */
function normalUrl(text: string): (NormalUrl & { hash: string }) | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // `https://api.example.com@evil.example/` names evil.example: no credentials in URLs at all.
  if (url.username !== '' || url.password !== '') return null;
  return {
    protocol: url.protocol,
    host: url.hostname.replace(/\.$/, ''),
    port: url.port || (url.protocol === 'https:' ? '443' : '80'),
    path: url.pathname,
    segments: url.pathname.split('/').slice(1),
    search: url.search,
    hash: url.hash,
  };
}

/**
 * A listed destination (or a ModelEndpoint's base URL, or a provider's API) as a prefix;
 * null when it is not a valid one (compiler/schemas/secret.ts reports those, located).
 */
function parsePrefix(text: string): Prefix | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('stdio:')) {
    const argv = trimmed.slice('stdio:'.length).trim().split(/\s+/).filter((part) => part !== '');
    return argv.length > 0 ? { kind: 'stdio', argv, env: {} } : null;
  }
  const url = normalUrl(trimmed);
  if (!url || url.search !== '' || url.hash !== '') return null;
  // The prefix's path as segments; an empty segment (a trailing slash) adds nothing.
  return { kind: 'url', match: 'prefix', url: { ...url, segments: url.segments.filter((segment) => segment !== '') } };
}

/** A declared Tool or MCP server endpoint as the one URL it is; null when it cannot be a destination. */
function parseExact(text: string): Prefix | null {
  const url = normalUrl(text.trim());
  return url ? { kind: 'url', match: 'exact', url } : null;
}

/** The valid prefixes among `listed`. */
function prefixes(listed: readonly string[]): Prefix[] {
  return listed.map(parsePrefix).filter((prefix): prefix is Prefix => prefix !== null);
}

/**
 * A path segment past a prefix that a server could resolve outside it: `.` or `..` (the URL
 * parser resolves those it sees, this is defence in depth), or one with an encoded `/`, `\`
 * or `.` (`..%2F..%2Fadmin`, `%2e%2e`), which the parser leaves alone and servers may decode.
 */
function escapesPrefix(segment: string): boolean {
  return segment === '.' || segment === '..' || /%(?:2f|5c|2e)/i.test(segment);
}

function urlMatches(rule: Extract<Prefix, { kind: 'url' }>, target: NormalUrl): boolean {
  const { url } = rule;
  if (url.protocol !== target.protocol || url.host !== target.host || url.port !== target.port) return false;
  if (rule.match === 'exact') return target.path === url.path && target.search === url.search;
  if (!url.segments.every((segment, index) => target.segments[index] === segment)) return false;
  return !target.segments.slice(url.segments.length).some(escapesPrefix);
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

/** `target`: `destination`'s URL parsed once by the caller (null when it cannot be a destination). */
function matches(prefix: Prefix, destination: Destination, target: NormalUrl | null): boolean {
  if (destination.kind === 'url') return prefix.kind === 'url' && target !== null && urlMatches(prefix, target);
  if (destination.kind === 'database') return prefix.kind === 'database' && prefix.target === databaseTarget(destination.url);
  if (prefix.kind !== 'stdio') return false;
  const argv = [destination.command, ...destination.args];
  return prefix.argv.length === argv.length && prefix.argv.every((part, index) => argv[index] === part) && sameRecord(prefix.env, destination.env);
}

/** `namespace/name` of a Secret, or `$VARIABLE` of a provider key. */
function ownerKey(owner: CredentialOwner): string {
  return 'secret' in owner ? `${owner.secret.namespace}/${owner.secret.name}` : `$${owner.variable}`;
}

function envToken(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The environment variable that binds Secret `name` (any namespace, as for its value). */
export function destinationsEnvName(name: string): string {
  return `ORCH_SECRET_${envToken(name)}_DESTINATIONS`;
}

/** A destination as messages name it: an URL without its query, or the command line. */
export function describeDestination(destination: Destination): string {
  if (destination.kind === 'stdio') return `stdio:${[destination.command, ...destination.args].join(' ')}`;
  if (destination.kind === 'database') return databaseTarget(destination.url)?.split('?')[0] ?? 'a database';
  const url = normalUrl(destination.url);
  if (!url) return destination.url.split(/[?#]/)[0]!;
  const port = url.port === (url.protocol === 'https:' ? '443' : '80') ? '' : `:${url.port}`;
  return `${url.protocol}//${url.host}${port}/${url.segments.join('/')}`;
}

/** A stdio server's launch, as a destination: command line and literal environment entries. */
export function stdioDestination(server: Pick<PlanMcpServer, 'command' | 'args' | 'env'>): Destination {
  const env: Record<string, string> = {};
  for (const entry of server.env) if (!entry.secretRef) env[entry.name] = entry.value ?? '';
  return { kind: 'stdio', command: server.command ?? '', args: server.args, env };
}

/** Options of {@link SecretDestinations}. */
export interface SecretDestinationsOptions {
  /** What the manifests the worker loaded declare. */
  manifests?: WorkerManifests | undefined;
  /** Where `ORCH_SECRET_<NAME>_DESTINATIONS` are read. */
  env: NodeJS.ProcessEnv;
  /** A model endpoint's destination (its base URL); null when it sends nothing (mock). */
  modelDestination: (model: PlanModel) => string | null;
  /** The provider key variable a model without `secretRef` uses, if any. */
  providerKeyVariable: (model: PlanModel) => string | undefined;
}

/** The worker's bindings: which secret may go where. See the module comment. */
export class SecretDestinations {
  readonly #env: NodeJS.ProcessEnv;
  readonly #listed = new Map<string, Prefix[]>();
  readonly #declared = new Map<string, Prefix[]>();

  constructor(options: SecretDestinationsOptions) {
    this.#env = options.env;
    const manifests = options.manifests ?? {};
    for (const [key, listed] of Object.entries(manifests.secretDestinations ?? {})) {
      // Listing only invalid entries binds the secret to nothing rather than leaving it unbound.
      if (listed.length > 0) this.#listed.set(key, prefixes(listed));
    }
    const declare = (owner: CredentialOwner, prefix: Prefix | null) => {
      if (!prefix) return;
      const key = ownerKey(owner);
      this.#declared.set(key, [...(this.#declared.get(key) ?? []), prefix]);
    };
    const urlPrefix = (url: string | null) => (url ? parsePrefix(url) : null);
    // A Tool's and an MCP server's requests go to their endpoint exactly; a model's under its base URL.
    for (const tool of manifests.tools ?? []) {
      if (tool.auth && tool.endpoint) declare({ secret: tool.auth.secretRef }, parseExact(tool.endpoint));
    }
    for (const model of manifests.models ?? []) {
      const destination = options.modelDestination(model);
      if (!destination) continue;
      const variable = model.secretRef ? undefined : options.providerKeyVariable(model);
      if (model.secretRef) declare({ secret: model.secretRef }, urlPrefix(destination));
      else if (variable) declare({ variable }, urlPrefix(destination));
    }
    // A Memory's secret goes to its endpoint: under an http service's base URL, or to exactly its database.
    for (const memory of manifests.memories ?? []) {
      if (!memory.secretRef || !memory.endpoint) continue;
      const target = memory.provider === 'pgvector' ? databaseTarget(memory.endpoint) : null;
      if (memory.provider === 'pgvector') declare({ secret: memory.secretRef }, target ? { kind: 'database', target } : null);
      else if (memory.provider === 'http') declare({ secret: memory.secretRef }, urlPrefix(memory.endpoint));
    }
    for (const server of manifests.mcpServers ?? []) {
      if (server.transport === 'http') {
        if (server.auth && server.endpoint) declare({ secret: server.auth.secretRef }, parseExact(server.endpoint));
        continue;
      }
      if (!server.command) continue;
      const launch = stdioDestination(server) as Extract<Destination, { kind: 'stdio' }>;
      for (const entry of server.env) {
        if (entry.secretRef) declare({ secret: entry.secretRef }, { kind: 'stdio', argv: [launch.command, ...launch.args], env: launch.env });
      }
    }
  }

  /** The prefixes bound to `owner` by its owner, or undefined when it is unbound. */
  #bound(owner: CredentialOwner): Prefix[] | undefined {
    if (!('secret' in owner)) {
      // A provider key's owner is the provider: its own API, plus the endpoints loaded manifests declare with it.
      const defaults = PROVIDER_DEFAULT_DESTINATIONS[owner.variable];
      return defaults ? [...prefixes(defaults), ...(this.#declared.get(ownerKey(owner)) ?? [])] : undefined;
    }
    const fromManifest = this.#listed.get(ownerKey(owner));
    const raw = this.#env[destinationsEnvName(owner.secret.name)];
    const fromEnv = raw === undefined ? [] : raw.split(',').filter((part) => part.trim() !== '');
    if (!fromManifest && fromEnv.length === 0) return undefined;
    return [...(fromManifest ?? []), ...prefixes(fromEnv)];
  }

  /** True when `owner`'s credential may go to `destination`. */
  allows(owner: CredentialOwner, destination: Destination): boolean {
    const prefixes = this.#bound(owner) ?? this.#declared.get(ownerKey(owner)) ?? [];
    const target = destination.kind === 'url' ? normalUrl(destination.url) : null;
    return prefixes.some((prefix) => matches(prefix, destination, target));
  }

  /**
   * Throws a non-retryable `SECRET_DESTINATION_DENIED` unless `owner`'s credential may go to
   * `destination`. `subject` names the caller (`tool default/search`). The message names the
   * secret and the destination, never a value.
   */
  check(owner: CredentialOwner, destination: Destination, subject: string): void {
    const refusal = this.refusal(owner, destination, subject);
    if (refusal) throw refusal;
  }

  /** The failure {@link check} would throw, or undefined when `destination` is allowed. */
  refusal(owner: CredentialOwner, destination: Destination, subject: string): ApplicationFailure | undefined {
    if (this.allows(owner, destination)) return undefined;
    return secretDestinationDenied(owner, destination, subject, this.#bound(owner) !== undefined);
  }
}

/** The failure for a credential that may not go to `destination`. */
export function secretDestinationDenied(owner: CredentialOwner, destination: Destination, subject: string, bound: boolean): ApplicationFailure {
  const where = describeDestination(destination);
  const what = 'secret' in owner ? `secret ${owner.secret.namespace}/${owner.secret.name}` : `provider key ${owner.variable}`;
  const fix =
    'secret' in owner
      ? bound
        ? `it is bound to other destinations (\`destinations\` on Secret ${owner.secret.namespace}/${owner.secret.name} or ${destinationsEnvName(owner.secret.name)})`
        : `it is not bound to it: list it in \`destinations\` on Secret ${owner.secret.namespace}/${owner.secret.name} or in ${destinationsEnvName(owner.secret.name)}, ` +
          'or load the manifest that declares this endpoint on the worker (`orch worker --secrets`)'
      : "it goes only to its provider's API and to ModelEndpoints the worker loaded (`orch worker --secrets`)";
  return ApplicationFailure.create({
    type: 'SECRET_DESTINATION_DENIED',
    nonRetryable: !isRetryable('SECRET_DESTINATION_DENIED'),
    message: `${subject}: the worker will not send ${what} to ${where}: ${fix}`,
    details: [{ ...('secret' in owner ? { secret: `${owner.secret.namespace}/${owner.secret.name}` } : { variable: owner.variable }), destination: where, subject }],
  });
}
