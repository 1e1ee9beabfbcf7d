/**
 * Worker and ToolApproval (Orloj `WorkerSpec`, `ToolApprovalSpec`): kinds orch does not act on,
 * validated all the same, so a malformed one is a located error rather than a silent no-op.
 * Orloj routes Tasks to Workers by `Task.requirements`; orch runs on whatever worker polls
 * the task queue. Orloj's ToolApproval records a decision; orch's are made with `orch approve`.
 */
import { z } from 'zod';
import { duration, fields, nonEmptyText, text, textList } from './common.ts';

export const workerSpecSchema = fields({
  region: text.optional(),
  capabilities: fields({
    gpu: z.boolean().optional(),
    supported_models: textList.optional(),
  }).optional(),
  // Orloj reads 0 or less as 1.
  max_concurrent_tasks: z.number().int().optional(),
});

export const toolApprovalSpecSchema = fields({
  task_ref: nonEmptyText,
  tool: nonEmptyText,
  // Free text in Orloj (lower-cased, never checked against the operation classes).
  operation_class: text.optional(),
  agent: text.optional(),
  input: text.optional(),
  reason: text.optional(),
  ttl: duration.optional(),
});
