/**
 * Orloj fields orch validates but does not act on: each one written is a located
 * ACCEPTED_NOT_ENFORCED warning, so nothing a manifest asks for is dropped without a word.
 * This list and the README's "Orloj fields orch accepts but does not enforce" are the audit
 * of every schema against Orloj's types; every field not named here is enforced (or, like
 * labels, descriptions and Task `priority`, is information Orloj does not act on either).
 */
import type { SupportedKind } from '../schemas/envelope.ts';
import { canonicalKey, type ManifestPath } from '../source-map.ts';
import type { Reporter } from './reporter.ts';

/** The value at `path` in a spec as written (keys in any spelling), or undefined. */
function at(spec: unknown, path: readonly (string | number)[]): unknown {
  let node = spec;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      node = typeof step === 'number' ? node[step] : undefined;
      continue;
    }
    // As the source map finds keys: exactly first (free-form maps, like graph's agent names), then by spelling.
    const keys = Object.keys(node);
    const key = keys.includes(String(step)) ? String(step) : keys.find((k) => canonicalKey(k) === step);
    node = key === undefined ? undefined : (node as Record<string, unknown>)[key];
  }
  return node === null ? undefined : node;
}

const written = (value: unknown) =>
  value !== undefined && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0);
const lowered = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export function reportNotEnforced(kind: SupportedKind, spec: unknown, report: Reporter): void {
  const warn = (path: ManifestPath, why: string, where: 'key' | 'value' = 'key') => report('ACCEPTED_NOT_ENFORCED', why, ['spec', ...path], where, 'warning');
  // Jitter needs random numbers, which a deterministic workflow does not draw.
  const warnJitter = (path: ManifestPath, what: string) => {
    const jitter = lowered(at(spec, path));
    if (jitter !== undefined && jitter !== 'none') warn(path, `jitter ${String(jitter)}: ${what} after exact exponential backoff, without jitter`, 'value');
  };
  switch (kind) {
    case 'Task':
      warnJitter(['message_retry', 'jitter'], 'activations are retried');
      return;
    case 'Tool': {
      warnJitter(['runtime', 'retry', 'jitter'], 'the tool is retried');
      const mode = lowered(at(spec, ['runtime', 'isolation_mode']));
      if (mode !== undefined && mode !== 'none') {
        warn(['runtime', 'isolation_mode'], `runtime.isolation_mode ${String(mode)}: orch runs http and mcp tools from the worker without isolation`, 'value');
      }
      return;
    }
    case 'AgentSystem': {
      const graph = at(spec, ['graph']);
      if (graph === undefined || graph === null || typeof graph !== 'object') return;
      for (const node of Object.keys(graph)) {
        const edges = at(spec, ['graph', node, 'edges']);
        if (!Array.isArray(edges)) continue;
        edges.forEach((_edge, index) => {
          if (written(at(spec, ['graph', node, 'edges', index, 'policy']))) {
            warn(['graph', node, 'edges', index, 'policy'], 'an edge policy is a key/value bag Orloj itself only carries; orch does not act on it');
          }
        });
      }
      return;
    }
    case 'Memory': {
      // Only pgvector embeds through its embedding_model; Orloj's in-memory and http providers never call it either.
      const provider = String(lowered(at(spec, ['provider'])) ?? '') || 'in-memory';
      const model = at(spec, ['embedding_model']);
      if (provider !== 'pgvector' && typeof model === 'string' && model.trim() !== '') {
        warn(['embedding_model'], `embedding_model is not called by provider ${provider}: ${provider === 'http' ? 'the service embeds for itself' : 'the store embeds offline (hashed bags of words)'}`);
      }
      return;
    }
    case 'ModelEndpoint':
      if (written(at(spec, ['auth', 'profile']))) warn(['auth', 'profile'], "a model endpoint's auth.profile is not read: its secret is sent the provider's way");
      return;
    default:
      return;
  }
}
