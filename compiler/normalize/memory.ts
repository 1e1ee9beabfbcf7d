/** Memory defaults (Orloj): provider `in-memory` when empty; `type` informational; each provider's endpoint checked. */
import { MEMORY_TOOLS, type MemoryOperation } from '../../contract/plan.ts';
import type { MemorySpec } from '../resources.ts';
import type { MemorySpecInput } from '../schemas/memory.ts';
import type { Reporter } from './reporter.ts';

/** Providers Orloj ships; orch runs them all. */
export const RUNNABLE_MEMORY_PROVIDERS: readonly string[] = ['in-memory', 'pgvector', 'http'];

export function normalizeMemory(input: MemorySpecInput, report: Reporter): MemorySpec {
  const provider = (input.provider ?? '').trim().toLowerCase() || 'in-memory';
  if (!RUNNABLE_MEMORY_PROVIDERS.includes(provider)) {
    report('INVALID_VALUE', `unknown memory provider "${input.provider}" (expected ${RUNNABLE_MEMORY_PROVIDERS.join(', ')})`, ['spec', 'provider']);
  }
  const endpoint = input.endpoint?.trim() || null;
  // pgvector's endpoint is the connection string the worker's `pg` client opens (a URL).
  if (provider === 'pgvector' && endpoint && !/^postgres(ql)?:\/\//i.test(endpoint)) {
    report('INVALID_VALUE', 'a pgvector Memory\'s endpoint is a postgres:// or postgresql:// connection string', ['spec', 'endpoint']);
  }
  // An http Memory is its remote service (Orloj: "http memory provider requires spec.endpoint").
  if (provider === 'http') {
    if (!endpoint) report('MISSING_FIELD', 'an http Memory needs spec.endpoint, the base URL of its memory service', ['spec', 'endpoint'], 'missing');
    else if (!isHttpUrl(endpoint)) report('INVALID_VALUE', 'an http Memory\'s endpoint is an http:// or https:// URL without credentials in it', ['spec', 'endpoint']);
  }
  // The embedded database has no password to send; an http service's token goes with its requests.
  if (provider === 'pgvector' && !endpoint && input.auth?.secret_ref) {
    report('INVALID_VALUE', 'auth.secretRef is the password of the database at spec.endpoint; the embedded database (no endpoint) takes none', ['spec', 'auth', 'secretRef']);
  }
  return {
    type: (input.type ?? '').trim().toLowerCase() === 'vector' ? 'vector' : 'keyword',
    provider,
    embeddingModel: input.embedding_model?.trim() || null,
    endpoint,
    secretRef: input.auth?.secret_ref ?? null,
  };
}

/**
 * An Agent's `spec.memory.allow` as operations (Orloj's `NormalizeMemoryOperations`): `read` or
 * `memory.read` alike, case-insensitive, first spelling kept; anything else is an error where
 * it is written, and so is `allow` without a `ref`.
 */
export function memoryOperations(ref: string | null, allow: readonly string[], report: Reporter): MemoryOperation[] {
  const operations: MemoryOperation[] = [];
  allow.forEach((raw, index) => {
    const value = raw.trim().toLowerCase();
    const operation = (Object.keys(MEMORY_TOOLS) as MemoryOperation[]).find((op) => value === op || value === MEMORY_TOOLS[op]);
    if (!operation) {
      report('INVALID_VALUE', `invalid memory operation "${raw.trim()}": expected read, write, search, list or ingest`, ['spec', 'memory', 'allow', index]);
    } else if (!operations.includes(operation)) operations.push(operation);
  });
  if (operations.length > 0 && !ref?.trim()) report('MISSING_FIELD', 'spec.memory.ref is required when spec.memory.allow is set', ['spec', 'memory', 'ref'], 'missing');
  return operations;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}
