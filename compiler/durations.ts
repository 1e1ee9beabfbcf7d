/**
 * Go-style durations (`250ms`, `2s`, `1m30s`, `1.5h`), the form Orloj manifests use.
 * Parsed exactly like Go's `time.ParseDuration`, minus negative values, which no field accepts.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds for a duration string, or null when it is not a valid non-negative duration. */
export function parseDuration(text: string): number | null {
  const input = text.trim().replace(/^\+/, '');
  // Go accepts a bare "0" without a unit; nothing else may omit one.
  if (input === '0') return 0;
  if (input === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) return null;
    const [, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) return null;
  // Sub-millisecond remainders cannot be scheduled anyway; whole milliseconds keep plans stable.
  // A positive duration stays positive: 0 means "none" where a field allows it (limits.timeout).
  return total > 0 ? Math.max(1, Math.round(total)) : 0;
}
