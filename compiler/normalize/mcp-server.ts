/** McpServer defaults (Orloj): reconnect 3 attempts, 2s backoff. */
import type { McpServerSpec } from '../resources.ts';
import type { McpServerSpecInput } from '../schemas/mcp-server.ts';
import type { Reporter } from './reporter.ts';
import { normalizeToolAuth } from './tool.ts';

export function normalizeMcpServer(input: McpServerSpecInput, report: Reporter): McpServerSpec {
  if (input.transport === 'stdio' && input.command === undefined) {
    report('MISSING_FIELD', 'a stdio McpServer needs command', ['spec', 'command'], 'missing');
  }
  if (input.transport === 'http' && input.endpoint === undefined) {
    report('MISSING_FIELD', 'an http McpServer needs endpoint', ['spec', 'endpoint'], 'missing');
  }
  const env = (input.env ?? []).map((entry, index) => {
    const path = ['spec', 'env', index];
    if (entry.value === undefined && entry.secret_ref === undefined) {
      report('MISSING_FIELD', `env ${entry.name} needs value or secretRef`, [...path, 'value'], 'missing');
    }
    if (entry.value !== undefined && entry.secret_ref !== undefined) {
      report('INVALID_VALUE', `env ${entry.name} sets both value and secretRef; keep one`, [...path, 'secret_ref'], 'key');
    }
    return { name: entry.name, value: entry.value ?? null, secretRef: entry.secret_ref ?? null };
  });
  return {
    transport: input.transport,
    command: input.command ?? null,
    args: input.args ?? [],
    env,
    endpoint: input.endpoint ?? null,
    auth: normalizeToolAuth(input.auth, report),
    toolFilter: { include: input.tool_filter?.include ?? null },
    reconnect: { maxAttempts: input.reconnect?.max_attempts ?? 3, backoffMs: input.reconnect?.backoff ?? 2000 },
    idleTimeoutMs: input.idle_timeout ?? null,
  };
}
