/** McpServer: an MCP server whose tools agents reference as `<server>--<tool>` (Orloj `McpServer`). */
import { z } from 'zod';
import { duration, fields, nonEmptyText, oneOf, reference, text, textList } from './common.ts';
import { toolAuthSchema } from './tool.ts';

export const mcpServerSpecSchema = fields({
  transport: oneOf(['stdio', 'http']),
  command: nonEmptyText.optional(),
  args: textList.optional(),
  env: z
    .array(fields({ name: nonEmptyText, value: text.optional(), secret_ref: reference.optional() }))
    .optional(),
  endpoint: nonEmptyText.optional(),
  // Orloj writes `secretRef` and `profile`; the rest is Tool auth, normalized the same way.
  auth: toolAuthSchema.optional(),
  tool_filter: fields({ include: textList.optional() }).optional(),
  reconnect: fields({
    max_attempts: z.number().int().min(0).optional(),
    backoff: duration.optional(),
  }).optional(),
  idle_timeout: duration.optional(),
});

export type McpServerSpecInput = z.output<typeof mcpServerSpecSchema>;
