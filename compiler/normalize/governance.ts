/** AgentPolicy, AgentRole and ToolPermission defaults (Orloj governance kinds). */
import type { AgentPolicySpec, AgentRoleSpec, ToolPermissionSpec } from '../resources.ts';
import type { AgentPolicySpecInput, AgentRoleSpecInput, ToolPermissionSpecInput } from '../schemas/governance.ts';
import { dedupeCaseInsensitive, type Reporter } from './reporter.ts';

/** Zero means "no limit" in Orloj, the same as leaving the field out. */
function limit(value: number | undefined): number | null {
  return value === undefined || value === 0 ? null : value;
}

export function normalizeAgentPolicy(input: AgentPolicySpecInput): AgentPolicySpec {
  return {
    applyMode: input.apply_mode ?? 'scoped',
    targetSystems: input.target_systems ?? [],
    targetTasks: input.target_tasks ?? [],
    targetAgents: input.target_agents ?? [],
    allowedModels: input.allowed_models ?? [],
    blockedTools: input.blocked_tools ?? [],
    maxTokensPerRun: limit(input.max_tokens_per_run),
    maxCostUsdPerRun: limit(input.max_cost_usd_per_run),
    maxToolCallsPerRun: limit(input.max_tool_calls_per_run),
    maxModelCallsPerRun: limit(input.max_model_calls_per_run),
    onViolation: input.on_violation ?? null,
    onBudgetExhausted: input.on_budget_exhausted ?? null,
    // Orloj's Go structs cannot tell 0 from unset, so 0 means "no bound" here too.
    maxChildDepth: limit(input.max_child_depth),
    maxChildTasks: limit(input.max_child_tasks),
  };
}

export function normalizeAgentRole(input: AgentRoleSpecInput): AgentRoleSpec {
  return { description: input.description ?? '', permissions: dedupeCaseInsensitive(input.permissions ?? []) };
}

export function normalizeToolPermission(input: ToolPermissionSpecInput, name: string, report: Reporter): ToolPermissionSpec {
  const applyMode = input.apply_mode ?? 'global';
  const targetAgents = input.target_agents ?? [];
  if (applyMode === 'scoped' && targetAgents.length === 0) {
    report('MISSING_FIELD', 'a scoped ToolPermission needs target_agents', ['spec', 'target_agents'], 'missing');
  }
  return {
    toolRef: input.tool_ref ?? name,
    toolRefDefaulted: input.tool_ref === undefined,
    action: input.action ?? 'invoke',
    requiredPermissions: dedupeCaseInsensitive(input.required_permissions ?? []),
    matchMode: input.match_mode ?? 'all',
    applyMode,
    targetAgents,
    operationRules: (input.operation_rules ?? []).map((rule) => ({
      operationClass: rule.operation_class ?? '*',
      verdict: rule.verdict ?? 'allow',
    })),
  };
}
