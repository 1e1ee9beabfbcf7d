/**
 * Budgets: the most restrictive of the applicable AgentPolicies' per-run limits on tokens,
 * cost and calls, and the arithmetic of reserving before a call and settling after it.
 * Pure: the ledger lives in workflow state; this decides whether a call fits.
 */
import type { Plan, PlanModel } from '../compiler/plan.ts';
import { applicablePolicies } from './engine.ts';

export interface BudgetLimit {
  value: number;
  /** `AgentPolicy ns/name` that set it. */
  policy: string;
}

export interface BudgetLimits {
  tokens: BudgetLimit | null;
  costUsd: BudgetLimit | null;
  modelCalls: BudgetLimit | null;
  toolCalls: BudgetLimit | null;
}

/** What happens when a call does not fit: the run fails, or it waits for a person (`pause`). */
export function onBudgetExhausted(plan: Plan, agent: string): 'fail' | 'pause' {
  return applicablePolicies(plan, agent).some((policy) => policy.onBudgetExhausted?.toLowerCase() === 'pause') ? 'pause' : 'fail';
}

/** Limits raised by what people added to a paused run. */
export function withTopUps(limits: BudgetLimits, added: BudgetState): BudgetLimits {
  const raise = (limit: BudgetLimit | null, by: number) => (limit && by > 0 ? { ...limit, value: limit.value + by } : limit);
  return {
    tokens: raise(limits.tokens, added.tokens),
    costUsd: raise(limits.costUsd, added.costUsd),
    modelCalls: raise(limits.modelCalls, added.modelCalls),
    toolCalls: raise(limits.toolCalls, added.toolCalls),
  };
}

/** Spent plus reserved (calls in flight), for the run. */
export interface BudgetState {
  tokens: number;
  costUsd: number;
  modelCalls: number;
  toolCalls: number;
}

export type BudgetDecision =
  | { fits: true; maxOutputTokens: number | null; reserve: BudgetState }
  | { fits: false; limit: keyof BudgetLimits; policy: string; reason: string };

function tighter(current: BudgetLimit | null, value: number | null, policy: string): BudgetLimit | null {
  if (value === null || value <= 0) return current;
  return current === null || value < current.value ? { value, policy } : current;
}

export function budgetLimits(plan: Plan, agent: string): BudgetLimits {
  let limits: BudgetLimits = { tokens: null, costUsd: null, modelCalls: null, toolCalls: null };
  for (const policy of applicablePolicies(plan, agent)) {
    const name = `AgentPolicy ${policy.id.namespace}/${policy.id.name}`;
    limits = {
      tokens: tighter(limits.tokens, policy.maxTokensPerRun, name),
      costUsd: tighter(limits.costUsd, policy.maxCostUsdPerRun, name),
      modelCalls: tighter(limits.modelCalls, policy.maxModelCallsPerRun, name),
      toolCalls: tighter(limits.toolCalls, policy.maxToolCallsPerRun, name),
    };
  }
  return limits;
}

/** A zero budget state, fresh for each caller to add to. */
export function noBudget(): BudgetState {
  return { tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 };
}

/** `a + sign × b`, field by field. */
export function addBudget(a: BudgetState, b: BudgetState, sign: 1 | -1 = 1): BudgetState {
  return {
    tokens: a.tokens + sign * b.tokens,
    costUsd: a.costUsd + sign * b.costUsd,
    modelCalls: a.modelCalls + sign * b.modelCalls,
    toolCalls: a.toolCalls + sign * b.toolCalls,
  };
}

const NOTHING: BudgetState = noBudget();

/**
 * Whether a model call fits, and with how much output. The bound reserved is the input
 * estimate plus the output allowed; the output is clamped to what the limits leave, and a
 * call with no room left for output is not made.
 */
export function reserveModelCall(limits: BudgetLimits, used: BudgetState, inputEstimate: number, pricing: PlanModel['pricing']): BudgetDecision {
  if (limits.modelCalls && used.modelCalls + 1 > limits.modelCalls.value) {
    return { fits: false, limit: 'modelCalls', policy: limits.modelCalls.policy, reason: `${limits.modelCalls.value} model calls per run are spent` };
  }
  let maxOutput = Infinity;
  if (limits.tokens) maxOutput = Math.min(maxOutput, limits.tokens.value - used.tokens - inputEstimate);
  if (limits.costUsd && pricing && pricing.outputPerMillion > 0) {
    const left = limits.costUsd.value - used.costUsd - (inputEstimate * pricing.inputPerMillion) / 1e6;
    maxOutput = Math.min(maxOutput, Math.floor((left * 1e6) / pricing.outputPerMillion));
  }
  if (maxOutput < 1) {
    const limit = limits.tokens && limits.tokens.value - used.tokens - inputEstimate < 1 ? 'tokens' : 'costUsd';
    const set = limits[limit]!;
    return { fits: false, limit, policy: set.policy, reason: `the next call (about ${inputEstimate} input tokens) does not fit in what is left of ${set.value} ${limit === 'tokens' ? 'tokens' : 'USD'} per run` };
  }
  const bounded = Number.isFinite(maxOutput) ? Math.floor(maxOutput) : null;
  const outputBound = bounded ?? 0;
  const cost = pricing ? (inputEstimate * pricing.inputPerMillion + outputBound * pricing.outputPerMillion) / 1e6 : 0;
  return { fits: true, maxOutputTokens: bounded, reserve: { ...NOTHING, tokens: inputEstimate + outputBound, costUsd: cost, modelCalls: 1 } };
}

export function reserveToolCall(limits: BudgetLimits, used: BudgetState): BudgetDecision {
  if (limits.toolCalls && used.toolCalls + 1 > limits.toolCalls.value) {
    return { fits: false, limit: 'toolCalls', policy: limits.toolCalls.policy, reason: `${limits.toolCalls.value} tool calls per run are spent` };
  }
  return { fits: true, maxOutputTokens: null, reserve: { ...NOTHING, toolCalls: 1 } };
}
