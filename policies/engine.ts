/**
 * The policy engine: Orloj's governance semantics as pure functions of a Plan. It decides
 * whether one agent may make one model call or one tool call, and says which policy and
 * which rule decided, in words fit for an audit record. Deterministic: no I/O, no clocks,
 * no randomness; the same plan and request always give the same decision, so it runs
 * inside the workflow (before scheduling) and again on the worker.
 *
 * Order, as Orloj evaluates it:
 * 1. AgentPolicy (`controllers/task_controller.go`): every applicable policy's
 *    `allowed_models` (model calls) or `blocked_tools` (tool calls). orch checks these per
 *    call, where Orloj refuses the whole agent up front.
 * 2. Tool authorization (`runtime/tool_authorizer.go`, `AgentToolAuthorizer.Authorize`):
 *    the agent's `allowed_tools` (bypasses roles, never an AgentPolicy), unknown roles,
 *    ToolPermissions (or default permissions when the agent has roles and none applies),
 *    their `operation_rules`, and the most restrictive verdict. A ToolPermission governs the
 *    tool its `tool_ref` names and every tool that is the same tool by identity (an alias Tool
 *    for the same MCP server tool or HTTP endpoint), see `toolPermissionsFor`.
 */
import type { MemoryToolName, Plan, PlanAgent, PlanMcpServer, PlanPolicy, PlanTool, PlanToolPermission } from '../contract/plan.ts';
import { dedupePermissions, defaultRequiredPermissions, grantedPermissions, matchPermissions } from './permissions.ts';
import {
  compareToolNames,
  delegateFacts,
  generatedEntryTool,
  mcpToolIdentities,
  sameToolGroup,
  splitResourceKey,
  toolFacts,
  toolNameKey,
  type ToolFacts,
  type ToolNameKey,
} from './tool-identity.ts';
import type { Codes } from '../contract/failures.ts';

export type PolicyVerdict = 'allow' | 'deny' | 'approval_required';

export interface PolicyDecision {
  verdict: PolicyVerdict;
  /** The resource that decided: `AgentPolicy ns/name`, `ToolPermission ns/name`, `Agent ns/name`; null when nothing did (allowed by default, or the request itself is invalid). */
  policy: string | null;
  /** The field or rule of that resource: `blocked_tools`, `allowed_models`, `required_permissions`, `operation_rules[i]`, `allowed_tools`, `roles`, `default_permissions`. */
  rule: string | null;
  /** One sentence for the audit record. */
  reason: string;
  code: Codes<'POLICY_DENIED' | 'APPROVAL_REQUIRED'> | null;
  /** Normalized permissions the agent lacks (for match_mode `any`: every candidate, none being held). */
  missingPermissions?: string[];
  /** Roles the agent names that the plan does not define. */
  missingRoles?: string[];
  /** The tool's operation class the deciding `operation_rules` entry matched. */
  operationClass?: string;
  /**
   * For a `blocked_tools` denial: the entry, and how it matched the tool: by one of the tool's
   * names (normalized), by identity (`identity` says which: same MCP server and tool, same
   * endpoint), or by a name that only looks like the entry (`name` says which).
   */
  blockedBy?: { entry: string; match: 'name' | 'identity' | 'confusable'; identity?: string; name?: string };
  /**
   * When the deciding ToolPermission was written for another tool that is the same tool as
   * the one called (an alias): the tool its `tool_ref` names, and the identity they share.
   */
  sameToolAs?: { toolRef: string; identity: string };
}

export interface ToolCallRequest {
  /** The agent's name as the plan keys it (as its system lists it). */
  agent: string;
  /** Key into `Plan.tools` (`namespace/name`). */
  toolKey: string;
  /**
   * For an MCP tool discovered at run time: the name its server gave it, when the workflow
   * knows it (`ToolCatalog.describe`). Matched as well as the plan's spelling.
   */
  mcpToolName?: string | null;
}

export interface DelegateCallRequest {
  /** The supervisor, as the plan keys it. */
  agent: string;
  /** The delegate, as the plan keys it. */
  delegate: string;
}

export interface ModelCallRequest {
  agent: string;
  /** Key into `Plan.models` (`namespace/name`). */
  modelKey: string;
}

const RANK: Record<PolicyVerdict, number> = { allow: 0, approval_required: 1, deny: 2 };

/** Case-insensitive, trimmed equality (Orloj's `containsFold`/`EqualFold`). */
function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Does a target name `ns/name` or bare `name`? */
function namesResource(target: string, namespace: string, name: string): boolean {
  return sameName(target, name) || sameName(target, `${namespace}/${name}`);
}

function label(kind: string, id: { namespace: string; name: string }): string {
  return `${kind} ${id.namespace}/${id.name}`;
}

function allow(policy: string | null, rule: string | null, reason: string): PolicyDecision {
  return { verdict: 'allow', policy, rule, reason, code: null };
}

function deny(policy: string | null, rule: string | null, reason: string, extra: Partial<PolicyDecision> = {}): PolicyDecision {
  return { verdict: 'deny', policy, rule, reason, code: 'POLICY_DENIED', ...extra };
}

/** The names an agent goes by: the name its system lists it under and its manifest name. */
function agentNames(plan: Plan, agent: string): { namespace: string; names: string[] } {
  const planAgent = plan.agents[agent];
  if (!planAgent) return { namespace: plan.system.namespace, names: [agent] };
  return { namespace: planAgent.id.namespace, names: [agent, planAgent.id.name] };
}

/**
 * AgentPolicies that govern `agent`: `global` ones, and `scoped` ones naming the plan's
 * system, its task or the agent (case-insensitive, bare or `ns/name`). A scoped policy with
 * no targets governs nothing.
 */
export function applicablePolicies(plan: Plan, agent: string): PlanPolicy[] {
  const { namespace: agentNamespace, names } = agentNames(plan, agent);
  return plan.governance.policies.filter((policy) => {
    if (policy.applyMode === 'global') return true;
    const targetsSystem = policy.targetSystems.some((s) => namesResource(s, plan.system.namespace, plan.system.name));
    const task = plan.task;
    const targetsTask = task !== null && policy.targetTasks.some((t) => namesResource(t, task.namespace, task.name));
    const targetsAgent = policy.targetAgents.some((a) => names.some((n) => namesResource(a, agentNamespace, n)));
    return targetsSystem || targetsTask || targetsAgent;
  });
}

/** May `agent` call the model endpoint `modelKey`? Every applicable policy with `allowed_models` must list its `default_model`. */
export function evaluateModelCall(plan: Plan, request: ModelCallRequest): PolicyDecision {
  const { agent, modelKey } = request;
  const model = plan.models[modelKey];
  if (!model) return deny(null, null, `model endpoint ${modelKey} is not in the plan`);
  if (!plan.agents[agent]) return deny(null, null, `agent ${agent} is not in the plan`);
  let admittedBy: PlanPolicy | null = null;
  for (const policy of applicablePolicies(plan, agent)) {
    if (policy.allowedModels.length === 0) continue;
    if (!policy.allowedModels.some((m) => sameName(m, model.model))) {
      return deny(
        label('AgentPolicy', policy.id),
        'allowed_models',
        `AgentPolicy ${policy.id.namespace}/${policy.id.name} does not allow model ${model.model} (endpoint ${modelKey}) for agent ${agent}; allowed: ${policy.allowedModels.join(', ')}`
      );
    }
    admittedBy ??= policy;
  }
  if (admittedBy) {
    return allow(label('AgentPolicy', admittedBy.id), 'allowed_models', `model ${model.model} is allowed for agent ${agent}`);
  }
  return allow(null, null, `no policy restricts the models of agent ${agent}`);
}

/** Is this ToolPermission about this tool? `tool_ref` (the compiler resolves it to the tool's key) against key, name and resource name, case-insensitive. */
function refersToTool(ref: string, toolKey: string, tool: PlanTool): boolean {
  return sameName(ref, toolKey) || sameName(ref, tool.name) || sameName(ref, tool.id.name);
}

function permissionAppliesToAgent(permission: PlanToolPermission, names: readonly string[]): boolean {
  if (permission.applyMode === 'global') return true;
  return permission.targetAgents.some((target) => names.some((n) => sameName(target, n)));
}

/**
 * Operation rules against the tool's operation classes: for each class, the rule naming it
 * exactly, else the `*` rule, else allow; the most restrictive class wins. Returns the rule
 * index that decided (null when no rule matched a class).
 */
function operationVerdict(
  rules: PlanToolPermission['operationRules'],
  operationClasses: readonly string[]
): { verdict: PolicyVerdict; index: number | null; operationClass: string | null } {
  let result: { verdict: PolicyVerdict; index: number | null; operationClass: string | null } = { verdict: 'allow', index: null, operationClass: null };
  for (const raw of operationClasses) {
    const operationClass = raw.trim().toLowerCase();
    let index = rules.findIndex((r) => r.operationClass.trim().toLowerCase() === operationClass);
    if (index < 0) index = rules.findIndex((r) => r.operationClass.trim() === '*');
    if (index < 0) continue;
    const verdict = rules[index]!.verdict;
    if (RANK[verdict] > RANK[result.verdict] || (result.index === null && verdict === 'allow')) {
      result = { verdict, index, operationClass };
    }
  }
  return result;
}

/** May `agent` call the tool `toolKey`? */
export function evaluateToolCall(plan: Plan, request: ToolCallRequest): PolicyDecision {
  const { agent, toolKey } = request;
  const tool = plan.tools[toolKey];
  const planAgent = plan.agents[agent];
  if (!tool || !planAgent || !planAgent.tools.includes(toolKey)) {
    return deny(null, null, `tool ${toolKey} is not offered to agent ${agent}`);
  }

  // 1. AgentPolicy blocked_tools: by what the tool is, under any of its names.
  const facts = toolCallFacts(plan, toolKey, tool, request.mcpToolName ?? null);
  const known = knownPlanTools(plan);
  const blocked = blockedToolDecision(plan, agent, tool.name, facts, known);
  if (blocked) return blocked;

  return authorizeTool(plan, agent, planAgent, toolKey, tool, facts, known);
}

/** A tool of the plan with its facts and its names prepared for comparison. */
interface KnownPlanTool {
  key: string;
  tool: PlanTool;
  facts: ToolFacts;
  names: ToolNameKey[];
}

/**
 * Facts of plan tools, by tool object: folding names and normalizing endpoints is the costly
 * part of a call's evaluation, and a plan's tools do not change while it runs. An entry is
 * used only for the same key and the same server object, so it is what toolFacts would
 * return; a WeakMap holds no tool alive and its contents never change a decision.
 */
const planToolCache = new WeakMap<PlanTool, { server: PlanMcpServer | undefined; known: KnownPlanTool }>();

function knownPlanTool(plan: Plan, key: string, tool: PlanTool): KnownPlanTool {
  const server = tool.mcp ? plan.mcpServers[tool.mcp.server] : undefined;
  const cached = planToolCache.get(tool);
  if (cached && cached.known.key === key && cached.server === server) return cached.known;
  const facts = toolFacts(key, tool, server);
  const known = { key, tool, facts, names: facts.names.map(toolNameKey) };
  planToolCache.set(tool, { server, known });
  return known;
}

/** Every tool of the plan, with its facts (computed once per tool, see planToolCache). */
function knownPlanTools(plan: Plan): KnownPlanTool[] {
  return Object.entries(plan.tools).map(([key, tool]) => knownPlanTool(plan, key, tool));
}

/**
 * The facts of a tool call: the tool as the plan declares it, on the plan's MCP server, and
 * under the server-side name discovery found when that differs.
 */
function toolCallFacts(plan: Plan, toolKey: string, tool: PlanTool, mcpToolName: string | null): ToolFacts {
  const { facts } = knownPlanTool(plan, toolKey, tool);
  if (!tool.mcp || mcpToolName === null || mcpToolName === tool.mcp.tool) return facts;
  const discovered = toolFacts(toolKey, { ...tool, mcp: { ...tool.mcp, tool: mcpToolName } }, plan.mcpServers[tool.mcp.server]);
  return { kind: facts.kind, names: [...new Set([...facts.names, ...discovered.names])], identities: [...new Set([...facts.identities, ...discovered.identities])] };
}

/**
 * What a policy's `blocked_tools` entries name by identity, each identity with the entry that
 * named it: what the compiler resolved over every resource it loaded, plus the plan's own
 * tools whose names match an entry (same or confusable) and the tools an entry names as
 * `<server>--<tool>` on one of the plan's MCP servers. Computed per call from the plan
 * tools' cached facts (see planToolCache).
 */
function blockedIdentities(plan: Plan, policy: PlanPolicy, entries: readonly ToolNameKey[], known: readonly KnownPlanTool[]): Map<string, string> {
  const out = new Map<string, string>();
  const add = (identities: readonly string[], entry: string) => {
    for (const identity of identities) if (!out.has(identity)) out.set(identity, entry);
  };
  for (const { entry, identities } of policy.blockedToolIdentities ?? []) add(identities, entry);
  for (const { facts, names } of known) {
    const entry = entries.find((e) => names.some((n) => compareToolNames(n, e) !== 'different'));
    if (entry) add(facts.identities, entry.name);
  }
  for (const [key, server] of Object.entries(plan.mcpServers)) {
    for (const entry of policy.blockedTools) {
      const tool = generatedEntryTool(entry, server.id);
      if (tool !== null) add(mcpToolIdentities(key, server, tool), entry);
    }
  }
  return out;
}

/**
 * How a policy's `blocked_tools` matches a tool: by one of its names, by a name that only looks
 * like an entry (fail closed: a look-alike arriving at run time, from discovery or a plan the
 * compiler did not build, is refused), then by identity; null when it does not.
 */
function blockedMatch(
  plan: Plan,
  policy: PlanPolicy,
  facts: ToolFacts,
  names: readonly ToolNameKey[],
  known: readonly KnownPlanTool[]
): NonNullable<PolicyDecision['blockedBy']> | null {
  if (policy.blockedTools.length === 0) return null;
  const entries = policy.blockedTools.map(toolNameKey);
  for (const entry of entries) {
    if (names.some((n) => compareToolNames(n, entry) === 'same')) return { entry: entry.name, match: 'name' };
  }
  for (const entry of entries) {
    const name = names.find((n) => compareToolNames(n, entry) === 'confusable');
    if (name) return { entry: entry.name, match: 'confusable', name: name.name };
  }
  const blocked = blockedIdentities(plan, policy, entries, known);
  for (const identity of facts.identities) {
    const entry = blocked.get(identity);
    if (entry !== undefined) return { entry, match: 'identity', identity };
  }
  return null;
}

/** The first applicable AgentPolicy whose `blocked_tools` matches the tool, as a denial; null when none does. */
function blockedToolDecision(plan: Plan, agent: string, shownName: string, facts: ToolFacts, known: readonly KnownPlanTool[]): PolicyDecision | null {
  const names = facts.names.map(toolNameKey);
  for (const policy of applicablePolicies(plan, agent)) {
    const match = blockedMatch(plan, policy, facts, names, known);
    if (!match) continue;
    const policyName = `AgentPolicy ${policy.id.namespace}/${policy.id.name}`;
    const how =
      match.match === 'name'
        ? ` (blocked_tools entry "${match.entry}")`
        : match.match === 'identity'
          ? ` (blocked_tools entry "${match.entry}" names the same tool: ${match.identity})`
          : ` (its name "${match.name}" looks like blocked_tools entry "${match.entry}")`;
    return deny(label('AgentPolicy', policy.id), 'blocked_tools', `${policyName} blocks tool ${shownName}${how} for agent ${agent}`, { blockedBy: match });
  }
  return null;
}

/**
 * May `agent` hand work to its delegate `delegate`? A delegation is a tool too
 * (`delegate--<agent>`): an AgentPolicy's `blocked_tools` can name it, by that name or one that
 * looks like it. Roles and ToolPermissions do not govern delegation (Orloj has none for it).
 */
export function evaluateDelegateCall(plan: Plan, request: DelegateCallRequest): PolicyDecision {
  const { agent, delegate } = request;
  const target = plan.agents[delegate];
  if (!plan.agents[agent] || !target || !(plan.graph[agent]?.delegates ?? []).includes(delegate)) {
    return deny(null, null, `agent ${agent} has no delegate ${delegate}`);
  }
  const facts = delegateFacts(delegate, target.id);
  const blocked = blockedToolDecision(plan, agent, facts.names[0]!, facts, knownPlanTools(plan));
  return blocked ?? allow(null, null, `agent ${agent} may delegate to ${delegate}`);
}

export interface MemoryCallRequest {
  agent: string;
  /** A built-in memory tool (`memory.write`, …). */
  tool: string;
}

/**
 * The built-in memory tool `name` of the Memory `memory` as a tool, for the rules that govern
 * tools: named as the model calls it; operation class `read` (read, search, list) or `write`
 * (write, ingest), so ToolPermission `operation_rules` can treat the two apart.
 */
function memoryTool(memory: { namespace: string; name: string }, name: MemoryToolName): { tool: PlanTool; facts: ToolFacts } {
  const writes = name === 'memory.write' || name === 'memory.ingest';
  const tool: PlanTool = {
    id: memory,
    name,
    type: 'http',
    endpoint: null,
    description: '',
    inputSchema: null,
    capabilities: [],
    operationClasses: [writes ? 'write' : 'read'],
    riskLevel: writes ? 'medium' : 'low',
    timeoutMs: 0,
    retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0, jitter: 'none' },
    auth: null,
    mcp: null,
  };
  const facts: ToolFacts = { kind: 'builtin', names: [name, `${memory.namespace}/${name}`], identities: [`memory ${memory.namespace}/${memory.name} ${name}`] };
  return { tool, facts };
}

/**
 * May `agent` call the built-in memory tool `tool`? Only one its `spec.memory.allow` grants;
 * then, as for any tool (Orloj adds them to the agent's tools): `blocked_tools`, `allowed_tools`,
 * roles and ToolPermissions, by the tool's name.
 */
export function evaluateMemoryCall(plan: Plan, request: MemoryCallRequest): PolicyDecision {
  const { agent } = request;
  const planAgent = plan.agents[agent];
  const grant = planAgent?.memory;
  const memory = grant ? plan.memories?.[grant.memory] : undefined;
  const name = grant?.tools.find((tool) => tool === request.tool);
  if (!planAgent || !grant || !memory || !name) return deny(null, null, `memory tool ${request.tool} is not granted to agent ${agent}`);
  const { tool, facts } = memoryTool(memory.id, name);
  const known = knownPlanTools(plan);
  return blockedToolDecision(plan, agent, name, facts, known) ?? authorizeTool(plan, agent, planAgent, name, tool, facts, known);
}

/** A ToolPermission that governs the called tool, and how: through its own name (`sameToolAs` null), or as the same tool as the one it names. */
interface GoverningPermission {
  permission: PlanToolPermission;
  sameToolAs: { toolRef: string; identity: string } | null;
}

/** Does an `allowed_tools` entry name the tool a ToolPermission was written for (its resolved `tool_ref`), bare or `ns/name`, case-insensitive? */
function namesPermissionTarget(entry: string, toolRef: string): boolean {
  if (sameName(entry, toolRef)) return true;
  const ref = splitResourceKey(toolRef.trim());
  const listed = splitResourceKey(entry.trim());
  return (listed.namespace === null && sameName(listed.name, ref.name)) || (ref.namespace === null && sameName(listed.name, ref.name));
}

/**
 * The ToolPermissions that govern the call of `toolKey` by `agent`, and the operation classes
 * their rules read. A permission governs the tool its `tool_ref` names and every tool that is
 * the same tool: one sharing an identity with it, as the compiler resolved over every Tool it
 * loaded (`toolIdentities`), or as the plan's own tools show (a tool of the plan that the
 * permission names, and every plan tool that shares an identity, transitively, with the called
 * one). The operation classes are those of every Tool of that identity, so an alias that
 * declares `read` for a tool another Tool declares `write` is judged as a write.
 *
 * The worker re-checks with a plan holding only the called tool; for a compiled plan it gets
 * the same permissions and classes, because the compiler's identities cover every Tool it
 * loaded and so every tool of the plan.
 */
function toolPermissionsFor(
  plan: Plan,
  agentNames: readonly string[],
  toolKey: string,
  tool: PlanTool,
  facts: ToolFacts,
  planTools: readonly KnownPlanTool[]
): { permissions: GoverningPermission[]; operationClasses: string[] } {
  const others = planTools.filter(({ key }) => key !== toolKey);
  const group = sameToolGroup(facts.identities, others, (other) => other.facts.identities);
  const operationClasses = new Set([...tool.operationClasses, ...group.members.flatMap((other) => other.tool.operationClasses)]);
  const permissions: GoverningPermission[] = [];
  for (const permission of plan.governance.toolPermissions) {
    if (!permissionAppliesToAgent(permission, agentNames)) continue;
    let sameToolAs: GoverningPermission['sameToolAs'] = null;
    if (!refersToTool(permission.toolRef, toolKey, tool)) {
      const covered = new Set(permission.toolIdentities ?? []);
      for (const other of group.members) if (refersToTool(permission.toolRef, other.key, other.tool)) for (const identity of other.facts.identities) covered.add(identity);
      if (covered.size === 0) continue;
      const shared = facts.identities.find((identity) => covered.has(identity)) ?? (group.identities.some((identity) => covered.has(identity)) ? facts.identities[0] : undefined);
      if (shared === undefined) continue;
      sameToolAs = { toolRef: permission.toolRef, identity: shared };
    }
    permissions.push({ permission, sameToolAs });
    for (const operationClass of permission.identityOperationClasses ?? []) operationClasses.add(operationClass);
  }
  return { permissions, operationClasses: [...operationClasses] };
}

/** Orloj's `AgentToolAuthorizer.Authorize`: allowed_tools, roles, ToolPermissions, operation rules. */
function authorizeTool(plan: Plan, agent: string, planAgent: PlanAgent, toolKey: string, tool: PlanTool, facts: ToolFacts, known: readonly KnownPlanTool[]): PolicyDecision {
  const agentLabel = label('Agent', planAgent.id);
  const names = [agent, planAgent.id.name];
  const governing = toolPermissionsFor(plan, names, toolKey, tool, facts, known);
  let permissions = governing.permissions;

  // 2. allowed_tools: pre-authorized, whatever the roles say (an AgentPolicy has already had its say).
  //    It lifts the ToolPermissions written for the tools it names, and only those: matching is
  //    by name, never by identity (it grants, and identity would widen the grant), and a
  //    ToolPermission that governs this tool because it is the same tool as the one the
  //    permission names (an alias) still decides unless allowed_tools names that tool too. So
  //    listing an alias in allowed_tools never lifts a deny, an approval or a required
  //    permission written for the original: the restriction wins.
  let notLifted = '';
  if (planAgent.allowedTools.some((ref) => refersToTool(ref, toolKey, tool))) {
    permissions = permissions.filter(
      ({ sameToolAs }) => sameToolAs !== null && !planAgent.allowedTools.some((ref) => namesPermissionTarget(ref, sameToolAs.toolRef))
    );
    if (permissions.length === 0) return allow(agentLabel, 'allowed_tools', `tool ${tool.name} is in the allowed_tools of agent ${agent}`);
    notLifted = `; allowed_tools does not lift a ToolPermission written for another name of the same tool (${[...new Set(permissions.map((p) => p.sameToolAs!.toolRef))].join(', ')})`;
  }

  // 3. Every role the agent names must exist.
  const missingRoles = planAgent.roles.filter((role) => !(role in plan.governance.roles)).sort();
  if (missingRoles.length > 0) {
    return deny(agentLabel, 'roles', `agent ${agent} names roles the plan does not define (${missingRoles.join(', ')}), so it may call no tool outside allowed_tools${notLifted}`, {
      missingRoles,
    });
  }
  const granted = grantedPermissions(planAgent.roles.map((role) => plan.governance.roles[role]!.permissions));
  const roleList = planAgent.roles.length > 0 ? planAgent.roles.join(', ') : 'none';

  // 4. ToolPermissions for this tool (by name or as the same tool) that apply to this agent.
  if (permissions.length === 0) {
    if (planAgent.roles.length === 0) {
      return allow(null, null, `agent ${agent} has no roles and no ToolPermission covers tool ${tool.name}: RBAC does not apply`);
    }
    const required = defaultRequiredPermissions(tool.name, tool.capabilities, 'invoke');
    const { ok, missing } = matchPermissions(granted, required, 'all');
    if (!ok) {
      return deny(
        agentLabel,
        'default_permissions',
        `no ToolPermission covers tool ${tool.name}, so agent ${agent} (roles ${roleList}) needs all of ${required.join(', ')}; missing ${missing.join(', ')}`,
        { missingPermissions: missing }
      );
    }
    return allow(agentLabel, 'default_permissions', `agent ${agent} holds the default permissions for tool ${tool.name} (${required.join(', ')})`);
  }

  // 5. Each ToolPermission: required permissions (a failure denies at once), then operation rules.
  const via = (sameToolAs: GoverningPermission['sameToolAs']) => (sameToolAs ? ` (written for ${sameToolAs.toolRef}, the same tool: ${sameToolAs.identity})` : '');
  const extra = (sameToolAs: GoverningPermission['sameToolAs']) => (sameToolAs ? { sameToolAs } : {});
  let aggregate: { verdict: PolicyVerdict; permission: PlanToolPermission; sameToolAs: GoverningPermission['sameToolAs']; index: number; operationClass: string } | null = null;
  for (const { permission, sameToolAs } of permissions) {
    const permissionLabel = `ToolPermission ${permission.id.namespace}/${permission.id.name}`;
    let required = dedupePermissions(permission.requiredPermissions);
    let defaulted = false;
    if (required.length === 0 && permission.operationRules.length === 0) {
      // Written for another spelling of the tool: its defaults are those of the tool it names.
      required = defaultRequiredPermissions(sameToolAs ? splitResourceKey(sameToolAs.toolRef.trim()).name : tool.name, tool.capabilities, permission.action);
      defaulted = true;
    }
    if (required.length > 0) {
      const { ok, missing } = matchPermissions(granted, required, permission.matchMode);
      if (!ok) {
        const wanted = permission.matchMode === 'any' ? 'one of' : 'all of';
        return deny(
          permissionLabel,
          'required_permissions',
          `${permissionLabel}${via(sameToolAs)} requires ${wanted} ${required.join(', ')}${defaulted ? ' (defaults)' : ''} for tool ${tool.name}; agent ${agent} (roles ${roleList}) lacks ${missing.join(', ')}${notLifted}`,
          { missingPermissions: missing, ...extra(sameToolAs) }
        );
      }
    }
    if (permission.operationRules.length > 0) {
      const { verdict, index, operationClass } = operationVerdict(permission.operationRules, governing.operationClasses);
      if (index !== null && (aggregate === null || RANK[verdict] > RANK[aggregate.verdict])) {
        aggregate = { verdict, permission, sameToolAs, index, operationClass: operationClass! };
      }
    }
  }

  // 6. The most restrictive operation verdict decides.
  const first = permissions[0]!;
  const checked = permissions.map(({ permission: p }) => `${p.id.namespace}/${p.id.name}`).join(', ');
  if (aggregate === null) {
    return allow(
      `ToolPermission ${first.permission.id.namespace}/${first.permission.id.name}`,
      null,
      `agent ${agent} satisfies every ToolPermission for tool ${tool.name} (${checked})`
    );
  }
  const { verdict, permission, sameToolAs, index, operationClass } = aggregate;
  const permissionLabel = `ToolPermission ${permission.id.namespace}/${permission.id.name}`;
  const rule = `operation_rules[${index}]`;
  const said = `${permissionLabel}${via(sameToolAs)} ${rule} (operation_class ${permission.operationRules[index]!.operationClass}) gives ${verdict} for the ${operationClass} operation of tool ${tool.name}`;
  if (verdict === 'deny') return deny(permissionLabel, rule, `${said}; agent ${agent} may not call it${notLifted}`, { operationClass, ...extra(sameToolAs) });
  if (verdict === 'approval_required') {
    return {
      verdict,
      policy: permissionLabel,
      rule,
      reason: `${said}; agent ${agent} needs a human approval to call it${notLifted}`,
      code: 'APPROVAL_REQUIRED',
      operationClass,
      ...extra(sameToolAs),
    };
  }
  return { ...allow(permissionLabel, rule, `${said}; agent ${agent} holds the required permissions`), operationClass, ...extra(sameToolAs) };
}
