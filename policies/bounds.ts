/**
 * A run's worst case, known before it starts: for tokens, cost, model calls and tool calls,
 * the most the run can spend under the AgentPolicies that apply to its agents. Each call must
 * fit the limits of the agent that makes it against the run's total, so the run's total never
 * passes the largest of its agents' limits; an agent no limit applies to leaves it unbounded.
 * A cost with no cost limit is still bounded by a token limit when every model is priced (at
 * the highest price per token). These bound what the run decides to spend: a call's failed
 * attempts are charged as they happen, past the bound by what they used, and a person's top-up
 * raises it. Pure.
 */
import type { Plan } from '../contract/plan.ts';
import { budgetLimits, type BudgetLimits } from './budget.ts';

export interface RunBound {
  /** The most the run can spend, or null when nothing bounds it. */
  value: number | null;
  /** The policy whose limit is the bound (the largest applying), or how a derived bound was found. */
  policy: string | null;
  /** Agents no limit of this kind applies to (the reason for a null bound). */
  unbounded: string[];
}

export type RunBounds = Record<keyof BudgetLimits, RunBound> & {
  /** Endpoints the agents may call with no pricing: their calls cost nothing in the ledger, so no cost bound covers them. */
  unpriced: string[];
};

const KINDS = ['tokens', 'costUsd', 'modelCalls', 'toolCalls'] as const;

export function runBounds(plan: Plan): RunBounds {
  const agents = Object.keys(plan.agents);
  const limits = agents.map((agent) => ({ agent, limits: budgetLimits(plan, agent) }));
  const bound = (kind: keyof BudgetLimits): RunBound => {
    const unbounded = limits.filter(({ limits }) => limits[kind] === null).map(({ agent }) => agent);
    if (unbounded.length > 0 || limits.length === 0) return { value: null, policy: null, unbounded };
    const largest = limits.map(({ limits }) => limits[kind]!).reduce((a, b) => (b.value > a.value ? b : a));
    return { value: largest.value, policy: largest.policy, unbounded: [] };
  };
  const models = [...new Set(Object.values(plan.agents).flatMap((agent) => [agent.model, ...agent.fallbackModels]))];
  const unpriced = models.filter((key) => (plan.models[key]?.pricing ?? null) === null);
  const bounds = { ...Object.fromEntries(KINDS.map((kind) => [kind, bound(kind)])), unpriced } as RunBounds;
  if (bounds.costUsd.value === null && bounds.tokens.value !== null) {
    const prices = models.map((key) => plan.models[key]?.pricing ?? null);
    if (prices.length > 0 && unpriced.length === 0) {
      const perToken = Math.max(...prices.map((price) => Math.max(price!.inputPerMillion, price!.outputPerMillion))) / 1_000_000;
      bounds.costUsd = { value: bounds.tokens.value * perToken, policy: `${bounds.tokens.policy} tokens at the highest price`, unbounded: [] };
    }
  }
  return bounds;
}

/** Whether any AgentPolicy limit applies to any of the run's agents. */
export function anyLimit(plan: Plan): boolean {
  return Object.keys(plan.agents).some((agent) => Object.values(budgetLimits(plan, agent)).some((limit) => limit !== null));
}
