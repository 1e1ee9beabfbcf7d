/** Secret: values for `secretRef`s. They leave the compiler only in `CompileResult.secrets`, never in a plan. */
import { z } from 'zod';
import { fields, issue } from './common.ts';

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

export const secretSpecSchema = fields({
  string_data: z.record(z.string(), scalarText).optional(),
  data: z.record(z.string(), base64Text).optional(),
});

export type SecretSpecInput = z.output<typeof secretSpecSchema>;
