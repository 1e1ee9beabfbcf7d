/** AgentSystem: agents plus the graph that routes outputs between them (Orloj `resources/graph.go`). */
import { z } from 'zod';
import { jsonPathProblem } from '../json-path.ts';
import { regexProblem } from '../regex-problem.ts';
import { fields, freeMap, issue, json, nonNegativeInt, oneOf, record, reference, stringMap, text, textList } from './common.ts';

/**
 * A regex for the workflow's linear-time engine (`workflows/linear-regex`), checked with that
 * engine: what it would refuse at run time (backreferences, lookaround, oversized patterns) is
 * an error here, not a condition that silently never holds.
 */
const regex = z.string().superRefine((value, ctx) => {
  const problem = regexProblem(value);
  if (!problem) return;
  const { code, detail } = problem;
  issue(ctx, code, code === 'UNSUPPORTED_REGEX' ? `${detail}; conditions run on a linear-time regex engine` : `invalid regular expression: ${detail}`);
});

/** A JSON path the workflow's reader understands (see `json-path.ts`), trimmed. */
const jsonPath = z.string().trim().superRefine((value, ctx) => {
  const problem = jsonPathProblem(value);
  if (problem !== null) issue(ctx, 'INVALID_VALUE', problem);
});

export const conditionSchema = fields({
  output_contains: text.optional(),
  output_not_contains: text.optional(),
  output_matches: regex.optional(),
  output_json_path: jsonPath.optional(),
  equals: json.optional(),
  not_equals: json.optional(),
  contains: json.optional(),
  greater_than: z.number().optional(),
  less_than: z.number().optional(),
  default: z.boolean().optional(),
});

export type ConditionInput = z.output<typeof conditionSchema>;

const edgeSchema = fields({
  to: z.string().trim(),
  labels: stringMap.optional(),
  policy: freeMap.optional(),
  condition: conditionSchema.optional(),
  // Dynamic fan-out: the target runs once per element of the array at this path in the output.
  foreach: jsonPath.optional(),
});

const joinSchema = fields({
  mode: oneOf(['wait_for_all', 'quorum']).optional(),
  quorum_count: nonNegativeInt.optional(),
  quorum_percent: z.number().int().min(0).max(100).optional(),
  on_failure: oneOf(['deadletter', 'skip', 'continue_partial']).optional(),
});

const nodeSchema = fields({
  next: z.string().trim().optional(),
  edges: z.array(edgeSchema).optional(),
  join: joinSchema.optional(),
  delegates: textList.optional(),
});

export const agentSystemSpecSchema = fields({
  agents: z.array(reference),
  // Keys are agent names: a free-form map, so they keep their spelling.
  graph: record(z.preprocess((node) => node ?? {}, nodeSchema), 'names').optional(),
});

export type AgentSystemSpecInput = z.output<typeof agentSystemSpecSchema>;
