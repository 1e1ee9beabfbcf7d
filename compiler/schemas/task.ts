/** Task: a run request for an AgentSystem (Orloj `docs/pages/reference/resources/task.md`). */
import { z } from 'zod';
import { duration, fields, json, nonNegativeInt, oneOf, reference, text, textList } from './common.ts';
import { JITTERS } from './tool.ts';

export const taskSpecSchema = fields({
  system: reference,
  mode: oneOf(['run', 'template']).optional(),
  // Orloj only allows string values; orch takes any JSON.
  input: json.optional(),
  priority: text.optional(),
  max_turns: nonNegativeInt.optional(),
  retry: fields({
    max_attempts: z.number().int().min(1).optional(),
    backoff: duration.optional(),
  }).optional(),
  message_retry: fields({
    max_attempts: z.number().int().min(1).optional(),
    backoff: duration.optional(),
    max_backoff: duration.optional(),
    jitter: oneOf(JITTERS).optional(),
    non_retryable: textList.optional(),
  }).optional(),
  requirements: fields({
    region: text.optional(),
    gpu: z.boolean().optional(),
    model: text.optional(),
  }).optional(),
});

export type TaskSpecInput = z.output<typeof taskSpecSchema>;
