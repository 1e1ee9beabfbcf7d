/**
 * One JSON Schema (draft 2020-12) for any single manifest document, derived from the zod
 * schemas the compiler validates with, for editors and `orch schema` / `orch explain`.
 *
 * It is the structural part of validation only: what zod checks in transforms (durations are
 * approximated by a pattern; references, regexes, graphs and budgets are left to the compiler)
 * is not all expressible here. What the compiler accepts besides canonical spellings is:
 * - field names in camelCase as well as snake_case (one spelling per field, not both);
 * - kinds in any letter case; a missing apiVersion (Orloj defaults it to orloj.dev/v1);
 * - `key:` with no value (null), which means "not set";
 * - enum values in any letter case.
 * Pure: no I/O.
 */
import { z } from 'zod';
import { agentSpecSchema } from './schemas/agent.ts';
import { agentSystemSpecSchema, conditionSchema } from './schemas/agent-system.ts';
import { duration, freeMap, json, stringMap } from './schemas/common.ts';
import { API_VERSIONS, metadataSchema, SUPPORTED_KINDS, UNSUPPORTED_KINDS, type ResourceKind } from './schemas/envelope.ts';
import { agentPolicySpecSchema, agentRoleSpecSchema, toolPermissionSpecSchema } from './schemas/governance.ts';
import { mcpServerSpecSchema } from './schemas/mcp-server.ts';
import { memorySpecSchema } from './schemas/memory.ts';
import { modelEndpointSpecSchema } from './schemas/model-endpoint.ts';
import { secretSpecSchema } from './schemas/secret.ts';
import { taskSpecSchema } from './schemas/task.ts';
import { taskScheduleSpecSchema } from './schemas/task-schedule.ts';
import { taskWebhookSpecSchema } from './schemas/task-webhook.ts';
import { toolSpecSchema } from './schemas/tool.ts';
import { toolApprovalSpecSchema, workerSpecSchema } from './schemas/worker.ts';

type Json = { [key: string]: any };

export const SCHEMA_ID = 'https://orch.dev/schemas/manifest.json';
export const KINDS: readonly ResourceKind[] = [...SUPPORTED_KINDS, ...UNSUPPORTED_KINDS];

const SPECS: Record<ResourceKind, z.ZodType> = {
  Agent: agentSpecSchema,
  AgentSystem: agentSystemSpecSchema,
  ModelEndpoint: modelEndpointSpecSchema,
  Secret: secretSpecSchema,
  Task: taskSpecSchema,
  AgentPolicy: agentPolicySpecSchema,
  AgentRole: agentRoleSpecSchema,
  ToolPermission: toolPermissionSpecSchema,
  Tool: toolSpecSchema,
  McpServer: mcpServerSpecSchema,
  TaskSchedule: taskScheduleSpecSchema,
  TaskWebhook: taskWebhookSpecSchema,
  Memory: memorySpecSchema,
  Worker: workerSpecSchema,
  ToolApproval: toolApprovalSpecSchema,
};

const KIND_DESCRIPTIONS: Record<ResourceKind, string> = {
  Agent: 'One model-driven actor: a model endpoint, a prompt, tools and limits.',
  AgentSystem: 'Agents plus the graph that routes outputs between them.',
  ModelEndpoint: 'Where an agent\'s model calls go: provider, URL, model, auth, pricing.',
  Secret: 'Values for secretRefs, and the destinations they may be sent to.',
  Task: 'A run request for an AgentSystem, with its input and retry policy.',
  AgentPolicy: 'Governance: models, tools and per-run budgets for systems, tasks or agents.',
  AgentRole: 'A named set of permissions that agents are granted.',
  ToolPermission: 'Which permissions calling a tool requires, and per-operation verdicts.',
  Tool: 'Something an agent may call: an HTTP endpoint or an MCP server\'s tool.',
  McpServer: 'An MCP server whose tools agents reference as <server>--<tool>.',
  TaskSchedule: 'Runs a Task template on a cron schedule.',
  TaskWebhook: 'Starts a Task from a signed HTTP delivery.',
  Memory: 'A store agents use through the built-in memory tools.',
  Worker: 'The capabilities a worker serves with; Task requirements are checked against them.',
  ToolApproval: 'Orloj\'s tool approval record: validated, but orch does not act on it (use `orch approve`).',
};

/** Fields the zod schemas keep only to report them as REMOVED_FIELD: not offered, so rejected. */
const REMOVED: Partial<Record<ResourceKind, string[]>> = { Agent: ['model'] };

/** Descriptions by path (`Kind.spec.a.b`, list items transparent), where zod carries none. */
const DESCRIPTIONS: Record<string, string> = {
  'Agent.spec.model_ref': 'The ModelEndpoint this agent calls ("name" or "namespace/name").',
  'Agent.spec.prompt': 'The system prompt.',
  'Agent.spec.tools': 'Tools the agent may call: Tool names, or <mcp-server>--<tool>.',
  'Agent.spec.roles': 'AgentRoles granted to the agent (their permissions gate tool calls).',
  'Agent.spec.fallback_model_refs': 'ModelEndpoints tried in order when the primary one fails.',
  'Agent.spec.memory': 'The Memory the agent reads and writes, and which memory operations it may use.',
  'Agent.spec.limits': 'Bounds on one activation of the agent.',
  'Agent.spec.limits.max_steps': 'Most model turns in one activation.',
  'Agent.spec.limits.timeout': 'Longest one activation may take (a duration like "30s"; 0 means none).',
  'Agent.spec.execution': 'How the agent runs: dynamically, or to a contract of tool calls and output markers.',
  'AgentSystem.spec.agents': 'The agents in the system.',
  'AgentSystem.spec.graph': 'Routing: agent name -> its node (next, edges, join, delegates).',
  'ModelEndpoint.spec.provider': 'The model provider (case-insensitive).',
  'ModelEndpoint.spec.base_url': 'The provider\'s API base URL.',
  'ModelEndpoint.spec.default_model': 'The model name sent to the provider.',
  'ModelEndpoint.spec.timeout': 'How long one attempt of a model call may take.',
  'ModelEndpoint.spec.execution': 'Run each model call as an activity of its own (the default) or as a local activity.',
  'ModelEndpoint.spec.mock': 'Scripted responses for provider: mock.',
  'Secret.spec.string_data': 'Plain-text values by key.',
  'Secret.spec.data': 'Base64 values by key.',
  'Secret.spec.destinations': 'URL prefixes (or stdio:<command>) the secret may be sent to.',
  'Task.spec.system': 'The AgentSystem to run.',
  'Task.spec.input': 'The run input (any JSON).',
  'Task.spec.mode': '"run" runs the Task; "template" is only instantiated by schedules and webhooks.',
  'Task.spec.max_turns': 'Most agent activations in one run (bounds graph cycles).',
  'Tool.spec.type': 'http or mcp (other Orloj types are not run by orch yet).',
  'Tool.spec.input_schema': 'JSON Schema of the tool\'s input, shown to the model.',
  'TaskSchedule.spec.task_ref': 'The template Task to run.',
  'TaskSchedule.spec.schedule': 'A cron expression.',
  'TaskWebhook.spec.task_ref': 'The template Task each delivery starts.',
};

/** Go-style durations, as compiler/durations.ts parses them ("250ms", "1m30s"; a bare 0). */
const DURATION: Json = {
  anyOf: [{ type: 'string', pattern: '^\\s*\\+?(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)\\s*$' }, { const: 0 }],
  description: 'A duration with a unit, like "30s", "250ms" or "1m30s".',
};
const ANY_MAP: Json = { type: 'object' };
const SCALAR: Json = { type: ['string', 'number', 'boolean'] };

/** The graph's node schema is not exported by its module; this mirrors agent-system.ts. */
function graphNode(): Json {
  const condition = z.toJSONSchema(conditionSchema, OPTIONS) as Json;
  delete condition['$schema'];
  const closed = (properties: Json, required: string[] = []): Json => ({ type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false });
  const strings = { type: 'array', items: { type: 'string' } };
  const edge = closed({ to: { type: 'string' }, labels: { type: 'object', additionalProperties: SCALAR }, policy: ANY_MAP, condition, foreach: { type: 'string' } }, ['to']);
  const join = closed({
    mode: anyCase(['wait_for_all', 'quorum']),
    quorum_count: { type: 'integer', minimum: 0 },
    quorum_percent: { type: 'integer', minimum: 0, maximum: 100 },
    on_failure: anyCase(['deadletter', 'skip', 'continue_partial']),
  });
  return closed({ next: { type: 'string' }, edges: { type: 'array', items: edge }, join, delegates: strings });
}

/** Fields whose zod schema is a transform from `unknown` (records, keyed by names): typed by path. */
function pathOverride(path: string): Json | undefined {
  switch (path) {
    case 'AgentSystem.spec.graph':
      return { type: 'object', additionalProperties: { anyOf: [graphNode(), { type: 'null' }] } };
    case 'ModelEndpoint.spec.mock.responses':
      // The response schema is not exported by its module: each response is a map.
      return { type: 'object', additionalProperties: { type: 'array', items: { type: 'object' } } };
    case 'Agent.spec.execution.required_output_markers':
      // `- AUTH_PATH:` is a one-key map to YAML; the compiler reads it as the text "AUTH_PATH:", as Orloj does.
      return { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: { type: 'null' } }] } };
    case 'Secret.spec.string_data':
      return { type: 'object', additionalProperties: SCALAR };
    case 'Secret.spec.data':
      return { type: 'object', additionalProperties: { type: 'string' } };
    default:
      return undefined;
  }
}

/** zod settings: the input side (what users write); transforms never throw, they become `{}` or an override. */
const OPTIONS = {
  target: 'draft-2020-12',
  io: 'input',
  unrepresentable: 'any',
  override(ctx: { zodSchema: unknown; jsonSchema: Json }) {
    const replace = (next: Json) => {
      for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
      Object.assign(ctx.jsonSchema, structuredClone(next));
    };
    if (ctx.zodSchema === duration) replace(DURATION);
    else if (ctx.zodSchema === freeMap) replace(ANY_MAP);
    else if (ctx.zodSchema === stringMap) replace({ type: 'object', additionalProperties: SCALAR });
    else if (ctx.zodSchema === json) replace({});
    else caseInsensitiveEnum(ctx.zodSchema, ctx.jsonSchema);
  },
} as const;

/** `oneOf` enums (compiler/schemas/common.ts) lower-case and trim: any letter case is accepted. */
function caseInsensitiveEnum(schema: unknown, out: Json): void {
  const def = (schema as { _zod?: { def?: any } })._zod?.def;
  if (def?.type !== 'pipe' || def.in?._zod?.def?.type !== 'transform' || def.out?._zod?.def?.type !== 'enum') return;
  for (const key of Object.keys(out)) delete out[key];
  Object.assign(out, anyCase(Object.values(def.out._zod.def.entries)));
}

/** An enum in any letter case, the canonical values first (editors offer those). */
function anyCase(values: string[]): Json {
  return { anyOf: [{ type: 'string', enum: values }, { type: 'string', pattern: `^\\s*(${values.map(ciPattern).join('|')})\\s*$` }] };
}

/** A regex matching `text` in any letter case (JSON Schema patterns have no `i` flag). */
function ciPattern(text: string): string {
  return [...text].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
}

/** `max_steps` -> `maxSteps`: the usual other spelling compiler/source-map.ts `canonicalKey` maps back. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Words Orloj's camelCase writes in capitals (`tokenURL`); canonicalKey reads those back too. */
const ACRONYMS = new Set(['url', 'uri', 'id', 'usd', 'json', 'ttl', 'gpu', 'mcp', 'http']);

/** The other spellings of a snake_case field: camelCase, and camelCase with acronyms in capitals. */
function spellings(key: string): string[] {
  const words = key.split('_');
  const upper = words.map((w, i) => (i > 0 && ACRONYMS.has(w) ? w.toUpperCase() : i > 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join('');
  return [...new Set([camel(key), upper])].filter((k) => k !== key);
}

function toJson(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, OPTIONS as never) as Json;
  delete out['$schema'];
  return out;
}

/**
 * Post-order walk over closed objects: typed overrides and descriptions by path, optional
 * fields nullable, and each snake_case field also under its camelCase name (not both at once).
 */
function refine(node: Json, path: string): Json {
  if (node['type'] === 'array' && node['items']) node['items'] = refine(node['items'], path);
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(node[key])) node[key] = node[key].map((n: Json) => refine(n, path));
  if (node['type'] === 'object' && typeof node['additionalProperties'] === 'object') node['additionalProperties'] = refine(node['additionalProperties'], `${path}.*`);
  const properties: Json | undefined = node['properties'];
  if (!properties || node['additionalProperties'] !== false) return node;
  const required: string[] = node['required'] ?? [];
  const requiredBoth: Json[] = [];
  for (const key of Object.keys(properties)) {
    const at = `${path}.${key}`;
    let child = refine(pathOverride(at) ?? properties[key], at);
    const description = DESCRIPTIONS[at];
    // The path's own description is more specific than a shared one (durations).
    if (description) child = { ...child, description };
    // `key:` with nothing after it is null, which the compiler reads as "not set".
    properties[key] = required.includes(key) ? child : nullable(child);
  }
  const dependent: Json = {};
  for (const key of Object.keys(properties)) {
    const others = spellings(key);
    for (const other of others) {
      properties[other] = { ...properties[key], description: `Same as ${key}.${properties[key]['description'] ? ` ${properties[key]['description']}` : ''}` };
      // Two spellings of one field are a DUPLICATE_FIELD.
      dependent[other] = { not: { required: [key] } };
    }
    if (others.length && required.includes(key)) requiredBoth.push({ anyOf: [key, ...others].map((k) => ({ required: [k] })) });
  }
  const out: Json = { ...node, properties };
  const stillRequired = required.filter((key) => spellings(key).length === 0);
  if (stillRequired.length) out['required'] = stillRequired;
  else delete out['required'];
  if (requiredBoth.length) out['allOf'] = [...(out['allOf'] ?? []), ...requiredBoth];
  if (Object.keys(dependent).length) out['dependentSchemas'] = dependent;
  return out;
}

/** `schema` or null, the description kept on the outside where editors show it. */
function nullable(schema: Json): Json {
  const { description, ...typing } = schema;
  return { ...(description ? { description } : {}), anyOf: [typing, { type: 'null' }] };
}

function kindSchema(kind: ResourceKind): Json {
  const spec = refine(toJson(SPECS[kind]), `${kind}.spec`);
  for (const key of REMOVED[kind] ?? []) for (const spelled of [key, ...spellings(key)]) delete spec['properties'][spelled];
  const metadata = refine(toJson(metadataSchema), `${kind}.metadata`);
  return prune({
    title: kind,
    description: KIND_DESCRIPTIONS[kind],
    type: 'object',
    properties: {
      apiVersion: { description: 'orch/v1 or orloj.dev/v1 (Orloj\'s; the default when left out).', enum: [...API_VERSIONS] },
      // Orloj matches kinds case-insensitively; the const is the canonical spelling editors offer.
      kind: { description: `${kind} (any letter case).`, anyOf: [{ const: kind }, { type: 'string', pattern: `^\\s*${ciPattern(kind)}\\s*$` }] },
      metadata: { description: 'The resource\'s name, namespace (default: "default"), labels and annotations.', ...metadata },
      spec: { description: `The ${kind}'s specification.`, ...spec },
      status: { description: 'What Orloj\'s API reports; accepted and ignored.' },
    },
    required: ['kind', 'metadata', 'spec'],
    additionalProperties: false,
  });
}

/** Drops zod's safe-integer bounds on `.int()`: noise to a reader, and no manifest is near them. */
function prune<T>(value: T): T {
  const bound = (key: string, v: unknown) => (key === 'minimum' || key === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER;
  return JSON.parse(JSON.stringify(value, (key, v) => (bound(key, v) ? undefined : v))) as T;
}

let cached: Json | undefined;

/** The schema of one manifest document: one of the kinds, each under `$defs/<Kind>`. */
export function manifestJsonSchema(): Json {
  if (cached) return structuredClone(cached);
  const defs: Json = {};
  for (const kind of KINDS) defs[kind] = kindSchema(kind);
  cached = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'orch manifest',
    description: 'One manifest document (apiVersion, kind, metadata, spec) of any kind orch reads.',
    oneOf: KINDS.map((kind) => ({ $ref: `#/$defs/${kind}` })),
    $defs: defs,
  };
  return structuredClone(cached);
}

/** One kind's schema, standalone; undefined for an unknown kind (case-insensitive). */
export function kindJsonSchema(kind: string): Json | undefined {
  const name = KINDS.find((k) => k.toLowerCase() === kind.trim().toLowerCase());
  if (!name) return undefined;
  const def = manifestJsonSchema()['$defs'][name] as Json;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://orch.dev/schemas/${name.toLowerCase()}.json`, ...def };
}

export interface ExplainedField {
  path: string;
  type: string;
  description: string | null;
  fields: string[];
}

/** The typing part of a nullable wrapper (or the schema itself). */
function unwrap(schema: Json): Json {
  const options: Json[] | undefined = schema['anyOf'];
  if (!options) return schema;
  const real = options.filter((o) => o['type'] !== 'null');
  return real.length === 1 ? unwrap(real[0]!) : schema;
}

/** Where a field name leads from `schema`: properties, list items' properties, or map values. */
function child(schema: Json, key: string): Json | undefined {
  const node = unwrap(schema);
  if (node['type'] === 'array' && node['items']) return child(node['items'], key);
  const properties: Json | undefined = node['properties'];
  if (properties && Object.hasOwn(properties, key)) return properties[key];
  const wanted = Object.keys(properties ?? {}).find((k) => spellings(k).includes(key));
  if (wanted) return properties![wanted];
  const values = node['additionalProperties'];
  return typeof values === 'object' ? values : undefined;
}

function typeName(schema: Json): string {
  const node = unwrap(schema);
  if (node['anyOf']) {
    const enums = (node['anyOf'] as Json[]).find((o) => Array.isArray(o['enum']));
    if (enums) return `string (one of: ${enums['enum'].join(', ')})`;
    if (node['anyOf'][0]?.pattern === DURATION['anyOf'][0].pattern) return 'duration (like "30s", "1m30s")';
    return (node['anyOf'] as Json[]).map(typeName).join(' | ');
  }
  if (Array.isArray(node['enum'])) return `one of: ${node['enum'].join(', ')}`;
  if ('const' in node) return JSON.stringify(node['const']);
  const type = node['type'];
  if (type === 'array') return `list of ${node['items'] ? typeName(node['items']) : 'any'}`;
  if (type === 'object' && !node['properties'] && typeof node['additionalProperties'] === 'object') return `map of ${typeName(node['additionalProperties'])}`;
  if (Array.isArray(type)) return type.join(' | ');
  return typeof type === 'string' ? type : 'any';
}

/** Field names below `schema`, canonical spelling only (camelCase aliases are the same fields). */
function fieldsOf(schema: Json): string[] {
  const node = unwrap(schema);
  const values = node['additionalProperties'];
  // Lists and maps (graph: agent name -> node) are explained by what they hold.
  const target = node['type'] === 'array' && node['items'] ? unwrap(node['items']) : !node['properties'] && typeof values === 'object' ? unwrap(values) : node;
  const keys = Object.keys(target['properties'] ?? {});
  const aliases = new Set(keys.flatMap(spellings));
  return keys.filter((k) => !aliases.has(k));
}

/** `Agent.spec.limits` -> its type, description and sub-fields; null when there is no such field. */
export function explainField(path: string): ExplainedField | null {
  const [kindName, ...rest] = path.trim().split('.');
  const kind = KINDS.find((k) => k.toLowerCase() === (kindName ?? '').toLowerCase());
  if (!kind) return null;
  let node: Json | undefined = manifestJsonSchema()['$defs'][kind];
  for (const key of rest) {
    node = key === '' || !node ? undefined : child(node, key);
    if (!node) return null;
  }
  return { path: [kind, ...rest].join('.'), type: typeName(node!), description: node!['description'] ?? null, fields: fieldsOf(node!) };
}
