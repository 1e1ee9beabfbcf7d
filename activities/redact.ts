/**
 * Redaction of secret values from anything that leaves an activity: failure messages,
 * failure details, logs. Providers and HTTP stacks can echo request headers or keys in
 * their errors, and whatever an activity throws is recorded in workflow history.
 */

/** Replaces secret values (and credential-shaped tokens) in a string with `***`. */
export type Redact = (text: string) => string;

const MASK = '***';

/**
 * Credential shapes masked even when the value is not known to this activity (defence in
 * depth: a provider may echo a key the worker got some other way).
 */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
];

/**
 * Builds a redactor for the given secret values. Longer values are replaced first, so a
 * value that contains another is masked whole.
 */
export function createRedactor(values: readonly (string | undefined)[]): Redact {
  const secrets = [...new Set(values.filter((value): value is string => typeof value === 'string' && value !== ''))].sort(
    (a, b) => b.length - a.length
  );
  return (text: string) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join(MASK);
    for (const pattern of CREDENTIAL_PATTERNS) {
      out = out.replace(pattern, (_match, scheme?: string) =>
        typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme) ? `${scheme} ${MASK}` : MASK
      );
    }
    return out;
  };
}

/** Applies a redactor to every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[redact(key)] = redactDeep(item, redact);
    return out as T;
  }
  return value;
}
