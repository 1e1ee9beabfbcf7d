/** Agent: one model-driven actor (Orloj `resources/agent.go`). */
import { z } from 'zod';
import { duration, fields, freeMap, issue, oneOf, reference, referenceList, text, textList } from './common.ts';

/**
 * Orloj reads `- AUTH_PATH:` in a marker list as the text "AUTH_PATH:" (its parser is
 * line-based); YAML reads it as a one-key map. Corpus manifests rely on Orloj's reading.
 */
const marker = z.preprocess((item) => {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const entries = Object.entries(item);
    const only = entries[0];
    if (entries.length === 1 && only && only[1] === null) return `${only[0]}:`;
  }
  return item;
}, z.string());

export const agentSpecSchema = fields({
  model_ref: reference,
  // Removed by Orloj; accepted by the schema only so it can be reported as REMOVED_FIELD.
  model: z.unknown().transform((_value, ctx) => {
    issue(ctx, 'REMOVED_FIELD', 'spec.model has been removed; use spec.model_ref (a ModelEndpoint reference)', [], 'key');
    return z.NEVER;
  }).optional(),
  prompt: text.optional(),
  description: text.optional(),
  tools: referenceList.optional(),
  allowed_tools: textList.optional(),
  roles: referenceList.optional(),
  fallback_model_refs: referenceList.optional(),
  memory: fields({
    ref: reference.optional(),
    allow: textList.optional(),
    type: text.optional(),
    provider: text.optional(),
  }).optional(),
  limits: fields({
    max_steps: z.number().int().optional(),
    timeout: duration.optional(),
  }).optional(),
  execution: fields({
    profile: oneOf(['dynamic', 'contract']).optional(),
    tool_sequence: textList.optional(),
    required_output_markers: z.array(marker).optional(),
    duplicate_tool_call_policy: oneOf(['short_circuit', 'deny']).optional(),
    on_contract_violation: oneOf(['non_retryable_error', 'observe']).optional(),
    tool_use_behavior: oneOf(['run_llm_again', 'stop_on_first_tool']).optional(),
    output_schema: freeMap.optional(),
  }).optional(),
}, ['model']);

export type AgentSpecInput = z.output<typeof agentSpecSchema>;
