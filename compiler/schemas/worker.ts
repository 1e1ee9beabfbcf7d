/**
 * Worker (Orloj `WorkerSpec`): the capabilities `orch worker --worker NAME` serves with, and
 * what the compiler checks Task.requirements against (contract/routing.ts). ToolApproval
 * (`ToolApprovalSpec`): a kind orch does not act on, validated all the same, so a malformed
 * one is a located error rather than a silent no-op; orch's approvals are `orch approve`.
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

export type WorkerSpecInput = z.output<typeof workerSpecSchema>;

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
