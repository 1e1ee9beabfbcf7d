/**
 * Auth headers for tool endpoints (HTTP tools and MCP servers over HTTP), from a
 * `PlanToolAuth` whose secret is resolved here, inside the activity, for the endpoint it
 * will be sent to (the worker's bindings must allow it: see secret-destinations.ts).
 */
import type { PlanToolAuth } from '../contract/plan.ts';
import { activityFailure } from './classify-failure.ts';
import { createRedactor } from './redact.ts';
import { resolveSecretFor, type SecretSources } from './secrets.ts';

export interface AuthHeaders {
  headers: Record<string, string>;
  /** Every form of the credential that could appear in an error, for redaction. */
  secrets: string[];
}

/**
 * The headers for `auth` (none when null), to be sent to `endpoint`. `subject`
 * (`namespace/name`) and `label` (`tool`, `MCP server`) name the caller in messages. Throws
 * SECRET_DESTINATION_DENIED, SECRET_NOT_FOUND or TOOL_CONFIG_INVALID (all non-retryable).
 */
export function authHeaders(auth: PlanToolAuth | null, endpoint: string, subject: string, sources: SecretSources, label = 'tool'): AuthHeaders {
  if (!auth) return { headers: {}, secrets: [] };
  const value = resolveSecretFor(auth.secretRef, sources, { kind: 'url', url: endpoint }, `${label} ${subject}`);
  switch (auth.profile) {
    case 'bearer':
      return { headers: { authorization: `Bearer ${value}` }, secrets: [value] };
    case 'api_key_header':
      if (!auth.headerName) {
        throw activityFailure('TOOL_CONFIG_INVALID', `${label} ${subject}: auth profile api_key_header needs headerName`, { details: { tool: subject } }, createRedactor([value]));
      }
      return { headers: { [auth.headerName.toLowerCase()]: value }, secrets: [value] };
    case 'basic': {
      // The secret holds `user:pass`, as in Orloj.
      const encoded = Buffer.from(value, 'utf8').toString('base64');
      const password = value.includes(':') ? value.slice(value.indexOf(':') + 1) : undefined;
      return { headers: { authorization: `Basic ${encoded}` }, secrets: [value, encoded, ...(password ? [password] : [])] };
    }
    case 'oauth2_client_credentials':
      throw activityFailure(
        'TOOL_CONFIG_INVALID',
        `${label} ${subject}: auth profile oauth2_client_credentials is not supported by this worker yet`,
        { details: { tool: subject } },
        createRedactor([value])
      );
  }
}
