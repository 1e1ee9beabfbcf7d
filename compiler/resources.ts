/**
 * The normalized resource graph: every manifest after validation, aliases resolved and
 * Orloj's defaults applied, in camelCase. `validate` returns it; the plan is built from it.
 * Secret values are not here (they travel separately, see `CompileResult.secrets`).
 */
import type { SourceLocation } from './diagnostics.ts';
import type { JsonObject, JsonValue, MemoryOperation, MockScript, ModelProvider, PlanCondition, PlanPolicy, PlanToolPermission, ToolType } from '../contract/plan.ts';
import type { ManifestPath } from './source-map.ts';
import type { ResourceKind, SupportedKind, UnsupportedKind } from './schemas/envelope.ts';
import type { WorkerCapabilities } from '../contract/routing.ts';

export type { ResourceKind, SupportedKind, UnsupportedKind };

/** What every resource carries besides its spec. */
export interface ResourceHeader<Kind extends ResourceKind> {
  kind: Kind;
  apiVersion: string;
  namespace: string;
  name: string;
  /** `namespace/name`, the key plans use. */
  key: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Start of the manifest document. */
  location: SourceLocation;
  /** Where `metadata.name` is written (duplicates and overrides are reported there). */
  nameLocation: SourceLocation;
  /** Came from `overrides`. */
  fromOverride: boolean;
}

export interface Resource<Kind extends ResourceKind, Spec> extends ResourceHeader<Kind> {
  spec: Spec;
}

export interface AgentSpec {
  modelRef: string;
  fallbackModelRefs: string[];
  prompt: string;
  description: string;
  tools: string[];
  allowedTools: string[];
  roles: string[];
  /** `allow` holds Orloj's operation names (`read`, `write`, `search`, `list`, `ingest`), normalized and deduplicated. */
  memory: { ref: string | null; allow: MemoryOperation[]; type: string | null; provider: string | null } | null;
  limits: { maxSteps: number; timeoutMs: number | null };
  execution: {
    profile: 'dynamic' | 'contract';
    toolSequence: string[];
    requiredOutputMarkers: string[];
    duplicateToolCallPolicy: 'short_circuit' | 'deny';
    onContractViolation: 'non_retryable_error' | 'observe';
    toolUseBehavior: 'run_llm_again' | 'stop_on_first_tool';
    outputSchema: JsonObject | null;
  };
}

/** One outgoing route of a graph node: `next` first, then `edges`, de-duplicated (Orloj's order). */
export interface RouteSpec {
  to: string;
  condition: PlanCondition | null;
  labels: Record<string, string>;
  policy: JsonObject;
  /** `edges[i].foreach`: a JSON path to an array in the upstream output; null for a plain edge. */
  foreach: string | null;
  /** Where the target is written (`next`, `edges[i].to`, or the `agents` entry of an implied chain). */
  path: ManifestPath;
}

export interface JoinSpec {
  mode: 'wait_for_all' | 'quorum';
  quorumCount: number;
  quorumPercent: number;
  onFailure: 'deadletter' | 'skip' | 'continue_partial';
}

export interface GraphNodeSpec {
  routes: RouteSpec[];
  join: JoinSpec | null;
  delegates: string[];
}

export interface AgentSystemSpec {
  agents: string[];
  /**
   * Declared nodes, keyed by agent name. With no `graph` at all, Orloj chains `agents` in
   * declaration order; that chain is filled in here so every consumer sees the same edges.
   */
  graph: Record<string, GraphNodeSpec>;
  /** False when the chain above was implied rather than written. */
  graphDeclared: boolean;
}

export interface ModelEndpointSpec {
  provider: ModelProvider;
  baseUrl: string | null;
  defaultModel: string;
  options: Record<string, JsonValue>;
  auth: { secretRef: string | null; profile: string | null };
  pricing: { inputPerMillion: number; outputPerMillion: number } | null;
  rateLimit: { requestsPerSecond: number } | null;
  timeoutMs: number | null;
  execution: 'activity' | 'local';
  mock: MockScript | null;
}

export interface ToolSpec {
  type: ToolType;
  endpoint: string | null;
  description: string;
  inputSchema: JsonObject | null;
  mcpServerRef: string | null;
  mcpToolName: string | null;
  capabilities: string[];
  operationClasses: string[];
  riskLevel: 'low' | 'medium' | 'high' | 'critical';
  runtime: {
    timeoutMs: number;
    isolationMode: 'none' | 'sandboxed' | 'container' | 'wasm';
    retry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; jitter: 'none' | 'full' | 'equal' };
  };
  auth: {
    profile: 'bearer' | 'api_key_header' | 'basic' | 'oauth2_client_credentials';
    secretRef: string;
    headerName: string | null;
    tokenUrl: string | null;
    scopes: string[];
  } | null;
}

export interface McpServerSpec {
  transport: 'stdio' | 'http';
  command: string | null;
  args: string[];
  env: { name: string; value: string | null; secretRef: string | null }[];
  endpoint: string | null;
  /** As for Tools: bearer by default once a secret is set. */
  auth: ToolSpec['auth'];
  /** Tool names the server exposes to agents; null means all of them. */
  toolFilter: { include: string[] | null };
  reconnect: { maxAttempts: number; backoffMs: number };
  /** As written; null when unset (the plan then uses orch's default). */
  idleTimeoutMs: number | null;
}

export interface SecretSpec {
  /** Data keys only; values never enter the resource graph. */
  keys: string[];
  /** Where a worker may send the secret (URL prefixes, `stdio:` command lines); empty: unbound. */
  destinations: string[];
}

export interface TaskSpec {
  system: string;
  mode: 'run' | 'template';
  input: JsonValue;
  priority: string;
  maxTurns: number;
  retry: { maxAttempts: number; backoffMs: number };
  messageRetry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; jitter: 'none' | 'full' | 'equal'; nonRetryable: string[] };
  requirements: { region: string | null; gpu: boolean | null; model: string | null };
}

/** Orloj's TaskSchedule with its defaults applied; `schedule` and `timeZone` are checked. */
export interface TaskScheduleSpec {
  taskRef: string;
  schedule: string;
  timeZone: string;
  suspend: boolean;
  startingDeadlineSeconds: number;
  concurrencyPolicy: 'forbid' | 'allow' | 'replace';
  successfulHistoryLimit: number;
  failedHistoryLimit: number;
}

/** A TaskWebhook with Orloj's per-profile defaults applied. */
export interface TaskWebhookSpec {
  taskRef: string;
  suspend: boolean;
  auth: {
    profile: 'generic' | 'github';
    secretRef: string;
    signatureHeader: string;
    signaturePrefix: string;
    /** null for `github`, which signs the body alone. */
    timestampHeader: string | null;
    maxSkewSeconds: number;
  };
  idempotency: { eventIdHeader: string; dedupeWindowSeconds: number };
  payload: { mode: 'raw'; inputKey: string };
}

/** The normalized spec is exactly what a plan carries per policy, less its id. */
export type AgentPolicySpec = Omit<PlanPolicy, 'id'>;

export interface AgentRoleSpec {
  description: string;
  permissions: string[];
}

/** A Memory with Orloj's defaults applied. */
export interface MemorySpec {
  /** `vector` ranks `memory.search` by similarity; anything else (Orloj: informational) by substring. */
  type: 'keyword' | 'vector';
  /** Lowercased; `in-memory` when empty. */
  provider: string;
  embeddingModel: string | null;
  endpoint: string | null;
  secretRef: string | null;
}

/** What a plan carries per ToolPermission, less its id, plus where `tool_ref` came from. */
export type ToolPermissionSpec = Omit<PlanToolPermission, 'id'> & {
  /** `tool_ref` was not written and defaults to `metadata.name`. */
  toolRefDefaulted: boolean;
};

export type AgentResource = Resource<'Agent', AgentSpec>;
export type AgentSystemResource = Resource<'AgentSystem', AgentSystemSpec>;
export type ModelEndpointResource = Resource<'ModelEndpoint', ModelEndpointSpec>;
export type ToolResource = Resource<'Tool', ToolSpec>;
export type McpServerResource = Resource<'McpServer', McpServerSpec>;
export type SecretResource = Resource<'Secret', SecretSpec>;
export type TaskResource = Resource<'Task', TaskSpec>;
export type TaskWebhookResource = Resource<'TaskWebhook', TaskWebhookSpec>;
export type TaskScheduleResource = Resource<'TaskSchedule', TaskScheduleSpec>;
export type AgentPolicyResource = Resource<'AgentPolicy', AgentPolicySpec>;
export type AgentRoleResource = Resource<'AgentRole', AgentRoleSpec>;
export type ToolPermissionResource = Resource<'ToolPermission', ToolPermissionSpec>;
export type MemoryResource = Resource<'Memory', MemorySpec>;
/** A Worker: the capabilities `orch worker --worker NAME` serves with (contract/routing.ts). */
export type WorkerResource = Resource<'Worker', WorkerCapabilities>;
/** A kind orch does not run yet: kept so references to it (e.g. `memory.ref`) resolve. */
export type UnsupportedResource = Resource<UnsupportedKind, null>;

/** Any resource whose spec validated. */
export type ValidResource =
  | AgentResource
  | AgentSystemResource
  | ModelEndpointResource
  | ToolResource
  | McpServerResource
  | SecretResource
  | TaskResource
  | TaskWebhookResource
  | TaskScheduleResource
  | AgentPolicyResource
  | AgentRoleResource
  | ToolPermissionResource
  | MemoryResource
  | WorkerResource;

/** The normalized resource graph returned by `validate` and `compile`. */
export interface LoadedResources {
  agents: AgentResource[];
  agentSystems: AgentSystemResource[];
  modelEndpoints: ModelEndpointResource[];
  tools: ToolResource[];
  mcpServers: McpServerResource[];
  secrets: SecretResource[];
  tasks: TaskResource[];
  taskWebhooks: TaskWebhookResource[];
  taskSchedules: TaskScheduleResource[];
  agentPolicies: AgentPolicyResource[];
  agentRoles: AgentRoleResource[];
  toolPermissions: ToolPermissionResource[];
  memories: MemoryResource[];
  workers: WorkerResource[];
  unsupported: UnsupportedResource[];
  /** Resources loaded per kind (after duplicates and overrides), including invalid ones. */
  counts: Record<string, number>;
}
