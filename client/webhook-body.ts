/** A delivery's body: read under a size bound, then read as its content type says. */
import type { IncomingMessage } from 'node:http';
import type { JsonValue } from '../contract/plan.ts';

export type BodyProblem = 'too_large' | 'unsupported_media_type' | 'invalid_json' | 'too_deep' | 'invalid_text' | 'read_failed';

/** Deeper JSON than this is refused: the run input is walked recursively downstream. */
export const MAX_PAYLOAD_DEPTH = 64;

/** The body's bytes, at most `maxBytes`; a declared or actual size beyond it is `too_large` without reading on. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; problem: BodyProblem }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, problem: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: { ok: true; bytes: Buffer } | { ok: false; problem: BodyProblem }) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        finish({ ok: false, problem: 'too_large' });
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ ok: true, bytes: Buffer.concat(chunks) }));
    req.once('error', () => finish({ ok: false, problem: 'read_failed' }));
    req.once('aborted', () => finish({ ok: false, problem: 'read_failed' }));
  });
}

function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > limit) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}

/**
 * JSON (`application/json`, `…+json`) becomes JSON under the input key; `text/*` the text,
 * as Orloj's raw mode keeps it. Anything else is `unsupported_media_type`.
 */
export function parsePayload(contentType: string | undefined, bytes: Buffer): { ok: true; value: JsonValue } | { ok: false; problem: BodyProblem } {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  if (!isJson && !mediaType.startsWith('text/')) return { ok: false, problem: 'unsupported_media_type' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'invalid_text' };
  }
  if (!isJson) return { ok: true, value: text };
  let value: JsonValue;
  try {
    // JSON.parse makes `__proto__` an own key, never a prototype: the payload stays data.
    value = JSON.parse(text) as JsonValue;
  } catch {
    return { ok: false, problem: 'invalid_json' };
  }
  return depthExceeds(value, MAX_PAYLOAD_DEPTH) ? { ok: false, problem: 'too_deep' } : { ok: true, value };
}
