/**
 * The Plan: what the compiler emits and the workflow interprets.
 *
 * Plain JSON (no functions, no classes, no Dates) because it is the workflow's input and
 * lives in Temporal history. It carries no secret values, only references to them.
 * This file has no imports so workflow code can depend on it.
 */

export const PLAN_SCHEMA_VERSION = 1;

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ResourceId {
  namespace: string;
  name: string;
}

export interface Plan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  /** `sha256:<hex>` over the canonical JSON of every other field. */
  hash: string;
  system: ResourceId & { labels: Record<string, string> };
  /** The Task the plan was compiled for, if any. */
  task: (ResourceId & { labels: Record<string, string> }) | null;
  /** The default run input: the Task's `input`, merged with `--input` values. */
  input: JsonValue;
  /** Bound on activations per branch (Orloj's `Task.max_turns`); 0 means no bound (acyclic graphs only). */
  maxTurns: number;
  /** `Task.retry`: attempts of the whole run (1 = no retry) and the pause between them. */
  retry: { maxAttempts: number; backoffMs: number };
  /**
   * `Task.message_retry`: attempts of one agent activation that failed, with backoff
   * (exponential from `backoffMs`, capped at `maxBackoffMs`). Failure types listed in
   * `nonRetryable` are never retried. Orloj's defaults: attempts and backoff from `retry`.
   */
  messageRetry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; jitter: 'none' | 'full' | 'equal'; nonRetryable: string[] };
  /** Agents keyed by the name the system lists them under. */
  agents: Record<string, PlanAgent>;
  /** One node per agent: its outgoing edges and its join rule. */
  graph: Record<string, PlanNode>;
  /** Agents with no incoming edge, in declaration order; each receives the task input. */
  entryAgents: string[];
  /** Model endpoints keyed by `namespace/name`. */
  models: Record<string, PlanModel>;
  /** Tools keyed by `namespace/name`. */
  tools: Record<string, PlanTool>;
  /** MCP servers the plan's MCP tools live on, keyed by `namespace/name`. */
  mcpServers: Record<string, PlanMcpServer>;
  /** Memory resources the plan's agents use, keyed by `namespace/name`; absent when none does (older plans, and their hashes, stay as they were). */
  memories?: Record<string, PlanMemory>;
  /** `Task.requirements` that apply (contract/routing.ts): the run goes to a task queue only matching workers poll. Absent when none does (older plans, and their hashes, stay as they were). */
  requirements?: PlanRequirements;
  governance: PlanGovernance;
}

/** A run's requirements (Orloj `TaskRequirements`), only those that apply: see contract/routing.ts. */
export interface PlanRequirements {
  /** Only workers of this region (compared trimmed, case-insensitively). */
  region?: string;
  /** Only workers with a GPU. Orloj's `gpu: false` asks for nothing: it is never written here. */
  gpu?: true;
  /** Only workers whose `supported_models` include it (case-insensitively), or that list none. */
  model?: string;
}

export interface PlanAgent {
  id: ResourceId;
  description: string;
  prompt: string;
  /** Key into `Plan.models`. */
  model: string;
  fallbackModels: string[];
  /** Keys into `Plan.tools`, in the order the agent lists them. */
  tools: string[];
  allowedTools: string[];
  roles: string[];
  /** Model calls per activation; Orloj's default is 10. */
  maxSteps: number;
  /** Wall-clock bound on one activation, if set. */
  timeoutMs: number | null;
  outputSchema: JsonObject | null;
  toolUseBehavior: 'run_llm_again' | 'stop_on_first_tool';
  /** `file:line:col` of the Agent manifest, for runtime messages. */
  source: string;
  /** `spec.memory`: the Memory (key into `Plan.memories`) and the built-in memory tools `allow` grants; absent without one. */
  memory?: PlanMemoryGrant;
  /** `execution.profile: contract`: what the agent must do before it is done; absent for `dynamic` (older plans, and their hashes, stay as they were). */
  contract?: PlanExecutionContract;
}

/** Orloj's execution contract of one agent (see workflows/execution-contract.ts). */
export interface PlanExecutionContract {
  /** Tools that must each succeed once, in any order (Orloj tracks them as a set): trimmed, deduplicated ignoring case. */
  toolSequence: string[];
  /** Texts the agent's final model output must each contain: trimmed, deduplicated. */
  requiredOutputMarkers: string[];
  /** `deny`: a second successful call of a tool is a violation; `short_circuit`: an identical one gets the recorded result. */
  duplicateToolCallPolicy: 'short_circuit' | 'deny';
  /** `non_retryable_error` ends the agent with CONTRACT_VIOLATION; `observe` records the violation and goes on. */
  onContractViolation: 'non_retryable_error' | 'observe';
}

/** The built-in memory tools, one per `spec.memory.allow` operation (Orloj's names). */
export const MEMORY_TOOLS = { read: 'memory.read', write: 'memory.write', search: 'memory.search', list: 'memory.list', ingest: 'memory.ingest' } as const;
export type MemoryOperation = keyof typeof MEMORY_TOOLS;
export type MemoryToolName = (typeof MEMORY_TOOLS)[MemoryOperation];

export interface PlanMemoryGrant {
  memory: string;
  /** Model-facing tool names, in the order `allow` lists their operations. */
  tools: MemoryToolName[];
}

export interface PlanMemory {
  id: ResourceId;
  /** `keyword` ranks by substring match; `vector` by cosine similarity of embeddings. */
  type: 'keyword' | 'vector';
  /**
   * `in-memory`: a workflow per Memory; `pgvector`: PostgreSQL with pgvector, or an embedded
   * PGlite without `endpoint`; `http`: a remote service speaking Orloj's memory protocol.
   */
  provider: 'in-memory' | 'pgvector' | 'http';
  /**
   * pgvector's connection string, or the http service's base URL (`spec.endpoint`); absent
   * for the embedded database under `$ORCH_HOME/memory`.
   */
  endpoint?: string;
  /** `spec.auth.secretRef`: the http service's bearer token, or pgvector's database password; absent without one. */
  secretRef?: SecretRef;
  embeddingModel: string | null;
  /** The ModelEndpoint `embedding_model` names, when a pgvector Memory embeds through one; absent for orch's offline embedding. */
  embedding?: PlanModel;
  /** Bounds of the store; a write past them is refused (never evicts what another run stored). */
  maxEntries: number;
  maxBytes: number;
}

export interface PlanNode {
  edges: PlanEdge[];
  join: PlanJoin | null;
  delegates: string[];
}

export interface PlanEdge {
  to: string;
  condition: PlanCondition | null;
  labels: Record<string, string>;
  /**
   * Dynamic fan-out: a JSON path to an array in the upstream's (structured) output; the
   * target runs once per element, in parallel, each receiving its element.
   */
  foreach: string | null;
}

export interface PlanCondition {
  default?: boolean;
  outputContains?: string;
  outputNotContains?: string;
  outputMatches?: string;
  outputJsonPath?: string;
  equals?: JsonValue;
  notEquals?: JsonValue;
  contains?: JsonValue;
  greaterThan?: number;
  lessThan?: number;
}

export interface PlanJoin {
  mode: 'wait_for_all' | 'quorum';
  quorumCount: number;
  quorumPercent: number;
  onFailure: 'deadletter' | 'skip' | 'continue_partial';
}

export type ModelProvider = 'openai' | 'anthropic' | 'openai-compatible' | 'ollama' | 'azure-openai' | 'mock';

export interface SecretRef {
  namespace: string;
  name: string;
  /** Key inside the Secret's data; Orloj's convention is `value`. */
  key: string;
}

export interface PlanModel {
  id: ResourceId;
  provider: ModelProvider;
  baseUrl: string | null;
  /** The model id sent to the provider (`default_model`). */
  model: string;
  options: Record<string, JsonValue>;
  secretRef: SecretRef | null;
  /** USD per million tokens. */
  pricing: { inputPerMillion: number; outputPerMillion: number } | null;
  rateLimit: { requestsPerSecond: number } | null;
  /**
   * How long one attempt of a model call may take (`spec.timeout`); null means
   * DEFAULT_MODEL_CALL_TIMEOUT_MS. A model that never answers is retried, then fails CALL_TIMEOUT.
   */
  timeoutMs?: number | null;
  /**
   * `local`: the endpoint's calls run as local activities, in the workflow task that asks for
   * them, each answer kept in the call-record store until history holds it (see
   * activities/call-records.ts). Absent: an activity of its own, dispatched by the server.
   */
  execution?: 'local';
  /** Scripted responses for the `mock` provider; null means the default mock behaviour. */
  mock: MockScript | null;
}

/** Scripted mock responses: per agent, one entry per model call of an activation; past the end, the default mock answers. */
export interface MockScript {
  latencyMs: number;
  responses: Record<string, MockResponse[]>;
}

export interface MockResponse {
  text?: string;
  toolCalls?: { tool: string; input: JsonValue }[];
  usage?: { inputTokens: number; outputTokens: number };
  latencyMs?: number;
}

/** One attempt of a model call, when its endpoint sets no `timeout`. */
export const DEFAULT_MODEL_CALL_TIMEOUT_MS = 120_000;

export type ToolType = 'http' | 'mcp';

export interface PlanTool {
  id: ResourceId;
  /** The name the model sees. */
  name: string;
  type: ToolType;
  endpoint: string | null;
  description: string;
  inputSchema: JsonObject | null;
  capabilities: string[];
  operationClasses: string[];
  riskLevel: 'low' | 'medium' | 'high' | 'critical';
  timeoutMs: number;
  retry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; jitter: 'none' | 'full' | 'equal' };
  auth: PlanToolAuth | null;
  /**
   * For MCP tools: the server (key into `Plan.mcpServers`), the tool's own name on it, and
   * whether `description`/`inputSchema` came from a `tools/list` at compile time. When not,
   * the workflow discovers them at run time (once per server per run, recorded in history).
   */
  mcp: { server: string; tool: string; discovered: boolean } | null;
}

export interface PlanMcpServer {
  id: ResourceId;
  transport: 'stdio' | 'http';
  /** stdio: the command and its arguments. */
  command: string | null;
  args: string[];
  /** stdio: the child's whole environment (besides PATH); values or secret references. */
  env: { name: string; value: string | null; secretRef: SecretRef | null }[];
  /** http: the streamable-HTTP endpoint. */
  endpoint: string | null;
  auth: PlanToolAuth | null;
  /** Tool names (as the server spells them) agents may use; empty means all. */
  toolFilter: string[];
  /** Close the worker's connection after this long unused. */
  idleTimeoutMs: number;
  /** Calls after a connection failure: how many attempts, how far apart. */
  reconnect: { maxAttempts: number; backoffMs: number };
}

export interface PlanToolAuth {
  profile: 'bearer' | 'api_key_header' | 'basic' | 'oauth2_client_credentials';
  secretRef: SecretRef;
  headerName: string | null;
  tokenUrl: string | null;
  scopes: string[];
}

export interface PlanGovernance {
  policies: PlanPolicy[];
  roles: Record<string, { permissions: string[] }>;
  toolPermissions: PlanToolPermission[];
}

export interface PlanPolicy {
  id: ResourceId;
  applyMode: 'scoped' | 'global';
  targetSystems: string[];
  targetTasks: string[];
  targetAgents: string[];
  allowedModels: string[];
  blockedTools: string[];
  /**
   * What each `blocked_tools` entry names by identity (see policies/tool-identity.ts), resolved
   * by the compiler over every Tool and McpServer it loaded, so a tool the plan reaches under
   * another name (an alias Tool, the same endpoint or server) is blocked even when the one the
   * entry names is not in the plan. Absent when no entry names anything by identity.
   */
  blockedToolIdentities?: { entry: string; identities: string[] }[];
  maxTokensPerRun: number | null;
  maxCostUsdPerRun: number | null;
  maxToolCallsPerRun: number | null;
  maxModelCallsPerRun: number | null;
  onViolation: string | null;
  onBudgetExhausted: string | null;
  /** Bound on supervisor delegation depth (a delegate delegating again is depth 2). */
  maxChildDepth: number | null;
  /** Bound on delegations (child runs) in one run, and on the width of one `foreach`. */
  maxChildTasks: number | null;
}

export interface PlanToolPermission {
  id: ResourceId;
  toolRef: string;
  action: string;
  requiredPermissions: string[];
  matchMode: 'all' | 'any';
  applyMode: 'global' | 'scoped';
  targetAgents: string[];
  operationRules: { operationClass: string; verdict: 'allow' | 'deny' | 'approval_required' }[];
  /**
   * What the tool `toolRef` names is, by identity (see policies/tool-identity.ts), together
   * with the identities of every Tool that is the same tool (shares an identity with it, or
   * with one that does), resolved by the compiler over every Tool and McpServer it loaded.
   * The permission applies to any tool with one of these identities, whatever its name, so an
   * alias Tool for the same MCP tool or endpoint is governed as the original is. Absent when
   * no other tool is the same tool as the one `toolRef` names.
   */
  toolIdentities?: string[];
  /**
   * The union of the operation classes every Tool of that identity declares (present with
   * `toolIdentities`): `operation_rules` read these as well as the called tool's own, so an
   * alias cannot pass for `read` when another spelling of the same tool says `write`.
   */
  identityOperationClasses?: string[];
}

/*
 * Tool names are part of the plan's contract: the compiler generates them, the workflow
 * offers them to models, the worker and policies match them. One definition for all.
 */

/**
 * Orloj writes `_` and `.` in an MCP tool's name as `-` (`fs.read_file` is `<server>--fs-read-file`);
 * names compare in that form. The policy engine's name folding (policies/tool-identity.ts)
 * treats all three as one separator too, so what is one tool here is one tool there.
 */
export function mcpToolKey(name: string): string {
  return name.replace(/[_.]/g, '-');
}

export function sameMcpToolName(a: string, b: string): boolean {
  return mcpToolKey(a) === mcpToolKey(b);
}

/** The filter's spelling of `name` when a server's `tool_filter.include` admits it; an empty filter admits all as spelled. */
export function admittedMcpTool(filter: readonly string[] | null, name: string): string | undefined {
  if (filter === null || filter.length === 0) return name;
  return filter.find((listed) => sameMcpToolName(listed, name));
}

/** The name of a tool generated from an McpServer, as Orloj gives it: `<server>--<tool>`. */
export function generatedToolName(serverName: string, toolName: string): string {
  return `${serverName}--${mcpToolKey(toolName)}`;
}

/** The tool a supervisor calls to hand work to its delegate `agent`. */
export function delegateToolName(agent: string): string {
  return `delegate--${agent}`;
}
