/**
 * The governance part of a plan: the AgentPolicies and ToolPermissions of the system's
 * namespace that can apply to this run, and the roles its agents hold. The policy gate
 * re-checks applicability per agent at run time.
 *
 * Also where `blocked_tools` entries and ToolPermissions' `tool_ref`s are resolved to what
 * they name by identity (over every Tool and McpServer loaded, not only the plan's), and where
 * tool names that only look like a blocked one are refused (CONFUSABLE_TOOL_NAME).
 */
import {
  compareToolNames,
  generatedEntryTool,
  hasLookAlikes,
  lookAlikeCodePoints,
  mcpToolIdentities,
  sameToolGroup,
  splitResourceKey,
  toolFacts,
  toolNameKey,
  type McpServerShape,
  type ToolFacts,
  type ToolNameKey,
} from '../policies/tool-identity.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import { generatedToolName, type PlanGovernance, type PlanPolicy, type PlanToolPermission } from '../contract/plan.ts';
import { toolTargetKey, type ResourceRegistry, type ToolTarget } from './registry.ts';
import type { AgentSystemResource, McpServerResource, TaskResource, ToolResource } from './resources.ts';
import { valueLocation, type ManifestPath } from './source-map.ts';

export interface GovernanceRequest {
  registry: ResourceRegistry;
  system: AgentSystemResource;
  task: TaskResource | null;
  /** Agent names as the system lists them and as their manifests name them. */
  agentNames: readonly string[];
  /** Keys of the tools the plan offers. */
  toolKeys: readonly string[];
  roles: PlanGovernance['roles'];
}

/** Collects the plan's governance; only called for a plan whose references all resolved. */
export function buildGovernance(request: GovernanceRequest): PlanGovernance {
  const { registry, system, task } = request;
  return {
    policies: policiesFor(registry, system, task, new Set(request.agentNames)),
    roles: request.roles,
    toolPermissions: toolPermissionsFor(registry, system, new Set(request.toolKeys)),
  };
}

/** Policies of the system's namespace that can apply to this run (the gate re-checks per agent). */
function policiesFor(registry: ResourceRegistry, system: AgentSystemResource, task: TaskResource | null, agentNames: Set<string>): PlanPolicy[] {
  const folded = (values: Iterable<string>) => new Set([...values].map((v) => v.toLowerCase()));
  const systemNames = folded([system.name, system.key]);
  const taskNames = task ? folded([task.name, task.key]) : new Set<string>();
  const agentsFolded = folded(agentNames);
  const out: PlanPolicy[] = [];
  for (const { resource } of registry.all()) {
    if (resource?.kind !== 'AgentPolicy' || resource.namespace !== system.namespace) continue;
    const spec = resource.spec;
    const applies =
      spec.applyMode === 'global' ||
      spec.targetSystems.some((s) => systemNames.has(s.toLowerCase())) ||
      spec.targetTasks.some((t) => taskNames.has(t.toLowerCase())) ||
      spec.targetAgents.some((a) => agentsFolded.has(a.toLowerCase()));
    if (!applies) continue;
    // The normalized spec is the plan's policy minus its id.
    const blockedToolIdentities = spec.blockedTools
      .map((entry) => ({ entry, identities: identitiesNamedBy(registry, entry) }))
      .filter(({ identities }) => identities.length > 0);
    out.push({ id: { namespace: resource.namespace, name: resource.name }, ...spec, ...(blockedToolIdentities.length > 0 ? { blockedToolIdentities } : {}) });
  }
  return out;
}

/** A tool the compiler knows of, for identity: its plan key, its facts and the operation classes it declares. */
interface KnownTool {
  key: string;
  facts: ToolFacts;
  operationClasses: readonly string[];
}

/**
 * ToolPermissions of the system's namespace for tools this plan offers, by name or by
 * identity: a permission whose `tool_ref` names a tool that is the same tool as one the plan
 * offers (an alias Tool for the same MCP server tool or HTTP endpoint) is kept, and carries
 * the identities and operation classes of that tool (see PlanToolPermission), so the engine,
 * in the workflow and on the worker, applies it to every spelling of the tool.
 */
function toolPermissionsFor(registry: ResourceRegistry, system: AgentSystemResource, toolKeys: Set<string>): PlanToolPermission[] {
  const out: PlanToolPermission[] = [];
  let known: KnownTool[] | null = null;
  for (const { resource } of registry.all()) {
    if (resource?.kind !== 'ToolPermission' || resource.namespace !== system.namespace) continue;
    const target = registry.findTool(resource.spec.toolRef, resource.namespace);
    if (!target) continue;
    const toolKey = toolTargetKey(target);
    known ??= knownTools(registry, system, toolKeys);
    const own = knownTool(registry, target);
    const group = own ? sameToolGroup(own.facts.identities, known, (tool) => tool.facts.identities) : { members: [], identities: [] };
    const others = group.members.filter((tool) => tool.key !== toolKey);
    if (!toolKeys.has(toolKey) && !others.some((tool) => toolKeys.has(tool.key))) continue;
    // The normalized spec is the plan's permission minus its id, with `tool_ref` resolved to the tool's key.
    const { toolRefDefaulted: _defaulted, ...spec } = resource.spec;
    const permission: PlanToolPermission = { id: { namespace: resource.namespace, name: resource.name }, ...spec, toolRef: toolKey };
    if (own && others.length > 0) {
      permission.toolIdentities = group.identities;
      permission.identityOperationClasses = [...new Set([...own.operationClasses, ...others.flatMap((tool) => tool.operationClasses)])];
    }
    out.push(permission);
  }
  return out;
}

/** Every Tool loaded, in load order, then the plan's MCP-generated tools (`<server>--<tool>`, which no Tool declares). */
function knownTools(registry: ResourceRegistry, system: AgentSystemResource, toolKeys: ReadonlySet<string>): KnownTool[] {
  const out: KnownTool[] = [];
  for (const { resource } of registry.all()) {
    if (resource?.kind === 'Tool') out.push({ key: resource.key, facts: resourceToolFacts(registry, resource), operationClasses: resource.spec.operationClasses });
  }
  for (const key of toolKeys) {
    const target = registry.findTool(key, system.namespace);
    const tool = target?.kind === 'mcp' ? knownTool(registry, target) : null;
    if (tool && !out.some((other) => other.key === tool.key)) out.push(tool);
  }
  return out;
}

/** What a resolved tool reference is; null for a Tool resource that did not validate. */
function knownTool(registry: ResourceRegistry, target: ToolTarget): KnownTool | null {
  const key = toolTargetKey(target);
  if (target.kind === 'tool') {
    return target.tool ? { key, facts: resourceToolFacts(registry, target.tool), operationClasses: target.tool.spec.operationClasses } : null;
  }
  const name = generatedToolName(target.serverName, target.toolName);
  const serverKey = `${target.namespace}/${target.serverName}`;
  const shape = { id: { namespace: target.namespace, name }, name, type: 'mcp' as const, endpoint: null, mcp: { server: serverKey, tool: target.toolName } };
  // A generated tool declares no operation classes; the plan gives it `read` (build-plan.ts).
  return { key, facts: toolFacts(key, shape, target.server ? serverShape(target.server) : null), operationClasses: ['read'] };
}

function serverShape(server: McpServerResource): McpServerShape {
  const { transport, command, args, endpoint } = server.spec;
  return { id: { namespace: server.namespace, name: server.name }, transport, command, args, endpoint };
}

/** A Tool resource's facts, as its PlanTool would have them. */
function resourceToolFacts(registry: ResourceRegistry, tool: ToolResource): ToolFacts {
  const { spec } = tool;
  const server = spec.type === 'mcp' && spec.mcpServerRef ? registry.findValid('McpServer', spec.mcpServerRef, tool.namespace) : undefined;
  const mcp = server && spec.mcpToolName ? { server: server.key, tool: spec.mcpToolName } : null;
  return toolFacts(tool.key, { id: { namespace: tool.namespace, name: tool.name }, name: tool.name, type: spec.type, endpoint: spec.endpoint, mcp }, server ? serverShape(server) : null);
}

/**
 * The identities a `blocked_tools` entry names among every loaded resource: each Tool one of
 * whose names is the entry (or looks like it), and each tool an McpServer would generate
 * under the entry's `<server>--<tool>` reading. In load order, so the plan hash is stable.
 */
function identitiesNamedBy(registry: ResourceRegistry, entry: string): string[] {
  const key = toolNameKey(entry);
  const out = new Set<string>();
  for (const { resource } of registry.all()) {
    if (resource?.kind === 'Tool') {
      const facts = resourceToolFacts(registry, resource);
      if (facts.names.some((name) => compareToolNames(name, key) !== 'different')) for (const identity of facts.identities) out.add(identity);
    } else if (resource?.kind === 'McpServer') {
      const tool = generatedEntryTool(entry, { namespace: resource.namespace, name: resource.name });
      if (tool !== null) for (const identity of mcpToolIdentities(resource.key, serverShape(resource), tool)) out.add(identity);
    }
  }
  return [...out];
}

/** One place a manifest writes a tool name. */
interface WrittenName {
  name: string;
  /** What the name is, for the message: `Tool default/x`, `blocked_tools entry of AgentPolicy default/p`, … */
  what: string;
  parsed: ParsedResource;
  path: ManifestPath;
}

/** A written name with its comparison key (for an entry: of its name without the namespace). */
type KeyedName = WrittenName & { key: ToolNameKey };

/** Every tool name the manifests write, other than blocked_tools entries. */
function writtenToolNames(registry: ResourceRegistry): WrittenName[] {
  const out: WrittenName[] = [];
  for (const parsed of registry.all()) {
    const resource = parsed.resource;
    if (resource?.kind === 'Tool') {
      out.push({ name: resource.name, what: `Tool ${resource.key}`, parsed, path: ['metadata', 'name'] });
      const { mcpServerRef, mcpToolName } = resource.spec;
      if (resource.spec.type === 'mcp' && mcpToolName) {
        const at: ManifestPath = ['spec', 'mcp_tool_name'];
        out.push({ name: mcpToolName, what: `the mcp_tool_name of Tool ${resource.key}`, parsed, path: at });
        const server = mcpServerRef ? registry.findValid('McpServer', mcpServerRef, resource.namespace) : undefined;
        if (server) out.push({ name: generatedToolName(server.name, mcpToolName), what: `the MCP tool of Tool ${resource.key}`, parsed, path: at });
      }
    } else if (resource?.kind === 'McpServer') {
      (resource.spec.toolFilter.include ?? []).forEach((tool, index) => {
        const at: ManifestPath = ['spec', 'tool_filter', 'include', index];
        out.push({ name: tool, what: `a tool_filter entry of McpServer ${resource.key}`, parsed, path: at });
        out.push({ name: generatedToolName(resource.name, tool), what: `a tool of McpServer ${resource.key}`, parsed, path: at });
      });
    } else if (resource?.kind === 'Agent') {
      resource.spec.tools.forEach((ref, index) => {
        // A Tool resource is checked where it is defined; MCP-generated tools exist only here.
        const target = registry.findTool(ref, resource.namespace);
        if (target?.kind !== 'mcp') return;
        const at: ManifestPath = ['spec', 'tools', index];
        out.push({ name: splitResourceKey(ref.trim()).name, what: `a tools entry of Agent ${resource.key}`, parsed, path: at });
        out.push({ name: target.toolName, what: `the MCP tool of a tools entry of Agent ${resource.key}`, parsed, path: at });
      });
    }
  }
  return out;
}

/**
 * A CONFUSABLE_TOOL_NAME error wherever a tool name (of a Tool, of an MCP tool, or another
 * `blocked_tools` entry) looks like a blocked one without being the same name after
 * normalization (`wrіte_file` with a Cyrillic `і` next to a blocked `write_file`). The engine
 * blocks such a name at run time anyway (fail closed); refusing it here tells the author
 * before anything runs, and says which letters are not what they seem. Reported where the
 * look-alike letters are: at the name, unless only the blocked entry has them. Every loaded
 * resource is checked, in any namespace, as a look-alike is suspect wherever it is written.
 */
export function checkConfusableToolNames(registry: ResourceRegistry, diagnostics: Diagnostic[]): void {
  const entries: KeyedName[] = [];
  for (const parsed of registry.all()) {
    const resource = parsed.resource;
    if (resource?.kind !== 'AgentPolicy') continue;
    resource.spec.blockedTools.forEach((entry, index) => {
      // An entry's namespace only says where it applies; names compare without it.
      const name = splitResourceKey(entry.trim()).name;
      const written = { name: entry, what: `blocked_tools entry of AgentPolicy ${resource.key}`, parsed, path: ['spec', 'blocked_tools', index] };
      entries.push({ ...written, key: toolNameKey(name) });
    });
  }
  if (entries.length === 0) return;
  const reported = new Set<string>();
  // Entries first, so an entry that looks like another entry is reported against that one.
  const candidates: KeyedName[] = [...entries, ...writtenToolNames(registry).map((written) => ({ ...written, key: toolNameKey(written.name) }))];
  for (const candidate of candidates) {
    for (const entry of entries) {
      if (entry === candidate || compareToolNames(candidate.key, entry.key) !== 'confusable') continue;
      const at = hasLookAlikes(candidate.key.name) || !hasLookAlikes(entry.key.name) ? candidate : entry;
      const other = at === candidate ? entry : candidate;
      const where = `${at.parsed.header.kind}\u0000${at.parsed.header.key}\u0000${at.path.join('.')}`;
      if (reported.has(where)) continue;
      reported.add(where);
      const odd = lookAlikeCodePoints(at.name);
      const letters = odd.length > 0 ? `it has ${odd.join(', ')}` : 'digits stand for letters';
      diagnostics.push({
        code: 'CONFUSABLE_TOOL_NAME',
        severity: 'error',
        message: `${at.what} "${at.name}" looks like ${other.what} "${other.name}" but is not the same name (${letters}); a tool name that can pass for a blocked one is refused: write both the same way, or make them differ visibly`,
        location: valueLocation(at.parsed.source, at.path),
        path: [...at.path],
      });
    }
  }
}
