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
