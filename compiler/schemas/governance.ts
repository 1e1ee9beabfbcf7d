/** AgentPolicy, AgentRole, ToolPermission: Orloj's governance model, plus orch's budgets. */
import { z } from 'zod';
import { fields, nonNegativeInt, oneOf, reference, text, textList } from './common.ts';

export const agentPolicySpecSchema = fields({
  apply_mode: oneOf(['scoped', 'global']).optional(),
  target_systems: textList.optional(),
  target_tasks: textList.optional(),
  target_agents: textList.optional(),
  allowed_models: textList.optional(),
  blocked_tools: textList.optional(),
  max_tokens_per_run: nonNegativeInt.optional(),
  max_cost_usd_per_run: z.number().min(0).optional(),
  max_tool_calls_per_run: nonNegativeInt.optional(),
  max_model_calls_per_run: nonNegativeInt.optional(),
  on_violation: z.string().trim().min(1).optional(),
  on_budget_exhausted: z.string().trim().min(1).optional(),
  max_child_depth: nonNegativeInt.optional(),
  max_child_tasks: nonNegativeInt.optional(),
});

export const agentRoleSpecSchema = fields({
  description: text.optional(),
  permissions: textList.optional(),
});

export const toolPermissionSpecSchema = fields({
  tool_ref: reference.optional(),
  action: z.string().trim().min(1).optional(),
  required_permissions: textList.optional(),
  match_mode: oneOf(['all', 'any']).optional(),
  apply_mode: oneOf(['global', 'scoped']).optional(),
  target_agents: textList.optional(),
  operation_rules: z
    .array(
      fields({
        operation_class: oneOf(['read', 'write', 'delete', 'admin', '*']).optional(),
        verdict: oneOf(['allow', 'deny', 'approval_required']).optional(),
      }),
    )
    .optional(),
});

export type AgentPolicySpecInput = z.output<typeof agentPolicySpecSchema>;
export type AgentRoleSpecInput = z.output<typeof agentRoleSpecSchema>;
export type ToolPermissionSpecInput = z.output<typeof toolPermissionSpecSchema>;
