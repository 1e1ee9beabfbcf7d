/** `--input key=value` pairs: values that parse as JSON are JSON, anything else is a string. */
import type { JsonValue } from '../contract/plan.ts';
import { CliError, EXIT } from './io.ts';

export function parseInputs(pairs: readonly string[]): Record<string, JsonValue> {
  const input: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new CliError(`--input expects key=value, got "${pair}"`, EXIT.usage);
    const key = pair.slice(0, equals);
    const raw = pair.slice(equals + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      value = raw;
    }
    // Defined as data, so a key such as `__proto__` is an input field, not the object's prototype.
    Object.defineProperty(input, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return input;
}
