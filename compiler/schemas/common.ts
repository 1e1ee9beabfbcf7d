/**
 * Building blocks shared by the per-kind schemas. Field checks live on the field itself
 * where possible, so each problem is reported at the node the user wrote.
 *
 * Custom issues carry `params.code` (a DiagnosticCode); `zod-issues.ts` turns them into
 * diagnostics. Cross-field rules that zod cannot express per field live in `normalize.ts`.
 */
import { z } from 'zod';
import type { DiagnosticCode } from '../diagnostics.ts';
import { parseDuration } from '../durations.ts';
import { canonicalKey } from '../source-map.ts';

/** Params attached to custom issues so they map to a precise diagnostic code. */
export interface IssueParams {
  code: DiagnosticCode;
  /** Report at the entry's key instead of its value (unknown and removed fields). */
  at?: 'key' | 'value';
}

export function issue(ctx: z.core.$RefinementCtx, code: DiagnosticCode, message: string, path: PropertyKey[] = [], at: 'key' | 'value' = 'value'): void {
  const params: IssueParams = { code, at };
  ctx.addIssue({ code: 'custom', message, path, params });
}

/**
 * Renames camelCase keys to their snake_case canonical form and drops empty (null) values,
 * which YAML produces for `key:` with nothing after it and which mean "not set".
 */
function canonicalizeKeys(value: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const spelled: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    const canonical = canonicalKey(key);
    if (canonical in spelled) {
      issue(ctx, 'DUPLICATE_FIELD', `field "${key}" repeats "${spelled[canonical]}" (same field, other spelling)`, [canonical], 'key');
      continue;
    }
    spelled[canonical] = key;
    if (item !== null) out[canonical] = item;
  }
  return out;
}

/**
 * A closed set of fields (snake_case, camelCase accepted); any other key is an error.
 * `removed` fields stay in the shape only to be reported, so they are not offered as allowed.
 */
export function fields<Shape extends z.core.$ZodLooseShape>(shape: Shape, removed: readonly string[] = []) {
  const allowed = `allowed fields: ${Object.keys(shape).filter((k) => !removed.includes(k)).join(', ')}`;
  // The message lists what is allowed, so an unknown-field diagnostic can say what was meant.
  return z.preprocess(canonicalizeKeys, z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined) }));
}

/** Lower-cased, trimmed enum: Orloj compares these case-insensitively. */
export function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(values));
}

export const text = z.string();
export const nonEmptyText = z.string().trim().min(1, 'must not be empty');
export const textList = z.array(z.string());
export const nonNegativeInt = z.number().int().min(0);
export const json = z.json();
/** Free-form map (options, input schemas, edge policy): any JSON values. */
export const freeMap = z.record(z.string(), z.json());
/** String map (labels): scalars are accepted and kept as text, as Kubernetes tooling prints them. */
export const stringMap = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)),
);

/** A reference: `name` or `namespace/name`. */
export const reference = z
  .string()
  .trim()
  .refine((v) => /^([^/\s]+\/)?[^/\s]+$/.test(v), 'a reference is "name" or "namespace/name"');
export const referenceList = z.array(reference);

/** A Go-style duration string, parsed to milliseconds. */
export const duration = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number' && value === 0) return 0;
  if (typeof value !== 'string') {
    issue(ctx, typeof value === 'number' ? 'INVALID_VALUE' : 'INVALID_TYPE', 'a duration is a string with a unit, like "30s", "250ms" or "1m30s"');
    return z.NEVER;
  }
  const ms = parseDuration(value);
  if (ms === null) {
    issue(ctx, 'INVALID_VALUE', `"${value}" is not a duration (use a unit, like "30s", "250ms" or "1m30s")`);
    return z.NEVER;
  }
  return ms;
});
