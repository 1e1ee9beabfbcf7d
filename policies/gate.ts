/**
 * The policy gate: pure decisions taken before the workflow schedules a model or tool call,
 * so a denied call is never scheduled at all. Deterministic: no I/O, no clocks. A thin
 * yes/no view of the policy engine (./engine.ts), which holds the rules.
 */
import type { Codes } from '../contract/failures.ts';
import type { Plan } from '../contract/plan.ts';
import { applicablePolicies, evaluateDelegateCall, evaluateMemoryCall, evaluateModelCall, evaluateToolCall, type PolicyDecision } from './engine.ts';

export { applicablePolicies } from './engine.ts';

export type GateDecision =
  | { allowed: true }
  | {
      allowed: false;
      code: Codes<'POLICY_DENIED'>;
      /** The deciding resource (`AgentPolicy ns/name`, `ToolPermission ns/name`, `Agent ns/name`), or '' when none. */
      policy: string;
      reason: string;
      /** What the engine said: `deny`, or `approval_required` (refused for now, see below). */
      verdict?: 'deny' | 'approval_required';
      /** The deciding rule (`blocked_tools`, `required_permissions`, `operation_rules[0]`, ...). */
      rule?: string | null;
    };

const ALLOW: GateDecision = { allowed: true };

function gate(decision: PolicyDecision): GateDecision {
  if (decision.verdict === 'allow') return ALLOW;
  // approval_required is not allowed as it stands: `verdict` tells the workflow to wait for a
  // person (the agent loop does); any caller that cannot wait refuses it, which fails closed.
  return { allowed: false, code: 'POLICY_DENIED', policy: decision.policy ?? '', reason: decision.reason, verdict: decision.verdict, rule: decision.rule };
}

/** May `agent` call the model endpoint `modelKey`? Checks every applicable policy's `allowed_models`. */
export function checkModelCall(plan: Plan, agent: string, modelKey: string): GateDecision {
  return gate(evaluateModelCall(plan, { agent, modelKey }));
}

/**
 * May `agent` call the tool `toolKey`? AgentPolicy `blocked_tools`, then `allowed_tools`, roles
 * and ToolPermissions. `mcpToolName` is the name the tool's server gave it, when discovery found it.
 */
export function checkToolCall(plan: Plan, agent: string, toolKey: string, mcpToolName: string | null = null): GateDecision {
  return gate(evaluateToolCall(plan, { agent, toolKey, mcpToolName }));
}

/** May `agent` call the built-in memory tool `tool`? Its grant, then the rules of any tool. */
export function checkMemoryCall(plan: Plan, agent: string, tool: string): GateDecision {
  return gate(evaluateMemoryCall(plan, { agent, tool }));
}

/** May `agent` delegate to `delegate`? A delegation is a tool too: `blocked_tools` can name it. */
export function checkDelegateCall(plan: Plan, agent: string, delegate: string): GateDecision {
  return gate(evaluateDelegateCall(plan, { agent, delegate }));
}

/**
 * How a denied tool call ends: `hard_stop` (the default: the run fails) or `feedback` (the
 * model gets a structured denial as the tool result). Any applicable AgentPolicy with
 * `on_violation: feedback` asks for feedback.
 */
export function onViolation(plan: Plan, agent: string): 'hard_stop' | 'feedback' {
  return applicablePolicies(plan, agent).some((policy) => policy.onViolation?.toLowerCase() === 'feedback') ? 'feedback' : 'hard_stop';
}
