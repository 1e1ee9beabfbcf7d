/** Memory defaults (Orloj): provider `in-memory` when empty; `type` informational. */
import { MEMORY_TOOLS, type MemoryOperation } from '../../contract/plan.ts';
import type { MemorySpec } from '../resources.ts';
import type { MemorySpecInput } from '../schemas/memory.ts';
import type { Reporter } from './reporter.ts';

/** Providers Orloj ships; orch runs these (not `http` yet). */
const ORLOJ_PROVIDERS = ['in-memory', 'pgvector', 'http'];
export const RUNNABLE_MEMORY_PROVIDERS: readonly string[] = ['in-memory', 'pgvector'];

export function normalizeMemory(input: MemorySpecInput, report: Reporter): MemorySpec {
  const provider = (input.provider ?? '').trim().toLowerCase() || 'in-memory';
  if (!ORLOJ_PROVIDERS.includes(provider)) {
    report('INVALID_VALUE', `unknown memory provider "${input.provider}" (expected ${ORLOJ_PROVIDERS.join(', ')})`, ['spec', 'provider']);
  } else if (!RUNNABLE_MEMORY_PROVIDERS.includes(provider)) {
    report('UNSUPPORTED_MEMORY_PROVIDER', `memory provider ${provider} is not supported yet; an agent granted memory tools on this Memory does not compile`, ['spec', 'provider'], 'value', 'warning');
  }
  const endpoint = input.endpoint?.trim() || null;
  // pgvector's endpoint is the connection string the worker's `pg` client opens (a URL).
  if (provider === 'pgvector' && endpoint && !/^postgres(ql)?:\/\//i.test(endpoint)) {
    report('INVALID_VALUE', 'a pgvector Memory\'s endpoint is a postgres:// or postgresql:// connection string', ['spec', 'endpoint']);
  }
  return {
    type: (input.type ?? '').trim().toLowerCase() === 'vector' ? 'vector' : 'keyword',
    provider,
    embeddingModel: input.embedding_model?.trim() || null,
    endpoint,
    secretRef: input.auth?.secretRef ?? null,
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
