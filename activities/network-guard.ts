/**
 * The SSRF guard for tool endpoints (HTTP tools and MCP servers over streamable HTTP).
 *
 * A Tool manifest names an endpoint; whoever can write manifests must not be able to make
 * the worker call its own loopback services, the private network it sits in, or the
 * cloud metadata endpoint (169.254.169.254). So every address the worker connects to is
 * checked **at connect time**: requests go through node:http / node:https with a custom
 * `lookup` that drops refused addresses from the DNS answer, so a name that resolves to
 * a public address for a pre-check and to 127.0.0.1 a moment later (DNS rebinding) gains
 * nothing. Literal IPs never reach `lookup` and are checked before the request.
 *
 * Classes of addresses and what allows them:
 * - loopback (127/8, ::1): `network.allowLoopback` / `ORCH_TOOLS_ALLOW_LOOPBACK=true`
 * - private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10):
 *   `network.allowPrivate` / `ORCH_TOOLS_ALLOW_PRIVATE=true`
 * - link-local (169.254/16 incl. metadata, fe80::/10), unspecified (0.0.0.0/8, ::),
 *   multicast, documentation, benchmarking and reserved ranges: never.
 * IPv4 embedded in IPv6 (::ffff:a.b.c.d, 64:ff9b::/96 NAT64, 2002::/16 6to4) is judged
 * by its IPv4 address.
 *
 * Requests use their own agents (never the global one), so a pooled socket was always
 * opened through the guard. Redirects are not followed here; callers see the 3xx.
 * Proxy variables (HTTP_PROXY, …) are not honoured.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';

/** Which non-public destinations tool endpoints may reach. */
export interface NetworkSettings {
  allowLoopback: boolean;
  allowPrivate: boolean;
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'reserved';

/** `network` from deps, each flag defaulting from `ORCH_TOOLS_ALLOW_LOOPBACK` / `ORCH_TOOLS_ALLOW_PRIVATE`. */
export function networkSettings(
  network: Partial<NetworkSettings> | undefined,
  env: NodeJS.ProcessEnv
): NetworkSettings {
  return {
    allowLoopback: network?.allowLoopback ?? envFlag(env.ORCH_TOOLS_ALLOW_LOOPBACK),
    allowPrivate: network?.allowPrivate ?? envFlag(env.ORCH_TOOLS_ALLOW_PRIVATE),
  };
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(true|1|yes)$/i.test(value.trim());
}

/** Thrown (and passed to connect callbacks) when an endpoint resolves only to refused addresses. */
export class EndpointForbiddenError extends Error {
  override readonly name = 'EndpointForbiddenError';
  readonly code = 'ORCH_ENDPOINT_FORBIDDEN';
  readonly host: string;
  readonly address: string;
  readonly addressClass: AddressClass;
  /** The setting that would allow it, or null when none does. */
  readonly setting: string | null;
  constructor(host: string, address: string, addressClass: AddressClass, setting: string | null) {
    const via = host === address ? address : `${host} (${address})`;
    super(
      `endpoint ${via} is a ${addressClass} address, refused by the worker's network guard; ` +
        (setting ? `to allow it set ${setting} on the worker` : 'no setting allows this class of address')
    );
    this.host = host;
    this.address = address;
    this.addressClass = addressClass;
    this.setting = setting;
  }
}

/** The setting that allows a class, or null when nothing does; undefined when it needs none. */
function settingFor(addressClass: AddressClass): string | null | undefined {
  switch (addressClass) {
    case 'public':
      return undefined;
    case 'loopback':
      return 'network.allowLoopback (ORCH_TOOLS_ALLOW_LOOPBACK=true)';
    case 'private':
      return 'network.allowPrivate (ORCH_TOOLS_ALLOW_PRIVATE=true)';
    default:
      return null;
  }
}

function permitted(addressClass: AddressClass, settings: NetworkSettings): boolean {
  if (addressClass === 'public') return true;
  if (addressClass === 'loopback') return settings.allowLoopback;
  if (addressClass === 'private') return settings.allowPrivate;
  return false;
}

/** The refusal for connecting to `address` (reached via `host`), or undefined when allowed. */
export function checkAddress(host: string, address: string, settings: NetworkSettings): EndpointForbiddenError | undefined {
  const addressClass = classifyAddress(address);
  if (permitted(addressClass, settings)) return undefined;
  return new EndpointForbiddenError(host, address, addressClass, settingFor(addressClass) ?? null);
}

/** Classifies an IPv4 or IPv6 literal; anything unparsable is `reserved` (refused). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return classifyIpv4(ipv4Bytes(bare));
  if (family === 6) {
    const bytes = ipv6Bytes(bare);
    return bytes ? classifyIpv6(bytes) : 'reserved';
  }
  return 'reserved';
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map((part) => Number(part));
}

function classifyIpv4(b: number[]): AddressClass {
  const [a = 0, c = 0, d = 0] = b;
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && c >= 16 && c <= 31) return 'private';
  if (a === 192 && c === 168) return 'private';
  if (a === 100 && c >= 64 && c <= 127) return 'private'; // shared address space (CGNAT)
  if (a === 169 && c === 254) return 'link-local';
  if (a === 192 && c === 0 && (d === 0 || d === 2)) return 'reserved'; // protocol assignments, TEST-NET-1
  if (a === 192 && c === 88 && d === 99) return 'reserved'; // 6to4 relay anycast
  if (a === 198 && (c === 18 || c === 19)) return 'reserved'; // benchmarking
  if (a === 198 && c === 51 && d === 100) return 'reserved'; // TEST-NET-2
  if (a === 203 && c === 0 && d === 113) return 'reserved'; // TEST-NET-3
  if (a >= 224) return 'reserved'; // multicast, reserved, broadcast
  return 'public';
}

/** 16 bytes of an IPv6 literal (embedded dotted IPv4 allowed), or undefined. */
function ipv6Bytes(address: string): number[] | undefined {
  let text = address.toLowerCase();
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail = ipv4Bytes(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  if (groups.some((group) => !Number.isInteger(group) || group < 0 || group > 0xffff)) return undefined;
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function classifyIpv6(b: number[]): AddressClass {
  const zero = (from: number, to: number) => b.slice(from, to).every((byte) => byte === 0);
  if (zero(0, 16)) return 'unspecified';
  if (zero(0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyIpv4(b.slice(12, 16));
  // Deprecated IPv4-compatible ::a.b.c.d
  if (zero(0, 12)) return 'reserved';
  // NAT64 well-known prefix 64:ff9b::/96
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return classifyIpv4(b.slice(12, 16));
  // 6to4 2002::/16 embeds an IPv4 address
  if (b[0] === 0x20 && b[1] === 0x02) return classifyIpv4(b.slice(2, 6));
  const first = b[0]!;
  const second = b[1]!;
  if ((first & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (first === 0xfe && (second & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (first === 0xfe && (second & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (first === 0xff) return 'reserved'; // multicast
  if (first === 0x00 && second === 0x64 && b[2] === 0xff && b[3] === 0x9b) return 'reserved'; // local-use NAT64
  if (first === 0x01 && second === 0x00 && zero(2, 8)) return 'reserved'; // discard-only 100::/64
  if (first === 0x20 && second === 0x01 && b[2]! < 0x02) return 'reserved'; // 2001::/23: Teredo, ORCHID, …
  if (first === 0x20 && second === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved'; // documentation
  return 'public';
}

/** A `lookup` for sockets that resolves as usual, then drops every refused address. */
export function guardedLookup(settings: NetworkSettings): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, options.all ? [] : '', undefined);
      const allowed = addresses.filter((entry) => permitted(classifyAddress(entry.address), settings));
      if (allowed.length === 0) {
        const first = addresses[0];
        const refusal = first
          ? checkAddress(hostname, first.address, settings)!
          : new EndpointForbiddenError(hostname, hostname, 'reserved', null);
        return callback(refusal as NodeJS.ErrnoException, options.all ? [] : '', undefined);
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** A fetch-shaped function over node:http(s) behind the guard, and its agents to destroy on shutdown. */
export interface GuardedHttp {
  fetch: (url: string | URL, init?: RequestInit) => Promise<Response>;
  settings: NetworkSettings;
  destroy(): void;
}

/** Statuses whose responses carry no body (the Response constructor refuses one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * Creates the guarded fetch. Supports what tool calls and the MCP SDK's streamable-HTTP
 * transport use: any method, headers, a string or bytes body, an abort signal; the
 * response body streams (SSE works). No redirects, no decompression (none is requested).
 */
export function createGuardedHttp(settings: NetworkSettings): GuardedHttp {
  const lookup = guardedLookup(settings);
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });

  async function guardedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`unsupported protocol ${url.protocol} in tool endpoint`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      const refusal = checkAddress(host, host, settings);
      if (refusal) throw refusal;
    }
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = requestBody(init.body);
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    const isHttps = url.protocol === 'https:';
    const request = (isHttps ? https : http).request;

    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        { method, headers, agent: isHttps ? httpsAgent : httpAgent, lookup, ...(signal ? { signal } : {}) },
        (res) => {
          const responseHeaders = new Headers();
          const raw = res.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.append(raw[i]!, raw[i + 1]!);
          const status = res.statusCode ?? 0;
          const noBody = NULL_BODY_STATUS.has(status) || method === 'HEAD';
          if (noBody) res.resume();
          // The stream errors when the signal aborts mid-body (the request is destroyed).
          const stream = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          try {
            resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
          } catch (error) {
            res.destroy();
            reject(error);
          }
        }
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    fetch: guardedFetch,
    settings,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function requestBody(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('guarded fetch supports string and byte bodies only');
}

/** The refusal somewhere in an error's cause chain, if any. */
export function endpointForbidden(error: unknown): EndpointForbiddenError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof EndpointForbiddenError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
