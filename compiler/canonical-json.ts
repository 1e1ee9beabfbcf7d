/** Canonical JSON (keys sorted at every level) and the plan's content hash over it. */
import { createHash } from 'node:crypto';
import type { Plan } from './plan.ts';

/** JSON with object keys sorted, so equal values always serialize to equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** `sha256:<hex>` over the canonical JSON of the plan without its `hash` field. */
export function planHash(plan: Omit<Plan, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = plan;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}
