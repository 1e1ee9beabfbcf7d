/**
 * The manifest compiler's public entry: `validate` checks every resource and every
 * AgentSystem; `compile` also builds the Plan for one system. Neither throws on a user's
 * mistake: problems come back as located diagnostics.
 */
import { checkConfusableToolNames } from './build-governance.ts';
import { buildPlan, planMcpServer, planMemory, planModel, planToolFromResource, unique, withHash } from './build-plan.ts';
import { checkGraph, type CycleBound, type GraphAgentLookup } from './check-graph.ts';
import { hasErrors, type Diagnostic, type SourceLocation } from './diagnostics.ts';
import { loadFiles } from './load-files.ts';
import {
  agentMcpReferences,
  applyDiscovery,
  checkMcpReferences,
  discoverServers,
  toolMcpReferences,
  type DiscoverMcpTools,
} from './mcp-discovery.ts';
import { parseResource, type ParsedResource } from './parse-resources.ts';
import { generatedToolName, type JsonValue, type Plan, type PlanMcpServer } from '../contract/plan.ts';
import { buildRegistry, type ResourceRegistry, type ToolTarget } from './registry.ts';
import { resolveReferences } from './resolve-references.ts';
import { checkFallbackModels } from './check-fallbacks.ts';
import { checkAlwaysDenied } from './check-denied.ts';
import { checkExecutionContracts } from './check-contract.ts';
import { checkRequirements } from './check-requirements.ts';
import type { AgentResource, AgentSystemResource, LoadedResources, TaskResource, ToolResource } from './resources.ts';
import { isSupportedKind } from './schemas/envelope.ts';
import type { McpToolDescription, SecretValues } from '../contract/activity-io.ts';
import type { WorkerManifests } from '../contract/activity-io.ts';
import { selectSystem } from './select-system.ts';
import type { ScheduleDefinition } from '../contract/schedules.ts';
import { compileWebhooks } from './compile-webhooks.ts';
import { compileTaskSchedules } from './compile-schedules.ts';
import type { EntryAgentsFor } from './compile-template-runs.ts';
import type { WebhookDefinition } from '../contract/webhooks.ts';

export type { Diagnostic, DiagnosticCode, Severity, SourceLocation } from './diagnostics.ts';
export type * from './resources.ts';
export { canonicalJson } from '../contract/canonical-json.ts';
export { planHash } from './plan-hash.ts';
export type { DiscoverMcpTools } from './mcp-discovery.ts';

export interface CompileOptions {
  /** Files or directories whose resources replace same kind/namespace/name resources (not an error). */
  overrides?: string[];
  /** AgentSystem to build the plan for: `name` or `namespace/name`. */
  system?: string;
  /** Task to build the plan for: its `system` selects the system; its input and max_turns go into the plan. */
  task?: string;
  /** Merged over the Task's input, one level deep. */
  input?: Record<string, JsonValue>;
  /**
   * Compile-time MCP discovery: `tools/list` on one server (the CLI passes a real MCP client;
   * the compiler does no MCP I/O itself). When given, `compile` calls it once per server in
   * the plan and `validate` once per McpServer, in parallel; discovered tools are described
   * in the plan (`mcp.discovered: true`) and references to tools a server does not offer are
   * errors (UNKNOWN_MCP_TOOL); a failing server is an MCP_DISCOVERY_FAILED. Without it,
   * MCP tools are discovered at run time.
   */
  discover?: DiscoverMcpTools;
}

export interface CompileResult {
  /** Null when any diagnostic is an error. */
  plan: Plan | null;
  diagnostics: Diagnostic[];
  /** Secret values from Secret manifests, keyed `namespace/name` then data key: for the worker only. */
  secrets: SecretValues;
  /**
   * Every endpoint the manifests declare (with its secret references) and every Secret's
   * `destinations`: where a worker that loaded them may send their secrets (`manifests` of
   * `createOrchWorker`). No values.
   */
  manifests: WorkerManifests;
  resources: LoadedResources;
  /** Every TaskWebhook, each with the Plan of its Task template; empty when any manifest has an error. */
  webhooks: WebhookDefinition[];
  /** Every TaskSchedule, each with the Plan of its Task template; empty when any manifest has an error. */
  schedules: ScheduleDefinition[];
}

export interface ValidateResult {
  diagnostics: Diagnostic[];
  resources: LoadedResources;
  /** Secret values from Secret manifests, as in {@link CompileResult.secrets}: for a worker only. */
  secrets: SecretValues;
  /** As {@link CompileResult.manifests}. */
  manifests: WorkerManifests;
  /**
   * With `discover`: the tools each McpServer offers after its tool_filter, keyed
   * `namespace/name` (servers whose discovery failed are absent). Empty without `discover`.
   */
  mcpTools: Record<string, McpToolDescription[]>;
  /** As {@link CompileResult.webhooks}: what `orch serve` serves, whatever system would be selected. */
  webhooks: WebhookDefinition[];
  /** As {@link CompileResult.schedules}: what `orch schedules apply` applies. */
  schedules: ScheduleDefinition[];
}

interface Loaded {
  registry: ResourceRegistry;
  diagnostics: Diagnostic[];
  files: string[];
}

async function load(paths: readonly string[], overrides: readonly string[]): Promise<Loaded> {
  const main = await loadFiles(paths, false);
  const over = await loadFiles(overrides, true);
  const diagnostics = [...main.diagnostics, ...over.diagnostics];
  const parsed: ParsedResource[] = [];
  for (const source of [...main.documents, ...over.documents]) {
    const resource = parseResource(source, diagnostics);
    if (resource) parsed.push(resource);
  }
  const registry = buildRegistry(parsed, diagnostics);
  resolveReferences(registry, diagnostics);
  checkConfusableToolNames(registry, diagnostics);
  checkRequirements(registry, diagnostics);
  return { registry, diagnostics, files: [...main.files, ...over.files] };
}

function systems(registry: ResourceRegistry): { system: AgentSystemResource; parsed: ParsedResource }[] {
  return registry
    .all()
    .filter((p): p is ParsedResource & { resource: AgentSystemResource } => p.resource?.kind === 'AgentSystem')
    .map((parsed) => ({ system: parsed.resource, parsed }));
}

/** In `validate`, a cycle is bounded when any Task that targets the system sets max_turns. */
function boundFromTasks(registry: ResourceRegistry, system: AgentSystemResource): CycleBound {
  let maxTurns = 0;
  for (const { resource } of registry.all()) {
    if (resource?.kind !== 'Task' || resource.spec.maxTurns <= 0) continue;
    if (registry.findValid('AgentSystem', resource.spec.system, resource.namespace) === system) maxTurns = Math.max(maxTurns, resource.spec.maxTurns);
  }
  return { maxTurns, context: 'no Task that targets it sets max_turns' };
}

/** What the graph checks need of the system's agents: structured output, and their tools' names. */
function agentLookup(registry: ResourceRegistry, system: AgentSystemResource): GraphAgentLookup {
  return (listed) => {
    const agent = registry.findValid('Agent', listed, system.namespace);
    if (!agent) return undefined;
    const toolNames = agent.spec.tools
      .map((ref) => registry.findTool(ref, agent.namespace))
      .filter((target): target is ToolTarget => target !== undefined)
      .map((target) => (target.kind === 'tool' ? target.name : generatedToolName(target.serverName, target.toolName)));
    return { hasOutputSchema: agent.spec.execution.outputSchema !== null, toolNames };
  };
}

function boundFromTask(task: TaskResource | null): CycleBound {
  return { maxTurns: task?.spec.maxTurns ?? 0, context: task ? `Task ${task.key} sets no max_turns` : 'no Task was selected to bound it' };
}

function collectResources(registry: ResourceRegistry): LoadedResources {
  const out: LoadedResources = {
    agents: [],
    agentSystems: [],
    modelEndpoints: [],
    tools: [],
    mcpServers: [],
    secrets: [],
    tasks: [],
    taskSchedules: [],
    taskWebhooks: [],
    agentPolicies: [],
    agentRoles: [],
    toolPermissions: [],
    memories: [],
    workers: [],
    unsupported: [],
    counts: {},
  };
  for (const { header, resource } of registry.all()) {
    out.counts[header.kind] = (out.counts[header.kind] ?? 0) + 1;
    if (!resource) {
      // Invalid resources of supported kinds only count; unsupported kinds stay listed for references.
      if (!isSupportedKind(header.kind)) out.unsupported.push({ ...header, kind: header.kind, spec: null });
      continue;
    }
    switch (resource.kind) {
      case 'Agent': out.agents.push(resource); break;
      case 'AgentSystem': out.agentSystems.push(resource); break;
      case 'ModelEndpoint': out.modelEndpoints.push(resource); break;
      case 'Tool': out.tools.push(resource); break;
      case 'McpServer': out.mcpServers.push(resource); break;
      case 'Secret': out.secrets.push(resource); break;
      case 'Task': out.tasks.push(resource); break;
      case 'TaskSchedule': out.taskSchedules.push(resource); break;
      case 'TaskWebhook': out.taskWebhooks.push(resource); break;
      case 'AgentPolicy': out.agentPolicies.push(resource); break;
      case 'AgentRole': out.agentRoles.push(resource); break;
      case 'ToolPermission': out.toolPermissions.push(resource); break;
      case 'Memory': out.memories.push(resource); break;
      case 'Worker': out.workers.push(resource); break;
    }
  }
  return out;
}

/** A system's entry agents when it runs `task`: its graph checked apart, under that Task's max_turns. */
function entryAgentsFor(registry: ResourceRegistry): EntryAgentsFor {
  return (system, task) => {
    const problems: Diagnostic[] = [];
    const parsed = registry.find('AgentSystem', system.key, system.namespace);
    if (!parsed) return { entryAgents: [], problems };
    const { entryAgents } = checkGraph(system, parsed.source, boundFromTask(task), agentLookup(registry, system), problems);
    return { entryAgents, problems };
  };
}

/** Compiled TaskWebhooks and TaskSchedules, once the manifests loaded without errors. */
function templateRunsOf(registry: ResourceRegistry, diagnostics: Diagnostic[]): { webhooks: WebhookDefinition[]; schedules: ScheduleDefinition[] } {
  if (hasErrors(diagnostics)) return { webhooks: [], schedules: [] };
  const entryAgents = entryAgentsFor(registry);
  return { webhooks: compileWebhooks(registry, entryAgents, diagnostics), schedules: compileTaskSchedules(registry, entryAgents, diagnostics) };
}

function collectSecrets(registry: ResourceRegistry): SecretValues {
  const secrets: SecretValues = {};
  for (const { header, secretValues } of registry.all()) if (secretValues) secrets[header.key] = { ...secretValues };
  return secrets;
}

/** What a worker that loaded these manifests may send their secrets to: see {@link CompileResult.manifests}. */
function collectManifests(registry: ResourceRegistry): WorkerManifests {
  const manifests: Required<WorkerManifests> = { models: [], tools: [], mcpServers: [], memories: [], secretDestinations: {} };
  for (const { header, resource } of registry.all()) {
    if (resource?.kind === 'ModelEndpoint') manifests.models.push(planModel(registry, resource));
    else if (resource?.kind === 'Tool') manifests.tools.push(planToolFromResource(registry, resource));
    else if (resource?.kind === 'McpServer') manifests.mcpServers.push(planMcpServer(registry, resource));
    else if (resource?.kind === 'Memory' && resource.spec.endpoint && resource.spec.secretRef) manifests.memories.push(planMemory(registry, resource));
    else if (resource?.kind === 'Secret' && resource.spec.destinations.length > 0) manifests.secretDestinations[header.key] = [...resource.spec.destinations];
  }
  return manifests;
}

/** Orders diagnostics by file (in load order), then line and column, so output is stable. */
function sortDiagnostics(diagnostics: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = new Map<string, number>();
  files.forEach((file, index) => { if (!rank.has(file)) rank.set(file, index); });
  const keyOf = (d: Diagnostic) => [rank.get(d.location?.file ?? '') ?? files.length, d.location?.line ?? 0, d.location?.column ?? 0] as const;
  return diagnostics
    .map((d, index) => ({ d, index, key: keyOf(d) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.index - b.index)
    .map(({ d }) => d);
}

function nameLocationOf(registry: ResourceRegistry): (serverKey: string) => SourceLocation | undefined {
  return (serverKey) => registry.find('McpServer', serverKey, '')?.header.nameLocation;
}

/** Discovers every valid McpServer and checks every reference to an MCP tool against what it offers. */
async function discoverAll(registry: ResourceRegistry, discover: DiscoverMcpTools, diagnostics: Diagnostic[]): Promise<Record<string, McpToolDescription[]>> {
  const servers: Record<string, PlanMcpServer> = {};
  const agents: AgentResource[] = [];
  const tools: ToolResource[] = [];
  for (const { resource } of registry.all()) {
    if (resource?.kind === 'McpServer') servers[resource.key] = planMcpServer(registry, resource);
    else if (resource?.kind === 'Agent') agents.push(resource);
    else if (resource?.kind === 'Tool') tools.push(resource);
  }
  const offered = await discoverServers(servers, discover, nameLocationOf(registry), diagnostics);
  checkMcpReferences([...agentMcpReferences(registry, agents), ...toolMcpReferences(registry, tools)], offered, servers, diagnostics);
  return offered;
}

/** Discovers the plan's MCP servers and describes its MCP tools; references are checked for the plan's agents and Tools. */
async function discoverForPlan(registry: ResourceRegistry, plan: Plan, discover: DiscoverMcpTools, diagnostics: Diagnostic[]): Promise<Plan> {
  if (Object.keys(plan.mcpServers).length === 0) return plan;
  const offered = await discoverServers(plan.mcpServers, discover, nameLocationOf(registry), diagnostics);
  const agents = Object.values(plan.agents)
    .map(({ id }) => registry.findValid('Agent', `${id.namespace}/${id.name}`, id.namespace))
    .filter((a): a is AgentResource => a !== undefined);
  const tools = Object.keys(plan.tools)
    .map((key) => registry.findValid('Tool', key, ''))
    .filter((t): t is ToolResource => t !== undefined);
  checkMcpReferences([...agentMcpReferences(registry, unique(agents)), ...toolMcpReferences(registry, tools)], offered, plan.mcpServers, diagnostics);
  return withHash(applyDiscovery(plan, offered));
}

/** Validates every resource and every AgentSystem; needs no system selection. */
export async function validate(
  paths: string[],
  options: Pick<CompileOptions, 'overrides' | 'discover'> = {},
): Promise<ValidateResult> {
  const { registry, diagnostics, files } = await load(paths, options.overrides ?? []);
  const { webhooks, schedules } = templateRunsOf(registry, diagnostics);
  for (const { system, parsed } of systems(registry)) {
    checkGraph(system, parsed.source, boundFromTasks(registry, system), agentLookup(registry, system), diagnostics);
  }
  const mcpTools = options.discover ? await discoverAll(registry, options.discover, diagnostics) : {};
  return {
    diagnostics: sortDiagnostics(diagnostics, files),
    resources: collectResources(registry),
    secrets: collectSecrets(registry),
    manifests: collectManifests(registry),
    mcpTools,
    webhooks,
    schedules,
  };
}

/** Validates everything and compiles the selected AgentSystem into a Plan (null when any error). */
export async function compile(paths: string[], options: CompileOptions = {}): Promise<CompileResult> {
  const { registry, diagnostics, files } = await load(paths, options.overrides ?? []);
  const { webhooks, schedules } = templateRunsOf(registry, diagnostics);
  const fallback: SourceLocation = { file: paths[0] ?? '.', line: 1, column: 1 };
  const selection = selectSystem(registry, { system: options.system, task: options.task }, fallback, diagnostics);
  let entryAgents: string[] = [];
  for (const { system, parsed } of systems(registry)) {
    const selected = selection?.system === system;
    const bound = selected ? boundFromTask(selection.task) : boundFromTasks(registry, system);
    const summary = checkGraph(system, parsed.source, bound, agentLookup(registry, system), diagnostics);
    if (selected) entryAgents = summary.entryAgents;
  }
  let plan =
    selection && !hasErrors(diagnostics)
      ? buildPlan({ registry, system: selection.system, task: selection.task, entryAgents, input: options.input })
      : null;
  if (plan) {
    checkFallbackModels(plan, registry, diagnostics);
    checkAlwaysDenied(plan, registry, diagnostics);
    checkExecutionContracts(plan, registry, diagnostics);
    if (hasErrors(diagnostics)) plan = null;
  }
  if (plan && options.discover) {
    plan = await discoverForPlan(registry, plan, options.discover, diagnostics);
    if (hasErrors(diagnostics)) plan = null;
  }
  return {
    plan,
    diagnostics: sortDiagnostics(diagnostics, files),
    secrets: collectSecrets(registry),
    manifests: collectManifests(registry),
    resources: collectResources(registry),
    webhooks,
    schedules,
  };
}

export interface CompileSchedulesResult {
  /** One per TaskSchedule, in load order; null when any diagnostic is an error (apply all or none). */
  schedules: ScheduleDefinition[] | null;
  diagnostics: Diagnostic[];
  /** As {@link CompileResult.secrets}: for the worker that runs the scheduled plans. */
  secrets: SecretValues;
  manifests: WorkerManifests;
  resources: LoadedResources;
}

/**
 * Validates everything and compiles every TaskSchedule, as `validate` does: each with the Plan
 * of the Task template it names (that Task's system, input and max_turns). Schedules may run
 * several systems from one set of manifests, so no system is selected.
 */
export async function compileSchedules(paths: string[], options: Pick<CompileOptions, 'overrides'> = {}): Promise<CompileSchedulesResult> {
  const { diagnostics, schedules, secrets, manifests, resources } = await validate(paths, options);
  return { schedules: hasErrors(diagnostics) ? null : schedules, diagnostics, secrets, manifests, resources };
}
