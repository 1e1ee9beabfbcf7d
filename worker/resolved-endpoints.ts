/**
 * Blocked HTTP endpoints compared by the addresses their names resolve to. The workflow compares
 * endpoints as spelt (it cannot resolve names); the worker can, so before an HTTP tool call it
 * refuses one whose host resolves to an address a blocked endpoint's host resolves to, on the
 * same port and path: a second DNS name for a blocked service (an `/etc/hosts` alias, a CNAME,
 * a wildcard DNS name) is the same service.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Plan, PlanTool } from '../contract/plan.ts';
import { applicablePolicies } from '../policies/engine.ts';
import { normalizeEndpoint } from '../policies/tool-identity.ts';

/** Resolves a host name to its addresses (all of them); injectable for tests. */
export type ResolveHost = (host: string) => Promise<string[]>;

export const resolveWithDns: ResolveHost = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** How long a host's addresses are reused: short, as DNS answers change. */
const CACHE_MS = 30_000;

/** The endpoint behind an `http <url>` identity string (see policies/tool-identity.ts). */
function identityUrl(identity: string): string | null {
  return identity.startsWith('http ') ? identity.slice(5) : null;
}

/** The blocked HTTP endpoints of the policies that apply to `agent`, as normalized URLs. */
export function blockedHttpEndpoints(plan: Plan, agent: string): string[] {
  const out = new Set<string>();
  for (const policy of applicablePolicies(plan, agent)) {
    for (const { identities } of policy.blockedToolIdentities ?? []) {
      for (const identity of identities) {
        const url = identityUrl(identity);
        if (url !== null) out.add(url);
      }
    }
  }
  return [...out];
}

/**
 * Returns a checker: the blocked endpoint an HTTP tool's endpoint reaches through name
 * resolution, or null. Names that do not resolve match nothing (the call could not connect).
 */
export function createResolvedEndpointCheck(resolve: ResolveHost = resolveWithDns): (tool: PlanTool, blocked: readonly string[]) => Promise<string | null> {
  const cache = new Map<string, { at: number; addresses: Promise<string[]> }>();
  const addressesOf = (host: string): Promise<string[]> => {
    // `loopback` is how normalizeEndpoint spells every loopback host.
    if (host === 'loopback') return Promise.resolve(['127.0.0.1']);
    const literal = host.replace(/^\[|\]$/g, '');
    if (/^[\d.]+$/.test(literal) || literal.includes(':')) return Promise.resolve([literal]);
    const cached = cache.get(host);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.addresses;
    const addresses = resolve(host).catch(() => [] as string[]);
    cache.set(host, { at: Date.now(), addresses });
    return addresses;
  };
  /** Every normalized endpoint the URL reaches: its host replaced by each address it resolves to. */
  const reached = async (url: string): Promise<Set<string>> => {
    const parsed = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:]*)(:\d+)?(\/.*)?$/i.exec(url);
    if (!parsed) return new Set([url]);
    const [, scheme, host, port = '', path = '/'] = parsed;
    const out = new Set<string>([url]);
    for (const address of await addressesOf(host!.toLowerCase())) {
      const hostPart = address.includes(':') ? `[${address}]` : address;
      out.add(normalizeEndpoint(`${scheme}://${hostPart}${port}${path}`));
    }
    return out;
  };
  return async (tool, blocked) => {
    if (tool.type !== 'http' || !tool.endpoint || blocked.length === 0) return null;
    const mine = await reached(normalizeEndpoint(tool.endpoint));
    for (const endpoint of blocked) {
      for (const candidate of await reached(endpoint)) if (mine.has(candidate)) return endpoint;
    }
    return null;
  };
}
