/** McpServer: an MCP server whose tools agents reference as `<server>--<tool>` (Orloj `McpServer`). */
import { z } from 'zod';
import { duration, fields, nonEmptyText, oneOf, reference, text, textList } from './common.ts';

export const mcpServerSpecSchema = fields({
  transport: oneOf(['stdio', 'http']),
  command: nonEmptyText.optional(),
  args: textList.optional(),
  env: z
    .array(fields({ name: nonEmptyText, value: text.optional(), secret_ref: reference.optional() }))
    .optional(),
  endpoint: nonEmptyText.optional(),
  auth: fields({ secret_ref: reference.optional(), profile: text.optional() }).optional(),
  tool_filter: fields({ include: textList.optional() }).optional(),
  reconnect: fields({
    max_attempts: z.number().int().min(0).optional(),
    backoff: duration.optional(),
  }).optional(),
  idle_timeout: duration.optional(),
});

export type McpServerSpecInput = z.output<typeof mcpServerSpecSchema>;
