/** Signature verification alone: Orloj's timestamp forms, prefix handling, and that every byte of the signed text counts. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseWebhookTimestamp, verifySignature } from '../../client/webhook-signature.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const generic = { profile: 'generic', signatureHeader: 'X-Signature', signaturePrefix: 'sha256=', timestampHeader: 'X-Timestamp', maxSkewSeconds: 300 } as const;
const github = { ...generic, profile: 'github', signatureHeader: 'X-Hub-Signature-256', timestampHeader: null } as const;
const hmac = (text: string, key = 'k') => createHmac('sha256', key).update(text).digest('hex');

function headers(values: Record<string, string>) {
  const lower = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return (name: string) => lower[name.toLowerCase()];
}

describe('webhook signatures', () => {
  it.each([
    ['1777636800', NOW],
    ['1777636800000', NOW],
    ['2026-05-01T12:00:00Z', NOW],
    ['2026-05-01T14:00:00.5+02:00', NOW + 500],
    ['yesterday', null],
    ['2026-05-01', null],
    ['9'.repeat(65), null],
  ])('timestamp %s', (text, expected) => {
    expect(parseWebhookTimestamp(text)).toBe(expected);
  });

  it('generic signs timestamp "." body; the prefix matches in any case', () => {
    const body = Buffer.from('{"a":1}');
    const ts = '1777636800';
    expect(verifySignature(generic, headers({ 'X-Signature': `sha256=${hmac(`${ts}.{"a":1}`)}`, 'X-Timestamp': ts }), body, 'k', NOW)).toBe('valid');
    expect(verifySignature(generic, headers({ 'X-Signature': `SHA256=${hmac(`${ts}.{"a":1}`)}`, 'X-Timestamp': ts }), body, 'k', NOW)).toBe('valid');
    // The body alone (github's text) is not what generic signs.
    expect(verifySignature(generic, headers({ 'X-Signature': `sha256=${hmac('{"a":1}')}`, 'X-Timestamp': ts }), body, 'k', NOW)).toBe('signature_invalid');
    // The timestamp is signed: changing it breaks the signature.
    expect(verifySignature(generic, headers({ 'X-Signature': `sha256=${hmac(`${ts}.{"a":1}`)}`, 'X-Timestamp': '1777636801' }), body, 'k', NOW)).toBe('signature_invalid');
    expect(verifySignature(generic, headers({ 'X-Signature': `sha256=${hmac(`${ts}.{"a":1}`)}`, 'X-Timestamp': ts }), body, 'k', NOW + 301_000)).toBe('stale_timestamp');
    expect(verifySignature(generic, headers({ 'X-Signature': `sha256=${hmac(`${ts}.{"a":1}`)}`, 'X-Timestamp': ts }), body, 'k', NOW + 300_000)).toBe('valid');
  });

  it('github signs the body alone and needs no timestamp', () => {
    const body = Buffer.from('{"ref":"main"}');
    expect(verifySignature(github, headers({ 'X-Hub-Signature-256': `sha256=${hmac('{"ref":"main"}')}` }), body, 'k', NOW)).toBe('valid');
    expect(verifySignature(github, headers({ 'X-Hub-Signature-256': `sha256=${hmac('{"ref":"main"}', 'other')}` }), body, 'k', NOW)).toBe('signature_invalid');
    expect(verifySignature(github, headers({}), body, 'k', NOW)).toBe('missing_signature');
  });

  it.each([
    ['too short', `sha256=${'a'.repeat(63)}`],
    ['too long', `sha256=${'a'.repeat(66)}`],
    ['odd hex', `sha256=${'g'.repeat(64)}`],
    ['two signatures joined', `sha256=${'a'.repeat(64)}, sha256=${'b'.repeat(64)}`],
    ['no prefix', 'a'.repeat(64)],
  ])('a malformed signature (%s) is invalid, never an exception', (_, signature) => {
    expect(verifySignature(github, headers({ 'X-Hub-Signature-256': signature }), Buffer.from('x'), 'k', NOW)).toBe('signature_invalid');
  });
});
