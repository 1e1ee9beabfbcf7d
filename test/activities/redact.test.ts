/**
 * Redaction: every form a secret takes in text is masked, and nothing else is touched.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, redactDeep, secretForms } from '../../activities/redact.ts';

const SECRET = 'alice:s3cret/pass+word?';
const redact = createRedactor([SECRET], { patterns: false });
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const urlSafe = (text: string) => text.replace(/\+/g, '-').replace(/\//g, '_');

describe('createRedactor', () => {
  it.each([
    ['raw', SECRET],
    ['base64 (Basic credentials)', b64(SECRET)],
    ['base64 without padding', b64(SECRET).replace(/=+$/, '')],
    ['URL-safe base64', urlSafe(b64(SECRET))],
    ['URL-safe base64 without padding', urlSafe(b64(SECRET)).replace(/=+$/, '')],
    ['percent-encoded', encodeURIComponent(SECRET)],
    ['percent-encoded, lower-case escapes', encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())],
    ['JSON-escaped with \\/', JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/')],
  ])('masks the %s form', (_label, form) => {
    const text = `before ${form} after`;
    expect(redact(text)).not.toContain(form);
    expect(redact(text)).toMatch(/^before .*\*\*\*.* after$/);
  });

  it.each([0, 1, 2, 5])('masks the secret inside a longer base64 string (%i bytes before it)', (offset) => {
    const encoded = b64(`${'x'.repeat(offset)}{"token":"${SECRET}","n":1}`);
    const masked = redact(encoded);
    expect(masked).toContain('***');
    // What is left cannot be decoded back to the secret.
    expect(Buffer.from(masked.replace(/\*\*\*/g, ''), 'base64').toString('utf8')).not.toContain(SECRET);
  });

  it('masks a JSON-escaped secret that has quotes and non-ASCII characters', () => {
    const odd = 'pa"ss\\wörd-1234';
    const r = createRedactor([odd], { patterns: false });
    expect(r(JSON.stringify({ echoed: odd }))).toBe('{"echoed":"***"}');
    expect(r(JSON.stringify({ echoed: odd }).replace('ö', '\\u00f6'))).toBe('{"echoed":"***"}');
  });

  it('leaves text without secrets unchanged, and is empty with no values and no patterns', () => {
    expect(redact('nothing to see: Bearer abcdefghijkl')).toBe('nothing to see: Bearer abcdefghijkl');
    expect(createRedactor([], { patterns: false }).empty).toBe(true);
    expect(createRedactor([]).empty).toBe(false);
  });

  it('failure redactors also mask credential shapes of unknown values', () => {
    expect(createRedactor([])('auth: Bearer abcdefghijkl, key sk-abcdefghijkl')).toBe('auth: Bearer ***, key ***');
  });

  it('cut() masks a secret whose end was cut off', () => {
    const cut = `prefix Bearer ${SECRET.slice(0, 9)}`;
    expect(redact(cut)).toContain(SECRET.slice(0, 9));
    expect(redact.cut(cut)).toBe('prefix Bearer ***');
    expect(redact.cut('prefix ali')).toBe('prefix ali'); // too short a fragment to be told from text
  });

  it('short values are masked as written only', () => {
    expect(secretForms('abc')).toEqual(['abc']);
    expect(secretForms('abcdefgh').length).toBeGreaterThan(5);
  });
});

describe('createRedactor: escaped and hex forms', () => {
  const HELD = 'Zq8vRt3Lm9Xw';
  const held = createRedactor([HELD], { patterns: false });
  const bytesOf = (text: string) => [...Buffer.from(text, 'utf8')];
  const pct = (byte: number, upper = true) => `%${byte.toString(16).padStart(2, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`;
  const uEscape = (unit: number, upper = false) => `\\u${unit.toString(16).padStart(4, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`;
  const units = (text: string) => [...Array(text.length).keys()].map((index) => text.charCodeAt(index));
  /** Each character of HELD through `encode(char, index)`. */
  const eachChar = (encode: (char: string, index: number) => string) => [...HELD].map(encode).join('');

  it.each([
    ['every byte percent-encoded, upper-case hex', bytesOf(HELD).map((byte) => pct(byte)).join('')],
    ['every byte percent-encoded, lower-case hex', bytesOf(HELD).map((byte) => pct(byte, false)).join('')],
    ['every byte percent-encoded, hex cases mixed', bytesOf(HELD).map((byte, index) => pct(byte, index % 2 === 0)).join('')],
    ['every other character percent-encoded, the rest literal', eachChar((char, index) => (index % 2 ? pct(char.charCodeAt(0)) : char))],
    ['one character percent-encoded', `${HELD.slice(0, 5)}${pct(HELD.charCodeAt(5), false)}${HELD.slice(6)}`],
    ['every character \\u-escaped, lower-case hex', units(HELD).map((unit) => uEscape(unit)).join('')],
    ['every character \\u-escaped, upper-case hex', units(HELD).map((unit) => uEscape(unit, true)).join('')],
    ['\\u-escapes mixed with literal characters', eachChar((char, index) => (index % 3 ? char : uEscape(char.charCodeAt(0), index % 2 === 0)))],
    ['\\u-escapes mixed with percent-escapes', eachChar((char, index) => (index % 2 ? uEscape(char.charCodeAt(0)) : pct(char.charCodeAt(0))))],
    ['hex, lower-case', Buffer.from(HELD).toString('hex')],
    ['hex, upper-case', Buffer.from(HELD).toString('hex').toUpperCase()],
  ])('masks the %s form', (_label, form) => {
    expect(form).not.toContain(HELD);
    const text = `before ${form} after`;
    expect(held(text)).toBe('before *** after');
  });

  it('masks escaped forms of a value with characters that are escaped anyway', () => {
    expect(redact(`[${encodeURIComponent(SECRET).replace(/%2F/g, '%2f').replace('w', '%77')}]`)).toBe('[***]');
    // Base64 (Basic credentials) in a URL, its +, / and = percent-encoded.
    const credentials = 'user:>>>???~~~';
    expect(encodeURIComponent(b64(credentials))).toMatch(/%2B.*%2F/);
    expect(createRedactor([credentials], { patterns: false })(`?auth=Basic%20${encodeURIComponent(b64(credentials))}&x=1`)).toBe('?auth=Basic%20***&x=1');
    const full = bytesOf(SECRET).map((byte) => pct(byte, false)).join('');
    expect(redact(`[${full}]`)).toBe('[***]');
    expect(redact(`[${units(SECRET).map((unit) => uEscape(unit)).join('')}]`)).toBe('[***]');
    // JSON's own escapes in a mix: \/ and \u together.
    expect(redact(`"${SECRET.replace('/', '\\/').replace('a', '\\u0061')}"`)).toBe('"***"');
  });

  it('masks multi-byte and astral characters percent- and \\u-escaped', () => {
    const odd = 'pässwörd-🔑-42';
    const r = createRedactor([odd], { patterns: false });
    expect(r(`x ${bytesOf(odd).map((byte) => pct(byte, false)).join('')} y`)).toBe('x *** y');
    expect(r(`x ${units(odd).map((unit) => uEscape(unit, true)).join('')} y`)).toBe('x *** y');
    expect(r(`x ${encodeURIComponent(odd).replace(/%F0%9F%94%91/, '\\ud83d\\udd11')} y`)).toBe('x *** y');
  });

  it('leaves every other escape as it is, malformed ones included', () => {
    const text = 'a%20b %zz %5 %C3%28 %ED%A0%80 \\u00e9 \\uZZZZ \\x41 \\\\u005a %5Aq8vRt3Lm9X';
    expect(held(text)).toBe(text);
    expect(held('%5a%71%38%76%52%74%33%4c%6d%39%58%77%77')).toBe('***%77');
  });

  it('an escaped backslash is not the start of an escape', () => {
    // `\\u005a` is a backslash and `u005a`: the value is not in it.
    const text = `\\\\u005a${HELD.slice(1)}`;
    expect(held(text)).toBe(text);
  });

  it('values too short for encoded forms are not looked for inside escapes', () => {
    expect(createRedactor(['abc'], { patterns: false })('%61%62%63 \\u0061bc')).toBe('%61%62%63 \\u0061bc');
  });

  it('cut() masks a fragment of an escaped form cut off mid-escape, in any hex case', () => {
    const fragment = bytesOf(HELD).slice(0, 5).map((byte, index) => pct(byte, index % 2 === 0)).join('');
    expect(held.cut(`body ${fragment}%7`)).toBe('body ***');
    expect(held.cut(`body ${fragment}%`)).toBe('body ***');
    expect(held.cut(`body ${units(HELD.slice(0, 4)).map((unit) => uEscape(unit)).join('')}\\u00`)).toBe('body ***');
    expect(held.cut(`body ${Buffer.from(HELD).toString('hex').slice(0, 9)}`)).toBe('body ***');
    // Literal characters, then an escape the cut went through.
    expect(held.cut(`body ${HELD.slice(0, 5)}%7`)).toBe('body ***');
    expect(held.cut('body %41%42%43%')).toBe('body %41%42%43%');
    expect(held.cut('body Zq8%')).toBe('body Zq8%'); // too short a fragment
  });

  it('stays fast on long text full of escapes', () => {
    const many = createRedactor(Array.from({ length: 20 }, (_unused, index) => `${HELD}-${index}-${'k'.repeat(200)}`), { patterns: false });
    const text = `${'%41\\u0042'.repeat(50_000)} ${bytesOf(`${HELD}-7-kkk`).map((byte) => pct(byte)).join('')}`;
    const started = performance.now();
    expect(many(text) === text).toBe(true);
    expect(many.cut(text) === `${text.slice(0, 50_000 * 9)} ***`).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('redactDeep', () => {
  it('masks inside the strings of parsed JSON, keeping its shape', () => {
    const value = JSON.parse(`{"ok":true,"seen":"Bearer ${SECRET}","list":[1,"${SECRET}"],"__proto__":{"k":"${SECRET}"}}`);
    const masked = redactDeep(value, redact);
    expect(masked).toEqual(JSON.parse('{"ok":true,"seen":"Bearer ***","list":[1,"***"],"__proto__":{"k":"***"}}'));
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(Object.keys(masked)).toContain('__proto__');
  });

  it('returns the value itself when there is nothing to mask', () => {
    const value = { a: ['b'] };
    expect(redactDeep(value, createRedactor([], { patterns: false }))).toBe(value);
  });
});
