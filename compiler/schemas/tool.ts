/** Tool: something an agent may call (Orloj `ToolSpec`). orch runs `http` and `mcp` tools. */
import { z } from 'zod';
import { duration, fields, freeMap, issue, nonEmptyText, oneOf, reference, text, textList } from './common.ts';

export const SUPPORTED_TOOL_TYPES = ['http', 'mcp'] as const;
/** Tool types Orloj knows (some only later) that orch does not run yet: a located error, never a silent accept. */
export const UNSUPPORTED_TOOL_TYPES = ['external', 'grpc', 'queue', 'webhook-callback', 'wasm', 'cli'] as const;

const toolType = z.string().transform((raw, ctx): (typeof SUPPORTED_TOOL_TYPES)[number] => {
  const value = raw.trim().toLowerCase();
  if ((SUPPORTED_TOOL_TYPES as readonly string[]).includes(value)) return value as (typeof SUPPORTED_TOOL_TYPES)[number];
  if ((UNSUPPORTED_TOOL_TYPES as readonly string[]).includes(value)) {
    issue(ctx, 'UNSUPPORTED_TOOL_TYPE', `tool type "${value}" is not supported by orch yet (supported: ${SUPPORTED_TOOL_TYPES.join(', ')})`);
  } else {
    issue(ctx, 'INVALID_VALUE', `unknown tool type "${raw}" (supported: ${SUPPORTED_TOOL_TYPES.join(', ')})`);
  }
  return z.NEVER;
});

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export const OPERATION_CLASSES = ['read', 'write', 'delete', 'admin'] as const;
export const AUTH_PROFILES = ['bearer', 'api_key_header', 'basic', 'oauth2_client_credentials'] as const;
export const JITTERS = ['none', 'full', 'equal'] as const;

/** Credentials for a Tool or an McpServer: a secret reference and how to present it. */
export const toolAuthSchema = fields({
  profile: oneOf(AUTH_PROFILES).optional(),
  secret_ref: reference.optional(),
  header_name: nonEmptyText.optional(),
  token_url: nonEmptyText.optional(),
  scopes: textList.optional(),
});

export const toolSpecSchema = fields({
  type: toolType.optional(),
  endpoint: nonEmptyText.optional(),
  description: text.optional(),
  input_schema: freeMap.optional(),
  mcp_server_ref: reference.optional(),
  mcp_tool_name: nonEmptyText.optional(),
  capabilities: textList.optional(),
  operation_classes: z.array(oneOf(OPERATION_CLASSES)).optional(),
  risk_level: oneOf(RISK_LEVELS).optional(),
  runtime: fields({
    timeout: duration.optional(),
    isolation_mode: oneOf(['none', 'sandboxed', 'container', 'wasm']).optional(),
    retry: fields({
      max_attempts: z.number().int().min(1).optional(),
      backoff: duration.optional(),
      max_backoff: duration.optional(),
      jitter: oneOf(JITTERS).optional(),
    }).optional(),
  }).optional(),
  auth: toolAuthSchema.optional(),
});

export type ToolSpecInput = z.output<typeof toolSpecSchema>;
