/** Tool defaults (Orloj `ToolSpec` normalization): http, low risk, 30s timeout, one attempt. */
import { checkInputSchema } from '../check-input-schema.ts';
import type { ToolSpec } from '../resources.ts';
import type { ToolSpecInput } from '../schemas/tool.ts';
import type { Reporter } from './reporter.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** A tool's runtime when nothing is declared; MCP-generated tools get it too. */
export const DEFAULT_TOOL_RUNTIME = {
  timeoutMs: DEFAULT_TIMEOUT_MS,
  retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: DEFAULT_MAX_BACKOFF_MS, jitter: 'none' as const },
};

/** Tool and McpServer auth: bearer once a secret is set; profile-specific fields checked. */
export function normalizeToolAuth(input: ToolSpecInput['auth'], report: Reporter): ToolSpec['auth'] {
  if (!input) return null;
  if (input.secret_ref === undefined) {
    if (input.profile !== undefined) report('MISSING_FIELD', `auth profile ${input.profile} needs auth.secretRef`, ['spec', 'auth', 'secret_ref'], 'missing');
    return null;
  }
  // Orloj: bearer is the default profile once a secret is set.
  const profile = input.profile ?? 'bearer';
  if (profile === 'api_key_header' && input.header_name === undefined) {
    report('MISSING_FIELD', 'auth profile api_key_header needs auth.headerName', ['spec', 'auth', 'header_name'], 'missing');
  }
  if (profile === 'oauth2_client_credentials' && input.token_url === undefined) {
    report('MISSING_FIELD', 'auth profile oauth2_client_credentials needs auth.tokenURL', ['spec', 'auth', 'token_url'], 'missing');
  }
  return {
    profile,
    secretRef: input.secret_ref,
    headerName: input.header_name ?? null,
    tokenUrl: input.token_url ?? null,
    scopes: input.scopes ?? [],
  };
}

export function normalizeTool(input: ToolSpecInput, report: Reporter): ToolSpec {
  const type = input.type ?? 'http';
  if (type === 'http' && input.endpoint === undefined) {
    report('MISSING_FIELD', 'an http tool needs endpoint', ['spec', 'endpoint'], 'missing');
  }
  if (type === 'mcp') {
    if (input.mcp_server_ref === undefined) report('MISSING_FIELD', 'an mcp tool needs mcp_server_ref', ['spec', 'mcp_server_ref'], 'missing');
    if (input.mcp_tool_name === undefined) report('MISSING_FIELD', 'an mcp tool needs mcp_tool_name', ['spec', 'mcp_tool_name'], 'missing');
  }
  if (input.input_schema !== undefined) {
    // Arguments are validated in the workflow: what it would not enforce is an error here.
    for (const problem of checkInputSchema(input.input_schema)) {
      report(problem.code, problem.message, ['spec', 'input_schema', ...problem.path], problem.at);
    }
  }
  const riskLevel = input.risk_level ?? 'low';
  const elevated = riskLevel === 'high' || riskLevel === 'critical';
  const retry = input.runtime?.retry;
  return {
    type,
    endpoint: input.endpoint ?? null,
    description: input.description ?? '',
    inputSchema: input.input_schema ?? null,
    mcpServerRef: input.mcp_server_ref ?? null,
    mcpToolName: input.mcp_tool_name ?? null,
    capabilities: input.capabilities ?? [],
    // Orloj: read for low/medium risk, write for high/critical.
    operationClasses: input.operation_classes && input.operation_classes.length > 0 ? input.operation_classes : [elevated ? 'write' : 'read'],
    riskLevel,
    runtime: {
      timeoutMs: input.runtime?.timeout ?? DEFAULT_TIMEOUT_MS,
      isolationMode: input.runtime?.isolation_mode ?? (elevated ? 'sandboxed' : 'none'),
      retry: {
        maxAttempts: retry?.max_attempts ?? 1,
        backoffMs: retry?.backoff ?? 0,
        maxBackoffMs: retry?.max_backoff ?? DEFAULT_MAX_BACKOFF_MS,
        jitter: retry?.jitter ?? 'none',
      },
    },
    auth: normalizeToolAuth(input.auth, report),
  };
}
