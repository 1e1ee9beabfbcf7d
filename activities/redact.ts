/**
 * Redaction of secret values from anything that leaves an activity: results, failure
 * messages, failure details, logs. Providers, tools and HTTP stacks can echo request
 * headers or keys in what they answer, and whatever an activity returns or throws is
 * recorded in workflow history, shown in the Web UI and sent to the next model call.
 *
 * A value is masked in the forms it is likely to take in text: as written; base64 (standard
 * and URL-safe, with and without padding, and inside a longer base64 string at any
 * alignment: `Basic` credentials are base64 of `user:pass`); hex of its UTF-8 bytes (lower or
 * upper case); and escaped one layer deep, in any mix of escaped and literal characters:
 * percent-escapes (`%XX`, either hex case, minimal or every byte) and JSON escapes (`\uXXXX`
 * in either hex case, `\"`, `\/`, …). The escaped forms are found by decoding the escapes of
 * a string that has any (`%` or `\`) and searching the decoded text for the forms above, so
 * base64 whose `+/=` were percent-encoded is masked too.
 *
 * Values shorter than {@link MIN_ENCODED_LENGTH} are masked as written only. Nothing else is
 * looked for (no cheap search finds it): the value reversed, split across fields or strings,
 * spaced out, escaped twice over, compressed, encrypted, or transformed any other way.
 *
 * Cost: the forms are computed once per redactor (a worker builds one for the secrets it
 * holds) and searched for with one regular expression of their escaped text; a string with
 * no `%` or `\` is never decoded, and a redactor without values does no work.
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

/** `text` with every UTF-16 code unit written as a JSON `\uXXXX` escape. */
function unicodeEscapes(text: string, upperCase: boolean): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const hex = text.charCodeAt(index).toString(16).padStart(4, '0');
    out += `\\u${upperCase ? hex.toUpperCase() : hex}`;
  }
  return out;
}

/**
 * Every form of `value` this module masks as a whole string (see the module comment); the
 * redactor also finds each of them in the decoded text of a string that has escapes.
 */
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
    // Hex; and every byte, every code unit escaped. Any mix of escaped and literal characters
    // (or of hex cases) is found by decoding (see decodeEscapes); these whole forms are listed
    // for Redactor.cut, whose dangling prefix may end inside an escape.
    for (const hex of [bytes.toString('hex'), bytes.toString('hex').toUpperCase()]) {
      forms.add(hex);
      forms.add(hex.replace(/../g, '%$&'));
    }
    forms.add(unicodeEscapes(value, false));
    forms.add(unicodeEscapes(value, true));
  }
  forms.delete('');
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A string with its escapes decoded: `text`, and where each of its code units came from. */
interface Decoded {
  text: string;
  /** `start[i]` and `end[i]`: the span of the original string that code unit `i` was decoded from (empty unless asked for). */
  start: Int32Array;
  end: Int32Array;
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The byte a `%XX` at `index` of `text` stands for, or -1. */
function percentByte(text: string, index: number): number {
  if (index + 2 >= text.length || text.charCodeAt(index) !== 0x25) return -1;
  const high = hexDigit(text.charCodeAt(index + 1));
  const low = hexDigit(text.charCodeAt(index + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/**
 * The code point the UTF-8 sequence of percent-escapes at `index` encodes, and the escapes'
 * length; null when there is no well-formed sequence there.
 */
function percentCodePoint(text: string, index: number): { codePoint: number; length: number } | null {
  const lead = percentByte(text, index);
  if (lead < 0) return null;
  if (lead < 0x80) return { codePoint: lead, length: 3 };
  const count = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : -1;
  if (count < 0 || lead > 0xf4) return null;
  let codePoint = lead & (0x3f >> count);
  for (let n = 1; n <= count; n++) {
    const next = percentByte(text, index + 3 * n);
    if (next < 0x80 || next > 0xbf) return null;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  const least = [0, 0x80, 0x800, 0x10000][count]!;
  if (codePoint < least || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return null;
  return { codePoint, length: 3 * (count + 1) };
}

/**
 * `text` with one layer of escapes decoded, left to right: percent-escapes (`%XX` in either
 * hex case, UTF-8 sequences of them) and JSON escapes (`\uXXXX` in either hex case, `\"`,
 * `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`); anything else, malformed escapes included, as
 * it is. Null when `text` has no `%` or `\` (nothing to decode). `spans`: also say where
 * each decoded code unit came from (only needed once something was found in the text).
 */
function decodeEscapes(text: string, spans: boolean): Decoded | null {
  if (!text.includes('%') && !text.includes('\\')) return null;
  const parts: string[] = [];
  const start = new Int32Array(spans ? text.length : 0);
  const end = new Int32Array(spans ? text.length : 0);
  let length = 0;
  /** Appends `units`, decoded from `[from, to)`. */
  const decodedFrom = (units: string, from: number, to: number) => {
    if (spans) {
      for (let n = 0; n < units.length; n++, length++) {
        start[length] = from;
        end[length] = to;
      }
    }
    parts.push(units);
  };
  /** Appends `[from, to)` of `text` as it is. */
  const literal = (from: number, to: number) => {
    if (spans) {
      for (let index = from; index < to; index++, length++) {
        start[length] = index;
        end[length] = index + 1;
      }
    }
    parts.push(text.slice(from, to));
  };
  let index = 0;
  while (index < text.length) {
    // Up to the next character that may start an escape, as it is.
    let next = index;
    while (next < text.length && text.charCodeAt(next) !== 0x25 && text.charCodeAt(next) !== 0x5c) next++;
    if (next > index) literal(index, next);
    index = next;
    if (index >= text.length) break;
    const escaped = escapeAt(text, index);
    if (escaped) {
      decodedFrom(escaped.units, index, index + escaped.length);
      index += escaped.length;
    } else {
      literal(index, index + 1);
      index++;
    }
  }
  return { text: parts.join(''), start: start.subarray(0, length), end: end.subarray(0, length) };
}

/** The escape (percent or JSON) at `index` of `text`: what it decodes to and its length; null when there is none. */
function escapeAt(text: string, index: number): { units: string; length: number } | null {
  if (text.charCodeAt(index) === 0x25) {
    const decoded = percentCodePoint(text, index);
    return decoded && { units: String.fromCodePoint(decoded.codePoint), length: decoded.length };
  }
  const kind = text[index + 1];
  if (kind === undefined) return null;
  if (kind === 'u') {
    let unit = 0;
    for (let n = 2; n < 6; n++) {
      const digit = index + n < text.length ? hexDigit(text.charCodeAt(index + n)) : -1;
      if (digit < 0) return null;
      unit = unit * 16 + digit;
    }
    return { units: String.fromCharCode(unit), length: 6 };
  }
  return Object.hasOwn(JSON_ESCAPES, kind) ? { units: JSON_ESCAPES[kind]!, length: 2 } : null;
}

/** `text` with the spans `[from, to)` (sorted by `from`) replaced by the mask, overlapping ones as one. */
function maskSpans(text: string, spans: readonly (readonly [number, number])[]): string {
  let out = '';
  let at = 0;
  for (const [from, to] of spans) {
    if (to <= at) continue;
    if (from >= at) out += text.slice(at, from) + MASK;
    at = to;
  }
  return out + text.slice(at);
}

/** `text` with every match of `known` in its decoded text masked, on the escapes it was decoded from. */
function maskEscaped(text: string, known: RegExp): string {
  const decoded = decodeEscapes(text, false);
  if (!decoded || decoded.text === text) return text;
  known.lastIndex = 0;
  if (!known.test(decoded.text)) return text;
  // Found: decode again, keeping where each code unit came from, and mask every match.
  const mapped = decodeEscapes(text, true)!;
  const spans: [number, number][] = [];
  known.lastIndex = 0;
  for (let match = known.exec(mapped.text); match; match = known.exec(mapped.text)) {
    const last = match.index + match[0].length - 1;
    spans.push([mapped.start[match.index]!, mapped.end[last]!]);
  }
  return maskSpans(text, spans);
}

/** An escape cut off at the end of a string: `%`, `%X`, `\`, `\u`, `\uX`, … */
const PARTIAL_ESCAPE = /(?:%[0-9A-Fa-f]?|\\(?:u[0-9A-Fa-f]{0,3})?)$/;

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /** Also mask credential-shaped tokens (`Bearer …`, `sk-…`) of unknown values. Default true: for failures and logs. */
  patterns?: boolean;
}

/** Where the longest trailing prefix of one of `forms` (at least {@link MIN_DANGLING_PREFIX} long) starts in `text`, or -1. */
function danglingStart(text: string, forms: readonly string[]): number {
  let found = -1;
  const last = text.charCodeAt(text.length - 1);
  for (const form of forms) {
    // Only prefixes longer than the one found so far.
    const shortest = Math.max(MIN_DANGLING_PREFIX, found < 0 ? 0 : text.length - found + 1);
    for (let length = Math.min(form.length - 1, text.length); length >= shortest; length--) {
      if (form.charCodeAt(length - 1) === last && text.endsWith(form.slice(0, length))) {
        found = text.length - length;
        break;
      }
    }
  }
  return found;
}

/**
 * Builds a redactor for the given secret values, in every form {@link secretForms} lists,
 * as written and (for values long enough to have encoded forms) inside escapes. Longer forms
 * are matched first, so a value that contains another is masked whole. One regular
 * expression for all of them, built once from their escaped text: a string is scanned once
 * however many secrets there are, and decoded (then scanned once more) only when it has
 * escapes and some value is long enough.
 */
export function createRedactor(values: readonly (string | undefined)[], options: RedactorOptions = {}): Redactor {
  const patterns = options.patterns ?? true;
  const secrets = [...new Set(values.filter((value): value is string => typeof value === 'string' && value !== ''))];
  const byLength = (list: string[]) => [...new Set(list)].sort((a, b) => b.length - a.length);
  const alternation = (list: readonly string[]) => (list.length > 0 ? new RegExp(list.map(escapeRegExp).join('|'), 'g') : null);
  const forms = byLength(secrets.flatMap(secretForms));
  const known = alternation(forms);
  // Short values are masked as written only, so only the forms of longer ones are looked for in decoded text.
  const long = secrets.filter((value) => value.length >= MIN_ENCODED_LENGTH);
  const escapedForms = long.length === secrets.length ? forms : byLength(long.flatMap(secretForms));
  const escaped = escapedForms === forms ? known : alternation(escapedForms);
  const redact = (text: string): string => {
    let out = known ? text.replace(known, MASK) : text;
    if (escaped) out = maskEscaped(out, escaped);
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
    let from = danglingStart(out, forms);
    if (escaped) {
      // A fragment in escapes, possibly ending in an escape the cut went through.
      const partial = PARTIAL_ESCAPE.exec(out)?.[0] ?? '';
      const body = out.slice(0, out.length - partial.length);
      const decoded = decodeEscapes(body, true);
      if (partial !== '' || (decoded && decoded.text !== body)) {
        const found = danglingStart(decoded ? decoded.text : body, escapedForms);
        const start = found < 0 ? -1 : decoded ? decoded.start[found]! : found;
        if (start >= 0 && (from < 0 || start < from)) from = start;
      }
    }
    return from >= 0 ? out.slice(0, from) + MASK : out;
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
