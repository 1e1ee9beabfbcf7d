/**
 * The governance part of a plan: the AgentPolicies and ToolPermissions of the system's
 * namespace that can apply to this run, and the roles its agents hold. The policy gate
 * re-checks applicability per agent at run time.
 */
import type { PlanGovernance, PlanPolicy, PlanToolPermission } from './plan.ts';
import { toolTargetKey, type ResourceRegistry } from './registry.ts';
import type { AgentSystemResource, TaskResource } from './resources.ts';

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
    out.push({ id: { namespace: resource.namespace, name: resource.name }, ...spec });
  }
  return out;
}

/** ToolPermissions of the system's namespace for tools this plan offers. */
function toolPermissionsFor(registry: ResourceRegistry, system: AgentSystemResource, toolKeys: Set<string>): PlanToolPermission[] {
  const out: PlanToolPermission[] = [];
  for (const { resource } of registry.all()) {
    if (resource?.kind !== 'ToolPermission' || resource.namespace !== system.namespace) continue;
    const target = registry.findTool(resource.spec.toolRef, resource.namespace);
    const toolKey = target ? toolTargetKey(target) : null;
    if (toolKey === null || !toolKeys.has(toolKey)) continue;
    // The normalized spec is the plan's permission minus its id, with `tool_ref` resolved to the tool's key.
    const { toolRefDefaulted: _defaulted, ...spec } = resource.spec;
    out.push({ id: { namespace: resource.namespace, name: resource.name }, ...spec, toolRef: toolKey });
  }
  return out;
}
