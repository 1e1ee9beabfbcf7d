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
import { MAX_NESTING_DEPTH } from '../limits.ts';
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

/** A map as YAML gives it: an object that is neither a list nor a class instance (a Date, a Set). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets an own, enumerable entry. Plain assignment of `__proto__` would replace the object's
 * prototype instead, silently dropping the entry; a manifest's keys are data, never that.
 */
function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Renames camelCase keys to their snake_case canonical form and drops empty (null) values,
 * which YAML produces for `key:` with nothing after it and which mean "not set". Spellings are
 * kept in a Map: a plain object would answer for `constructor` or `__proto__` from its prototype.
 */
function canonicalizeKeys(value: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  for (const key of Object.keys(value)) {
    const item = value[key];
    const canonical = canonicalKey(key);
    const first = spelled.get(canonical);
    if (first !== undefined) {
      issue(ctx, 'DUPLICATE_FIELD', `field "${key}" repeats "${first}" (same field, other spelling)`, [canonical], 'key');
      continue;
    }
    spelled.set(canonical, key);
    if (item !== null) setEntry(out, canonical, item);
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

/** Any JSON value; the type zod gives JSON, so specs read as they did with `z.json()`. */
export type Json = z.core.util.JSONType;

/**
 * Free-form JSON (Task input, condition values): checked in one iterative walk, so depth costs
 * no stack, and kept as it is, so a `__proto__` key stays data (zod's own JSON and record
 * schemas leave it out).
 */
export const json = z.unknown().transform((value, ctx): Json => {
  const problem = jsonProblem(value);
  if (!problem) return value as Json;
  issue(ctx, problem.code, problem.message, problem.path);
  return z.NEVER;
});

/**
 * A map from any key to values of `value`, keys kept as written (`__proto__` included, as data).
 * With `keys: 'names'` the keys are resource names: `__proto__` cannot be one and is reported.
 */
export function record<Value extends z.ZodType>(value: Value, keys: 'any' | 'names' = 'any') {
  return z.unknown().transform((input, ctx): Record<string, z.output<Value>> => {
    if (!isPlainObject(input)) {
      issue(ctx, 'INVALID_TYPE', `expected a map, not ${describeJson(input)}`);
      return z.NEVER;
    }
    const out: Record<string, z.output<Value>> = {};
    let failed = false;
    for (const key of Object.keys(input)) {
      if (keys === 'names' && key === '__proto__') {
        issue(ctx, 'INVALID_VALUE', '"__proto__" is not a name any resource can have', [key], 'key');
        failed = true;
        continue;
      }
      const result = value.safeParse(input[key]);
      if (result.success) {
        setEntry(out, key, result.data);
        continue;
      }
      failed = true;
      // Re-raised under this key, so they are located exactly as zod's own record would locate them.
      for (const inner of result.error.issues) ctx.addIssue({ ...inner, path: [key, ...inner.path] } as z.core.$ZodRawIssue);
    }
    return failed ? z.NEVER : out;
  });
}

/** Free-form map (options, input schemas, edge policy): any JSON values. */
export const freeMap = record(json);
/** String map (labels): scalars are accepted and kept as text, as Kubernetes tooling prints them. */
export const stringMap = record(z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)));

interface JsonProblem {
  code: DiagnosticCode;
  message: string;
  path: (string | number)[];
}

/** `a Date`, `a number`: what a value is, for messages. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return isPlainObject(value) ? 'a map' : `a ${value.constructor?.name ?? 'non-JSON object'}`;
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

/**
 * The first place `value` is not JSON: a number that is not finite (`.inf`, `1e999`), a value
 * YAML 1.1 tags make (a Date, a Set, binary), or nesting past MAX_NESTING_DEPTH. Iterative,
 * so no input can exhaust the stack here.
 */
function jsonProblem(value: unknown): JsonProblem | null {
  interface Item {
    value: unknown;
    key: string | number | null;
    parent: Item | null;
    depth: number;
  }
  const pathOf = (item: Item) => {
    const path: (string | number)[] = [];
    for (let at: Item | null = item; at !== null && at.key !== null; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Item[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (Number.isFinite(current)) continue;
      return { code: 'INVALID_VALUE', message: `${current} is not a JSON number (a number must be finite)`, path: pathOf(item) };
    }
    const isList = Array.isArray(current);
    if (!isList && !isPlainObject(current)) return { code: 'INVALID_TYPE', message: `expected JSON, not ${describeJson(current)}`, path: pathOf(item) };
    if (item.depth >= MAX_NESTING_DEPTH) {
      return { code: 'NESTING_TOO_DEEP', message: `maps and lists nest more than ${MAX_NESTING_DEPTH} levels deep here`, path: pathOf(item) };
    }
    const entries: [string | number, unknown][] = isList ? current.map((v, i) => [i, v]) : Object.keys(current).map((k) => [k, current[k]]);
    // Pushed in reverse so the first problem in document order is the one reported.
    for (let i = entries.length - 1; i >= 0; i -= 1) stack.push({ value: entries[i]![1], key: entries[i]![0], parent: item, depth: item.depth + 1 });
  }
  return null;
}

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
