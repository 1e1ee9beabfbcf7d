/** TaskWebhook: start a Task from a signed HTTP delivery (Orloj `docs/pages/reference/resources/task-webhook.md`). */
import { z } from 'zod';
import { fields, nonNegativeInt, oneOf, reference } from './common.ts';

export const WEBHOOK_PROFILES = ['generic', 'github'] as const;

/** An HTTP header name (RFC 9110 token): any other spelling could never match a request's header. */
const headerName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'a header name is at most 256 characters')
  .refine((v) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v), 'an HTTP header name is letters, digits and !#$%&\'*+.^_`|~-');

export const taskWebhookSpecSchema = fields({
  task_ref: reference,
  suspend: z.boolean().optional(),
  auth: fields({
    profile: oneOf(WEBHOOK_PROFILES).optional(),
    secret_ref: reference,
    signature_header: headerName.optional(),
    signature_prefix: z.string().trim().max(64, 'a signature prefix is at most 64 characters').optional(),
    timestamp_header: headerName.optional(),
    max_skew_seconds: nonNegativeInt.optional(),
  }),
  idempotency: fields({
    event_id_header: headerName.optional(),
    dedupe_window_seconds: nonNegativeInt.optional(),
  }).optional(),
  payload: fields({
    mode: oneOf(['raw']).optional(),
    input_key: z.string().trim().min(1, 'must not be empty').optional(),
  }).optional(),
});

export type TaskWebhookSpecInput = z.output<typeof taskWebhookSpecSchema>;
