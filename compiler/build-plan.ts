/**
 * Builds the Plan for one AgentSystem from a resource graph that has no errors: only what
 * the system reaches (its agents, their models and fallbacks, tools, roles) plus the
 * governance of its namespace. Secret values never enter; only references to them do.
 */
import { planHash } from './plan-hash.ts';
import {
  PLAN_SCHEMA_VERSION,
  MEMORY_TOOLS,
  generatedToolName,
  type JsonValue,
  type Plan,
  type PlanAgent,
  type PlanExecutionContract,
  type PlanMcpServer,
  type PlanMemory,
  type PlanMemoryGrant,
  type PlanModel,
  type PlanNode,
  type PlanTool,
  type PlanToolAuth,
  type SecretRef,
} from '../contract/plan.ts';
import { effectiveRequirements, type PlanRequirements } from '../contract/routing.ts';
import { buildGovernance } from './build-governance.ts';
import { parseReference, toolTargetKey, type ResourceRegistry, type ToolTarget } from './registry.ts';
import type { AgentResource, AgentSystemResource, McpServerResource, MemoryResource, ModelEndpointResource, TaskResource, ToolResource, ToolSpec } from './resources.ts';
import { taskMessageRetry, taskRetry } from './normalize/task.ts';
import { formatLocation } from './diagnostics.ts';
import { DEFAULT_TOOL_RUNTIME } from './normalize/tool.ts';

export interface PlanRequest {
  registry: ResourceRegistry;
  system: AgentSystemResource;
  task: TaskResource | null;
  entryAgents: string[];
  /** Merged over the Task's input, one level deep. */
  input?: Record<string, JsonValue> | undefined;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The values, first occurrences only, in order. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** A secret reference, namespaced where its Secret is defined, else where it is written. */
export function secretRef(registry: ResourceRegistry, ref: string, namespace: string): SecretRef {
  const found = registry.find('Secret', ref, namespace);
  const parsed = parseReference(ref);
  return {
    namespace: found?.header.namespace ?? parsed.namespace ?? namespace,
    name: found?.header.name ?? parsed.name,
    // Orloj's convention: a secret's value lives under the key `value`.
    key: 'value',
  };
}

/** A ModelEndpoint as the plan carries it: its secret a reference. */
export function planModel(registry: ResourceRegistry, endpoint: ModelEndpointResource): PlanModel {
  const { spec } = endpoint;
  return {
    id: { namespace: endpoint.namespace, name: endpoint.name },
    provider: spec.provider,
    baseUrl: spec.baseUrl,
    model: spec.defaultModel,
    options: spec.options,
    secretRef: spec.auth.secretRef ? secretRef(registry, spec.auth.secretRef, endpoint.namespace) : null,
    pricing: spec.pricing,
    rateLimit: spec.rateLimit,
    timeoutMs: spec.timeoutMs,
    // Only when local: plans of activity endpoints stay as they were (their hashes too).
    ...(spec.execution === 'local' ? { execution: 'local' as const } : {}),
    mock: spec.mock,
  };
}

function planAuth(registry: ResourceRegistry, auth: ToolSpec['auth'], namespace: string): PlanToolAuth | null {
  if (!auth) return null;
  return {
    profile: auth.profile,
    secretRef: secretRef(registry, auth.secretRef, namespace),
    headerName: auth.headerName,
    tokenUrl: auth.tokenUrl,
    scopes: auth.scopes,
  };
}

/** How long a worker keeps an unused MCP connection when the manifest does not say. */
export const DEFAULT_MCP_IDLE_TIMEOUT_MS = 5 * 60_000;

/** An McpServer as the plan carries it: secret references only, Orloj's and orch's defaults applied. */
export function planMcpServer(registry: ResourceRegistry, server: McpServerResource): PlanMcpServer {
  const { spec } = server;
  return {
    id: { namespace: server.namespace, name: server.name },
    transport: spec.transport,
    command: spec.command,
    args: spec.args,
    env: spec.env.map((entry) => ({
      name: entry.name,
      value: entry.secretRef ? null : entry.value,
      secretRef: entry.secretRef ? secretRef(registry, entry.secretRef, server.namespace) : null,
    })),
    endpoint: spec.endpoint,
    auth: planAuth(registry, spec.auth, server.namespace),
    toolFilter: spec.toolFilter.include ?? [],
    idleTimeoutMs: spec.idleTimeoutMs ?? DEFAULT_MCP_IDLE_TIMEOUT_MS,
    reconnect: spec.reconnect,
  };
}

/** A Tool as the plan carries it: its secret a reference. */
export function planToolFromResource(registry: ResourceRegistry, tool: ToolResource): PlanTool {
  const { spec } = tool;
  const server = spec.mcpServerRef ? registry.find('McpServer', spec.mcpServerRef, tool.namespace) : undefined;
  return {
    id: { namespace: tool.namespace, name: tool.name },
    name: tool.name,
    type: spec.type,
    endpoint: spec.endpoint,
    description: spec.description,
    inputSchema: spec.inputSchema,
    capabilities: spec.capabilities,
    operationClasses: spec.operationClasses,
    riskLevel: spec.riskLevel,
    timeoutMs: spec.runtime.timeoutMs,
    retry: spec.runtime.retry,
    auth: planAuth(registry, spec.auth, tool.namespace),
    mcp: spec.type === 'mcp' && server && spec.mcpToolName ? { server: server.header.key, tool: spec.mcpToolName, discovered: false } : null,
  };
}

/** The Tool Orloj would generate from an McpServer: named `<server>--<tool>` with `_` as `-`. */
function planToolFromMcp(target: Extract<ToolTarget, { kind: 'mcp' }>): PlanTool {
  const name = generatedToolName(target.serverName, target.toolName);
  return {
    id: { namespace: target.namespace, name },
    name,
    type: 'mcp',
    endpoint: null,
    // Filled by MCP discovery (at compile time when asked, else at run time); the manifests do not know them.
    description: '',
    inputSchema: null,
    capabilities: [],
    operationClasses: ['read'],
    riskLevel: 'low',
    timeoutMs: DEFAULT_TOOL_RUNTIME.timeoutMs,
    retry: { ...DEFAULT_TOOL_RUNTIME.retry },
    auth: null,
    mcp: { server: `${target.namespace}/${target.serverName}`, tool: target.toolName, discovered: false },
  };
}

/** The execution contract of a `profile: contract` agent; nothing for `dynamic` (Orloj checks none). */
function executionContract(execution: AgentResource['spec']['execution']): { contract?: PlanExecutionContract } {
  if (execution.profile !== 'contract') return {};
  const { toolSequence, requiredOutputMarkers, duplicateToolCallPolicy, onContractViolation } = execution;
  return { contract: { toolSequence, requiredOutputMarkers, duplicateToolCallPolicy, onContractViolation } };
}

/** Builds the plan; every reference is assumed resolved (compile only calls this without errors). */
export function buildPlan(request: PlanRequest): Plan {
  const { registry, system, task } = request;
  const agents: Record<string, PlanAgent> = {};
  const graph: Record<string, PlanNode> = {};
  const models: Record<string, PlanModel> = {};
  const tools: Record<string, PlanTool> = {};
  const mcpServers: Record<string, PlanMcpServer> = {};
  const roles: Record<string, { permissions: string[] }> = {};
  const agentNames: string[] = [];

  const addModel = (ref: string, namespace: string): string | null => {
    const endpoint = registry.findValid('ModelEndpoint', ref, namespace);
    if (!endpoint) return null;
    models[endpoint.key] ??= planModel(registry, endpoint);
    return endpoint.key;
  };
  const addTool = (ref: string, namespace: string): string | null => {
    const target = registry.findTool(ref, namespace);
    if (!target) return null;
    const key = toolTargetKey(target);
    if (target.kind === 'mcp') tools[key] ??= planToolFromMcp(target);
    else if (target.tool) tools[key] ??= planToolFromResource(registry, target.tool);
    return key;
  };

  const memories: Record<string, PlanMemory> = {};
  // `spec.memory.allow` grants the built-in memory tools; without it Orloj offers none.
  const memoryGrant = (agent: AgentResource): { memory?: PlanMemoryGrant } => {
    const grant = agent.spec.memory;
    const memory = grant?.ref ? registry.findValid('Memory', grant.ref, agent.namespace) : undefined;
    if (!grant || !memory || grant.allow.length === 0) return {};
    memories[memory.key] ??= planMemory(registry, memory);
    return { memory: { memory: memory.key, tools: grant.allow.map((operation) => MEMORY_TOOLS[operation]) } };
  };
  for (const listed of unique(system.spec.agents)) {
    const agent: AgentResource | undefined = registry.findValid('Agent', listed, system.namespace);
    if (!agent) continue;
    agentNames.push(listed, agent.name);
    const { spec } = agent;
    const roleKeys: string[] = [];
    for (const ref of spec.roles) {
      const role = registry.findValid('AgentRole', ref, agent.namespace);
      if (!role) continue;
      roles[role.key] ??= { permissions: role.spec.permissions };
      roleKeys.push(role.key);
    }
    agents[listed] = {
      id: { namespace: agent.namespace, name: agent.name },
      description: spec.description,
      prompt: spec.prompt,
      model: addModel(spec.modelRef, agent.namespace) ?? spec.modelRef,
      fallbackModels: unique(spec.fallbackModelRefs.map((ref) => addModel(ref, agent.namespace)).filter((k): k is string => k !== null)),
      tools: unique(spec.tools.map((ref) => addTool(ref, agent.namespace)).filter((k): k is string => k !== null)),
      // Pre-authorized tools, as keys when they name a known tool (so the gate compares like with like).
      allowedTools: unique(
        spec.allowedTools
          .map((ref) => ref.trim())
          .filter((ref) => ref !== '')
          .map((ref) => {
            const target = registry.findTool(ref, agent.namespace);
            return target ? toolTargetKey(target) : ref;
          }),
      ),
      roles: unique(roleKeys),
      maxSteps: spec.limits.maxSteps,
      timeoutMs: spec.limits.timeoutMs,
      outputSchema: spec.execution.outputSchema,
      toolUseBehavior: spec.execution.toolUseBehavior,
      source: formatLocation(agent.location),
      ...memoryGrant(agent),
      ...executionContract(spec.execution),
    };
  }

  for (const listed of Object.keys(agents)) {
    const node = system.spec.graph[listed];
    graph[listed] = {
      edges: (node?.routes ?? [])
        .filter((route) => route.to in agents)
        .map((route) => ({ to: route.to, condition: route.condition, labels: route.labels, foreach: route.foreach })),
      join: node?.join ?? null,
      delegates: unique((node?.delegates ?? []).filter((d) => d in agents)),
    };
  }

  const plan: Omit<Plan, 'hash'> = {
    // Only plans that use memory carry the field: every other plan, and its hash, stays as it was.
    ...(Object.keys(memories).length > 0 ? { memories } : {}),
    // Likewise only plans of a Task with requirements that apply: they are routed (contract/routing.ts).
    ...planRequirements(task),
    schemaVersion: PLAN_SCHEMA_VERSION,
    system: { namespace: system.namespace, name: system.name, labels: system.labels },
    task: task ? { namespace: task.namespace, name: task.name, labels: task.labels } : null,
    input: mergeInput(task?.spec.input, request.input),
    maxTurns: task?.spec.maxTurns ?? 0,
    // The Task's, Orloj's defaults applied; without a Task, those defaults.
    retry: task?.spec.retry ?? taskRetry(undefined),
    messageRetry: task?.spec.messageRetry ?? taskMessageRetry(undefined, taskRetry(undefined)),
    agents,
    graph,
    entryAgents: request.entryAgents.filter((a) => a in agents),
    models,
    tools,
    mcpServers,
    governance: buildGovernance({ registry, system, task, agentNames, toolKeys: Object.keys(tools), roles }),
  };
  for (const tool of Object.values(tools)) {
    if (!tool.mcp || tool.mcp.server in mcpServers) continue;
    const server = registry.findValid('McpServer', tool.mcp.server, system.namespace);
    if (server) mcpServers[tool.mcp.server] = planMcpServer(registry, server);
  }
  return withHash(plan);
}

/** `Task.requirements` that apply, as the plan carries them; nothing when none does. */
function planRequirements(task: TaskResource | null): { requirements?: PlanRequirements } {
  const requirements = task ? effectiveRequirements(task.spec.requirements) : null;
  return requirements ? { requirements } : {};
}

/** The plan with its content hash, computed over everything else. */
export function withHash(plan: Omit<Plan, 'hash'> & { hash?: string }): Plan {
  const { schemaVersion, hash: _stale, ...rest } = plan;
  // The hash goes right after the schema version so it is the first thing a reader sees.
  return { schemaVersion, hash: planHash(plan), ...rest };
}

function mergeInput(taskInput: JsonValue | undefined, override: Record<string, JsonValue> | undefined): JsonValue {
  if (override === undefined || Object.keys(override).length === 0) return taskInput ?? {};
  return isObject(taskInput) ? { ...taskInput, ...override } : { ...override };
}

/** Bounds of an `in-memory` store: its entries travel in workflow state and history, so they stay well under a payload's 2 MB. */
export const MEMORY_MAX_ENTRIES = 10_000;
export const MEMORY_MAX_BYTES = 1_000_000;

/** A Memory as the plan carries it: its secret a reference; a pgvector Memory's embedding model resolved. */
export function planMemory(registry: ResourceRegistry, memory: MemoryResource): PlanMemory {
  const { spec } = memory;
  const provider = spec.provider === 'pgvector' || spec.provider === 'http' ? spec.provider : 'in-memory';
  const embedding = provider === 'pgvector' && spec.embeddingModel ? registry.findValid('ModelEndpoint', spec.embeddingModel, memory.namespace) : undefined;
  return {
    id: { namespace: memory.namespace, name: memory.name },
    type: spec.type,
    provider,
    ...(provider !== 'in-memory' && spec.endpoint ? { endpoint: spec.endpoint } : {}),
    ...(provider !== 'in-memory' && spec.endpoint && spec.secretRef ? { secretRef: secretRef(registry, spec.secretRef, memory.namespace) } : {}),
    embeddingModel: spec.embeddingModel,
    ...(embedding ? { embedding: planModel(registry, embedding) } : {}),
    maxEntries: MEMORY_MAX_ENTRIES,
    maxBytes: MEMORY_MAX_BYTES,
  };
}
