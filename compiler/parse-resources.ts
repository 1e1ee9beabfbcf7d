/**
 * Validates each YAML document as a resource: the envelope first, then the kind's spec
 * with zod, then defaults and cross-field rules. Secret values are split off here.
 */
import { isMap, isScalar } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, SourceLocation } from './diagnostics.ts';
import { normalizeAgent } from './normalize/agent.ts';
import { normalizeAgentSystem } from './normalize/agent-system.ts';
import { normalizeAgentPolicy, normalizeAgentRole, normalizeToolPermission } from './normalize/governance.ts';
import { normalizeMcpServer } from './normalize/mcp-server.ts';
import { normalizeMemory } from './normalize/memory.ts';
import { normalizeModelEndpoint } from './normalize/model-endpoint.ts';
import { reportNotEnforced } from './normalize/not-enforced.ts';
import type { Reporter } from './normalize/reporter.ts';
import { normalizeTask } from './normalize/task.ts';
import { normalizeTaskWebhook } from './normalize/task-webhook.ts';
import { normalizeTaskSchedule } from './normalize/task-schedule.ts';
import { normalizeTool } from './normalize/tool.ts';
import { normalizeWorker } from './normalize/worker.ts';
import type { ResourceHeader, ValidResource } from './resources.ts';
import { agentSpecSchema } from './schemas/agent.ts';
import { agentSystemSpecSchema } from './schemas/agent-system.ts';
import {
  API_VERSIONS,
  canonicalKind,
  ENVELOPE_KEYS,
  isSupportedKind,
  metadataSchema,
  type ResourceKind,
  type SupportedKind,
  type UnsupportedKind,
} from './schemas/envelope.ts';
import { agentPolicySpecSchema, agentRoleSpecSchema, toolPermissionSpecSchema } from './schemas/governance.ts';
import { mcpServerSpecSchema } from './schemas/mcp-server.ts';
import { memorySpecSchema } from './schemas/memory.ts';
import { modelEndpointSpecSchema } from './schemas/model-endpoint.ts';
import { secretSpecSchema } from './schemas/secret.ts';
import { taskSpecSchema } from './schemas/task.ts';
import { taskWebhookSpecSchema } from './schemas/task-webhook.ts';
import { taskScheduleSpecSchema } from './schemas/task-schedule.ts';
import { toolSpecSchema } from './schemas/tool.ts';
import { toolApprovalSpecSchema, workerSpecSchema } from './schemas/worker.ts';
import { keyLocation, locationOf, missingLocation, valueLocation, type SourceDocument } from './source-map.ts';
import { reportZodIssues } from './zod-issues.ts';

/** The kinds orch does not act on: their bodies are validated all the same (see schemas/worker.ts). */
const UNSUPPORTED_KIND_SCHEMAS: Record<UnsupportedKind, z.ZodType> = { ToolApproval: toolApprovalSpecSchema };

/** A document that passed the envelope checks: enough to be named, referenced and de-duplicated. */
export interface ParsedResource {
  header: ResourceHeader<ResourceKind>;
  source: SourceDocument;
  /** The normalized resource, or null when the kind is unsupported or its spec is invalid. */
  resource: ValidResource | null;
  /** For Secrets: their decoded values (never part of the resource graph). */
  secretValues: Record<string, string> | null;
}

function reporterFor(source: SourceDocument, out: Diagnostic[]): Reporter {
  return (code, message, path, at = 'value', severity = 'error') => {
    const location: SourceLocation =
      at === 'key' ? keyLocation(source, path) : at === 'missing' ? missingLocation(source, path) : valueLocation(source, path);
    out.push({ code, severity, message, location, path: [...path] });
  };
}

function parseSpec<Schema extends z.ZodType>(schema: Schema, raw: unknown, source: SourceDocument, out: Diagnostic[]): z.output<Schema> | null {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  reportZodIssues(result.error.issues, source, ['spec'], out);
  return null;
}

function normalizeSpec(kind: SupportedKind, name: string, raw: unknown, source: SourceDocument, out: Diagnostic[]) {
  const report = reporterFor(source, out);
  switch (kind) {
    case 'Agent': {
      const spec = parseSpec(agentSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeAgent(spec, report) };
    }
    case 'AgentSystem': {
      const spec = parseSpec(agentSystemSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeAgentSystem(spec, report) };
    }
    case 'ModelEndpoint': {
      const spec = parseSpec(modelEndpointSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeModelEndpoint(spec, report) };
    }
    case 'Tool': {
      const spec = parseSpec(toolSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeTool(spec, report) };
    }
    case 'McpServer': {
      const spec = parseSpec(mcpServerSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeMcpServer(spec, report) };
    }
    case 'Task': {
      const spec = parseSpec(taskSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeTask(spec) };
    }
    case 'TaskWebhook': {
      const spec = parseSpec(taskWebhookSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeTaskWebhook(spec) };
    }
    case 'TaskSchedule': {
      const spec = parseSpec(taskScheduleSpecSchema, raw, source, out);
      const normalized = spec && normalizeTaskSchedule(spec, source, out);
      return normalized && { kind, spec: normalized };
    }
    case 'Memory': {
      const spec = parseSpec(memorySpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeMemory(spec, report) };
    }
    case 'AgentPolicy': {
      const spec = parseSpec(agentPolicySpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeAgentPolicy(spec) };
    }
    case 'AgentRole': {
      const spec = parseSpec(agentRoleSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeAgentRole(spec) };
    }
    case 'ToolPermission': {
      const spec = parseSpec(toolPermissionSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeToolPermission(spec, name, report) };
    }
    case 'Worker': {
      const spec = parseSpec(workerSpecSchema, raw, source, out);
      return spec && { kind, spec: normalizeWorker(spec) };
    }
    case 'Secret': {
      const spec = parseSpec(secretSpecSchema, raw, source, out);
      if (!spec) return null;
      // stringData wins over data for the same key, as in Kubernetes and Orloj.
      const values = { ...spec.data, ...spec.string_data };
      return { kind, spec: { keys: Object.keys(values), destinations: spec.destinations ?? [] }, values };
    }
  }
}

/** Checks the envelope and reads metadata; null when the document cannot be named. */
function parseHeader(source: SourceDocument, raw: Record<string, unknown>, out: Diagnostic[]): ResourceHeader<ResourceKind> | null {
  const contents = source.doc.contents;
  for (const key of Object.keys(raw)) {
    if (!(ENVELOPE_KEYS as readonly string[]).includes(key)) {
      out.push({ code: 'UNKNOWN_FIELD', severity: 'error', message: `unknown top-level field "${key}" (expected ${ENVELOPE_KEYS.join(', ')})`, location: keyLocation(source, [key]), path: [key] });
    }
  }
  // Orloj defaults a missing apiVersion to orloj.dev/v1.
  const apiVersion = raw['apiVersion'] ?? 'orloj.dev/v1';
  if (typeof apiVersion !== 'string' || !(API_VERSIONS as readonly string[]).includes(apiVersion.trim())) {
    out.push({ code: 'UNKNOWN_API_VERSION', severity: 'error', message: `unknown apiVersion ${JSON.stringify(apiVersion)} (expected ${API_VERSIONS.join(' or ')})`, location: valueLocation(source, ['apiVersion']), path: ['apiVersion'] });
  }
  const rawKind = raw['kind'];
  if (rawKind === undefined || rawKind === null) {
    out.push({ code: 'MISSING_FIELD', severity: 'error', message: 'missing required field kind', location: locationOf(source, contents), path: ['kind'] });
    return null;
  }
  if (typeof rawKind !== 'string') {
    out.push({ code: 'INVALID_TYPE', severity: 'error', message: 'kind must be a string', location: valueLocation(source, ['kind']), path: ['kind'] });
    return null;
  }
  const kind = canonicalKind(rawKind);
  if (!kind) {
    out.push({ code: 'UNKNOWN_KIND', severity: 'error', message: `unknown kind "${rawKind}"`, location: valueLocation(source, ['kind']), path: ['kind'] });
    return null;
  }
  const metadata = metadataSchema.safeParse(raw['metadata'] ?? {});
  if (!metadata.success) {
    reportZodIssues(metadata.error.issues, source, ['metadata'], out);
    return null;
  }
  const namespace = metadata.data.namespace ?? 'default';
  const name = metadata.data.name;
  return {
    kind,
    apiVersion: typeof apiVersion === 'string' ? apiVersion.trim() : 'orloj.dev/v1',
    namespace,
    name,
    key: `${namespace}/${name}`,
    labels: metadata.data.labels ?? {},
    annotations: metadata.data.annotations ?? {},
    location: locationOf(source, contents),
    nameLocation: valueLocation(source, ['metadata', 'name']),
    fromOverride: source.fromOverride,
  };
}

/** Validates one document; appends diagnostics and returns the resource, if it could be named. */
export function parseResource(source: SourceDocument, out: Diagnostic[]): ParsedResource | null {
  const contents = source.doc.contents;
  if (!isMap(contents)) {
    const what = isScalar(contents) ? 'a scalar' : 'a list';
    out.push({ code: 'NOT_A_RESOURCE', severity: 'error', message: `a manifest is a map with apiVersion, kind, metadata and spec, not ${what}`, location: locationOf(source, contents) });
    return null;
  }
  let raw: unknown;
  try {
    // Loading already bounded aliases (count, expansion, cycles: check-yaml-tree.ts), at the
    // alias itself; yaml's own bound counts differently and could only point at the document.
    raw = source.doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    out.push({ code: 'YAML_SYNTAX', severity: 'error', message: error instanceof Error ? error.message : String(error), location: locationOf(source, contents) });
    return null;
  }
  const record = raw as Record<string, unknown>;
  const header = parseHeader(source, record, out);
  if (!header) return null;
  if (!isSupportedKind(header.kind)) {
    // Validated, then set aside: a malformed one is an error where it is wrong.
    parseSpec(UNSUPPORTED_KIND_SCHEMAS[header.kind], record['spec'], source, out);
    out.push({
      code: 'ACCEPTED_NOT_ENFORCED',
      severity: 'warning',
      message: `${header.kind} is validated but orch does not act on it; ${header.key} is ignored`,
      location: valueLocation(source, ['kind']),
      path: ['kind'],
    });
    return { header, source, resource: null, secretValues: null };
  }
  if (record['spec'] === undefined || record['spec'] === null) {
    // Report once at the document instead of once per required spec field.
    out.push({ code: 'MISSING_FIELD', severity: 'error', message: `${header.kind} ${header.key} has no spec`, location: missingLocation(source, ['spec']), path: ['spec'] });
    return { header, source, resource: null, secretValues: null };
  }
  const normalized = normalizeSpec(header.kind, header.name, record['spec'], source, out);
  if (!normalized) return { header, source, resource: null, secretValues: null };
  reportNotEnforced(header.kind, record['spec'], reporterFor(source, out));
  const resource = { ...header, kind: normalized.kind, spec: normalized.spec } as ValidResource;
  return { header, source, resource, secretValues: ('values' in normalized ? normalized.values : null) ?? null };
}
