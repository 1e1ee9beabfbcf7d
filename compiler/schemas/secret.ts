/**
 * Secret: values for `secretRef`s, and where they may be sent. Values leave the compiler only
 * in `CompileResult.secrets`, never in a plan; `destinations` only in `CompileResult.manifests`
 * (what a worker binds the secret to, see activities/secret-destinations.ts).
 */
import { z } from 'zod';
import { fields, issue, record } from './common.ts';

const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** `data` values are base64 (Orloj and Kubernetes); a value that does not decode is rejected here. */
const base64Text = z.string().transform((value, ctx): string => {
  const compact = value.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    issue(ctx, 'INVALID_VALUE', 'data values must be non-empty base64 (use stringData for plain text)');
    return z.NEVER;
  }
  return Buffer.from(compact, 'base64').toString('utf8');
});

/**
 * Why `text` cannot be a destination, or null. The worker reads destinations with the same
 * rules (an invalid one there matches nothing); here the author learns of it, located.
 */
function destinationProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('stdio:')) return trimmed.slice('stdio:'.length).trim() === '' ? 'a stdio destination needs a command: stdio:<command> <args…>' : null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `"${text}" is not a URL (a destination is an http(s) URL prefix, or stdio:<command> <args…>)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `destination ${text} must be http or https`;
  if (url.username !== '' || url.password !== '') return `destination ${text} must not carry credentials`;
  if (url.search !== '' || url.hash !== '') return `destination ${text} is a prefix: no query or fragment`;
  return null;
}

const destination = z.string().superRefine((value, ctx) => {
  const problem = destinationProblem(value);
  if (problem) issue(ctx, 'INVALID_VALUE', problem);
});

export const secretSpecSchema = fields({
  // Keys are data: `record` keeps even `__proto__` rather than dropping it without a word.
  string_data: record(scalarText).optional(),
  data: record(base64Text).optional(),
  /** URL prefixes (and `stdio:` command lines) the secret may be sent to; unset: only where the worker's own manifests use it. */
  destinations: z.array(destination).optional(),
});

export type SecretSpecInput = z.output<typeof secretSpecSchema>;
