/**
 * The policy gate: pure decisions taken before the workflow schedules a model or tool call,
 * so a denied call is never scheduled at all. Deterministic: no I/O, no clocks.
 */
import type { Plan, PlanPolicy } from '../compiler/plan.ts';

export type GateDecision =
  | { allowed: true }
  | { allowed: false; code: 'POLICY_DENIED'; policy: string; reason: string };

const ALLOW: GateDecision = { allowed: true };

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Policies that govern `agent` in this plan: global ones, and scoped ones that target its system, task or the agent. */
export function applicablePolicies(plan: Plan, agent: string): PlanPolicy[] {
  return plan.governance.policies.filter((policy) => {
    if (policy.applyMode === 'global') return true;
    const targetsSystem = policy.targetSystems.some((s) => sameName(s, plan.system.name));
    const targetsTask = plan.task !== null && policy.targetTasks.some((t) => sameName(t, plan.task!.name));
    const targetsAgent = policy.targetAgents.some((a) => sameName(a, agent));
    return targetsSystem || targetsTask || targetsAgent;
  });
}

/** May `agent` call the model endpoint `modelKey`? Checks every applicable policy's `allowed_models`. */
export function checkModelCall(plan: Plan, agent: string, modelKey: string): GateDecision {
  const model = plan.models[modelKey];
  if (!model) return { allowed: false, code: 'POLICY_DENIED', policy: '', reason: `unknown model endpoint ${modelKey}` };
  for (const policy of applicablePolicies(plan, agent)) {
    if (policy.allowedModels.length > 0 && !policy.allowedModels.some((m) => sameName(m, model.model))) {
      return {
        allowed: false,
        code: 'POLICY_DENIED',
        policy: policy.id.name,
        reason: `policy ${policy.id.name} does not allow model ${model.model} for agent ${agent}`,
      };
    }
  }
  return ALLOW;
}

/** May `agent` call the tool `toolKey`? It must be one of the agent's tools and not blocked by a policy. */
export function checkToolCall(plan: Plan, agent: string, toolKey: string): GateDecision {
  const tool = plan.tools[toolKey];
  const planAgent = plan.agents[agent];
  if (!tool || !planAgent || !planAgent.tools.includes(toolKey)) {
    return { allowed: false, code: 'POLICY_DENIED', policy: '', reason: `tool ${toolKey} is not offered to agent ${agent}` };
  }
  for (const policy of applicablePolicies(plan, agent)) {
    if (policy.blockedTools.some((t) => sameName(t, tool.name) || sameName(t, tool.id.name))) {
      return {
        allowed: false,
        code: 'POLICY_DENIED',
        policy: policy.id.name,
        reason: `policy ${policy.id.name} blocks tool ${tool.name} for agent ${agent}`,
      };
    }
  }
  return ALLOW;
}
