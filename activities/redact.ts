/**
 * Redaction of secret values from anything that leaves an activity: results, failure
 * messages, failure details, logs. Providers, tools and HTTP stacks can echo request
 * headers or keys in what they answer, and whatever an activity returns or throws is
 * recorded in workflow history, shown in the Web UI and sent to the next model call.
 *
 * A value is masked in the forms it is likely to take in text: as written, base64 (standard
 * and URL-safe, with and without padding, and inside a longer base64 string at any
 * alignment: `Basic` credentials are base64 of `user:pass`), percent-encoded, and
 * JSON-escaped.
 */

/** Replaces secret values (and, for failures, credential-shaped tokens) in a string with `***`. */
export type Redact = (text: string) => string;

/** A {@link Redact} built by {@link createRedactor}. */
export interface Redactor extends Redact {
  /** True when it has nothing to mask: callers skip walking a value. */
  readonly empty: boolean;
  /**
   * For text that was cut short: masks the values, then a trailing fragment of one (a cut
   * through a secret would leave a prefix that no whole-value match finds).
   */
  cut(text: string): string;
}

const MASK = '***';

/**
 * Credential shapes masked even when the value is not known to this activity (defence in
 * depth: a provider may echo a key the worker got some other way). Failures only: in a
 * result they would rewrite data a tool legitimately returns.
 */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
];

/** Values shorter than this are masked as written only: their encodings would match too much. */
const MIN_ENCODED_LENGTH = 6;
/** A fragment of a base64 encoding is masked only when at least this long. */
const MIN_BASE64_FRAGMENT = 8;
/** The shortest dangling prefix {@link Redactor.cut} masks. */
const MIN_DANGLING_PREFIX = 4;

function urlSafe(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The base64 characters that depend only on `bytes` when they sit at offset `shift` (0, 1
 * or 2) of a longer encoded string: the part of the encoding any surrounding data leaves
 * unchanged.
 */
function base64Fragment(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const start = Math.ceil((8 * shift) / 6);
  const end = Math.floor((8 * (shift + bytes.length)) / 6);
  return encoded.slice(start, end);
}

/** Every form of `value` this module masks (see the module comment). */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  if (value.length >= MIN_ENCODED_LENGTH) {
    const bytes = Buffer.from(value, 'utf8');
    const base64 = bytes.toString('base64');
    for (const encoded of [base64, base64.replace(/=+$/, '')]) {
      forms.add(encoded);
      forms.add(urlSafe(encoded));
    }
    for (const shift of [0, 1, 2]) {
      const fragment = base64Fragment(bytes, shift);
      if (fragment.length >= MIN_BASE64_FRAGMENT) {
        forms.add(fragment);
        forms.add(urlSafe(fragment));
      }
    }
    const percent = encodeURIComponent(value);
    forms.add(percent);
    forms.add(percent.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    forms.add(percent.replace(/%20/g, '+'));
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/\//g, '\\/'));
    // JSON written ASCII-only (Python's json.dumps default).
    forms.add(json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
  }
  forms.delete('');
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /** Also mask credential-shaped tokens (`Bearer …`, `sk-…`) of unknown values. Default true: for failures and logs. */
  patterns?: boolean;
}

/**
 * Builds a redactor for the given secret values, in every form {@link secretForms} lists.
 * Longer forms are matched first, so a value that contains another is masked whole. One
 * regular expression for all of them: a string is scanned once however many secrets there are.
 */
export function createRedactor(values: readonly (string | undefined)[], options: RedactorOptions = {}): Redactor {
  const patterns = options.patterns ?? true;
  const secrets = [...new Set(values.filter((value): value is string => typeof value === 'string' && value !== ''))];
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  const known = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : null;
  const redact = (text: string): string => {
    let out = known ? text.replace(known, MASK) : text;
    if (patterns) {
      for (const pattern of CREDENTIAL_PATTERNS) {
        out = out.replace(pattern, (_match, scheme?: string) =>
          typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme) ? `${scheme} ${MASK}` : MASK
        );
      }
    }
    return out;
  };
  const cut = (text: string): string => {
    const out = redact(text);
    for (const form of forms) {
      for (let length = Math.min(form.length - 1, out.length); length >= MIN_DANGLING_PREFIX; length--) {
        if (out.endsWith(form.slice(0, length))) return out.slice(0, out.length - length) + MASK;
      }
    }
    return out;
  };
  return Object.assign(redact, { empty: !known && !patterns, cut });
}

/** Applies a redactor to every string inside a JSON-like value, keys included. Returns `value` itself when there is nothing to mask. */
export function redactDeep<T>(value: T, redact: Redact): T {
  if ((redact as Partial<Redactor>).empty === true) return value;
  return walk(value, redact);
}

function walk<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => walk(item, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a `__proto__` key from parsed JSON stays a plain key.
      Object.defineProperty(out, redact(key), { value: walk(item, redact), enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  }
  return value;
}
