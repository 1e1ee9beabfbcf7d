/** ModelEndpoint: where an agent's model calls go (Orloj `resources/model_endpoint.go`, plus orch's pricing, rate limit and mock script). */
import { z } from 'zod';
import { duration, fields, freeMap, json, nonNegativeInt, oneOf, record, reference, text } from './common.ts';

export const MODEL_PROVIDERS = ['openai', 'anthropic', 'openai-compatible', 'ollama', 'azure-openai', 'mock'] as const;
export const MODEL_CALL_EXECUTIONS = ['activity', 'local'] as const;

const mockResponseSchema = fields({
  text: text.optional(),
  tool_calls: z.array(fields({ tool: z.string().trim().min(1), input: json.optional() })).optional(),
  usage: fields({ input_tokens: nonNegativeInt, output_tokens: nonNegativeInt }).optional(),
  latency: duration.optional(),
});

export const modelEndpointSpecSchema = fields({
  // Lower-cased like Orloj; Orloj's plugin providers have no orch counterpart.
  provider: oneOf(MODEL_PROVIDERS).optional(),
  base_url: z.string().trim().min(1).optional(),
  default_model: z.string().trim().min(1).optional(),
  options: freeMap.optional(),
  auth: fields({ secret_ref: reference.optional(), profile: text.optional() }).optional(),
  pricing: fields({
    input_per_million: z.number().min(0),
    output_per_million: z.number().min(0),
  }).optional(),
  rate_limit: fields({ requests_per_second: z.number().positive() }).optional(),
  // How long one attempt of a model call may take (orch's; the default is in plan.ts).
  timeout: duration.optional(),
  // How a model call runs: an activity of its own (the default) or a local activity (orch's).
  execution: oneOf(MODEL_CALL_EXECUTIONS).optional(),
  mock: fields({
    latency: duration.optional(),
    // Keys are agent names: one scripted response per model call of an activation.
    responses: record(z.array(mockResponseSchema), 'names').optional(),
  }).optional(),
});

export type ModelEndpointSpecInput = z.output<typeof modelEndpointSpecSchema>;
