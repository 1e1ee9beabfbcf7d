/**
 * Helpers over JSON instances for the validator: JSON types, equality that ignores key
 * order, float-safe `multipleOf`, code point lengths, the paths issues are reported at, and
 * the size bounds checked before any schema is applied.
 */
import type { JsonValue } from '../../contract/plan.ts';

/** The JSON type of a value, as `type` names them (`integer` is checked separately). */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Whether `value` is of JSON Schema type `type`; `integer` includes `1.0`. */
export function hasType(value: unknown, type: string): boolean {
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return jsonType(value) === type;
}

/** Plain JSON objects (not arrays, not null). */
export function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A string that two values share exactly when they are equal as JSON: keys sorted, numbers
 * as JSON writes them (`1.0` and `1` alike). Iterative, so a deep value cannot exhaust the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value still to write, or punctuation already decided (pushed in reverse).
  const stack: ({ value: unknown } | { text: string })[] = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      out.push('[');
      stack.push({ text: ']' });
      for (let i = current.length - 1; i >= 0; i--) {
        stack.push({ value: current[i] });
        if (i > 0) stack.push({ text: ',' });
      }
    } else if (isObject(current)) {
      out.push('{');
      const keys = Object.keys(current).sort();
      stack.push({ text: '}' });
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ value: current[keys[i]!] });
        stack.push({ text: `${JSON.stringify(keys[i])}:` });
        if (i > 0) stack.push({ text: ',' });
      }
    } else out.push(JSON.stringify(current) ?? 'null');
  }
  return out.join('');
}

/** Digits after the decimal point in JavaScript's shortest form of `n` (`1.5e-7` has 8). */
function decimalPlaces(n: number): number {
  const [mantissa, exponent] = String(Math.abs(n)).split('e');
  const fraction = mantissa!.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/**
 * `value` is an integer multiple of `divisor`, judged on the decimals people wrote rather than
 * on binary floats: 0.3 is a multiple of 0.1, 19.99 of 0.01, though `0.3 % 0.1` is not 0.
 */
export function isMultipleOf(value: number, divisor: number): boolean {
  if (Number.isInteger(value) && Number.isInteger(divisor)) return value % divisor === 0;
  const decimals = Math.max(decimalPlaces(value), decimalPlaces(divisor));
  if (decimals <= 15) {
    const scale = 10 ** decimals;
    const scaledValue = Math.round(value * scale);
    const scaledDivisor = Math.round(divisor * scale);
    if (Number.isSafeInteger(scaledValue) && Number.isSafeInteger(scaledDivisor) && scaledDivisor !== 0) return scaledValue % scaledDivisor === 0;
  }
  // Beyond exact scaling: the quotient must be an integer to within float precision.
  const quotient = value / divisor;
  return Number.isFinite(quotient) && Math.abs(quotient - Math.round(quotient)) <= Number.EPSILON * 4 * Math.max(1, Math.abs(quotient));
}

/** Length in code points, as JSON Schema counts it (an emoji is one character, not two). */
export function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A low surrogate after a high one belongs to the same code point.
    if (unit < 0xdc00 || unit > 0xdfff || i === 0 || text.charCodeAt(i - 1) < 0xd800 || text.charCodeAt(i - 1) > 0xdbff) length++;
  }
  return length;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.a.b`, or `$["a b"]` for keys that are no identifier, as issue paths are written. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Arguments nested deeper than this are refused before validation. */
export const MAX_ARGUMENT_DEPTH = 64;
/**
 * Arguments with more values (every object, array and scalar counts) are refused before
 * validation: far more than a tool call carries, few enough to validate within the work bound.
 */
export const MAX_ARGUMENT_VALUES = 20_000;

/**
 * Why `value` is too large to validate, with the path where the bound was crossed, or null.
 * Iterative, and stops at the first bound crossed, so its own cost is bounded too.
 */
export function argumentSizeProblem(value: JsonValue, root = '$'): { path: string; message: string } | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (++count > MAX_ARGUMENT_VALUES) return { path: root, message: `arguments hold more than ${MAX_ARGUMENT_VALUES} values` };
    if (item.depth > MAX_ARGUMENT_DEPTH) return { path: item.path, message: `arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels` };
    const width = Array.isArray(item.value) ? item.value.length : isObject(item.value) ? Object.keys(item.value).length : 0;
    if (count + stack.length + width > MAX_ARGUMENT_VALUES) return { path: root, message: `arguments hold more than ${MAX_ARGUMENT_VALUES} values` };
    if (Array.isArray(item.value)) item.value.forEach((child, index) => stack.push({ value: child, path: childPath(item.path, index), depth: item.depth + 1 }));
    else if (isObject(item.value)) {
      for (const key of Object.keys(item.value)) stack.push({ value: item.value[key], path: childPath(item.path, key), depth: item.depth + 1 });
    }
  }
  return null;
}
