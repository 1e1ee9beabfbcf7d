/**
 * Orloj's TaskWebhook signatures: HMAC-SHA256, hex, after a prefix (`sha256=`). `generic`
 * signs `timestamp + "." + body` and bounds the timestamp's skew; `github` signs the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookDefinition } from '../contract/webhooks.ts';

export type SignatureVerdict = 'valid' | 'missing_signature' | 'signature_invalid' | 'missing_timestamp' | 'invalid_timestamp' | 'stale_timestamp';

/** A SHA-256 digest in hex. */
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/** Unix seconds, Unix milliseconds (above 10^12, as Orloj reads them) or RFC 3339; null otherwise. */
export function parseWebhookTimestamp(value: string): number | null {
  if (value.length > 64) return null;
  if (/^-?\d+$/.test(value)) {
    const n = Number(value);
    return n > 1_000_000_000_000 ? n : n * 1000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function verifySignature(
  hook: Pick<WebhookDefinition, 'profile' | 'signatureHeader' | 'signaturePrefix' | 'timestampHeader' | 'maxSkewSeconds'>,
  header: (name: string) => string | undefined,
  body: Buffer,
  secret: string,
  nowMs: number,
): SignatureVerdict {
  let received = header(hook.signatureHeader)?.trim() ?? '';
  if (received === '') return 'missing_signature';
  const prefix = hook.signaturePrefix;
  if (prefix !== '') {
    if (received.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return 'signature_invalid';
    received = received.slice(prefix.length).trim();
  }
  // The length of a digest is public: only a well-formed one is compared, in constant time.
  if (!HEX_DIGEST.test(received)) return 'signature_invalid';

  const mac = createHmac('sha256', secret);
  if (hook.profile === 'generic') {
    const timestamp = hook.timestampHeader ? header(hook.timestampHeader)?.trim() ?? '' : '';
    if (timestamp === '') return 'missing_timestamp';
    const at = parseWebhookTimestamp(timestamp);
    if (at === null) return 'invalid_timestamp';
    if (Math.abs(nowMs - at) > hook.maxSkewSeconds * 1000) return 'stale_timestamp';
    mac.update(`${timestamp}.`);
  }
  mac.update(body);
  return timingSafeEqual(mac.digest(), Buffer.from(received, 'hex')) ? 'valid' : 'signature_invalid';
}
