/** The plan's content hash, over its canonical JSON. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../contract/canonical-json.ts';
import type { Plan } from '../contract/plan.ts';

/** `sha256:<hex>` over the canonical JSON of the plan without its `hash` field. */
export function planHash(plan: Omit<Plan, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = plan;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}
