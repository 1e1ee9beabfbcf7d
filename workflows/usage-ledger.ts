/**
 * Token and call accounting kept in workflow state. It is rebuilt by replay from activity
 * results, so it needs no bookkeeping events of its own.
 */
import type { TokenUsage } from '../contract/activity-io.ts';
import type { PlanModel } from '../contract/plan.ts';
import { addBudget, noBudget, withinShare, type BudgetLimits, type BudgetState } from '../policies/budget.ts';
import type { RunUsage, UsageTotals } from '../contract/run-io.ts';
import { addUsage, emptyTotals, saneUsage } from '../contract/usage.ts';

export { addUsage, emptyTotals, saneUsage, spentUsageDetails, spentUsageIn } from '../contract/usage.ts';

/** What a call cost at the endpoint's per-million-token prices. */
export function costOf(usage: TokenUsage, pricing: PlanModel['pricing']): number {
  if (!pricing) return 0;
  return (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / 1_000_000;
}

/** Sums of fractional cents pick up float noise; a nano-dollar is far below any price. */
export function roundCost(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

function rounded(totals: UsageTotals): UsageTotals {
  return { ...totals, costUsd: roundCost(totals.costUsd) };
}

export class UsageLedger {
  readonly total: UsageTotals;
  readonly byAgent: Record<string, UsageTotals>;
  /** Bounds reserved by calls in flight; zero whenever nothing is in flight (so never carried). */
  private reserved: BudgetState = noBudget();

  /** Spent plus reserved, plus what the rest of the run committed (for a delegate): what a budget check must count. */
  committed(): BudgetState {
    const spent = { tokens: this.total.totalTokens, costUsd: this.total.costUsd, modelCalls: this.total.modelCalls, toolCalls: this.total.toolCalls };
    return addBudget(addBudget(spent, this.reserved), this.outside);
  }

  reserve(bound: BudgetState, sign: 1 | -1 = 1): void {
    this.reserved = addBudget(this.reserved, bound, sign);
  }

  /** The policy limits this ledger is held to: a delegate's are tightened by its share. */
  limit(limits: BudgetLimits): BudgetLimits {
    return withinShare(limits, this.share, this.outside);
  }

  /** A delegate's parent run's commitments when it delegated; zero for a run of the system. */
  private readonly outside: BudgetState;
  /** A delegate's share of its parent's budget, held for it by the parent while it runs. */
  private readonly share: BudgetLimits | undefined;

  /** Starts empty, or from the usage a previous execution of the run carried over. */
  constructor(carried?: RunUsage, outside?: BudgetState, share?: BudgetLimits) {
    this.outside = outside ?? noBudget();
    this.share = share;
    this.total = carried ? { ...carried.total } : emptyTotals();
    this.byAgent = {};
    for (const [agent, totals] of Object.entries(carried?.byAgent ?? {})) this.byAgent[agent] = { ...totals };
  }

  /** Adds what a child run (a delegation) used. */
  merge(usage: RunUsage): void {
    const add = (into: UsageTotals, from: UsageTotals) => {
      into.inputTokens += from.inputTokens;
      into.outputTokens += from.outputTokens;
      into.totalTokens += from.totalTokens;
      into.modelCalls += from.modelCalls;
      into.toolCalls += from.toolCalls;
      into.toolErrors += from.toolErrors;
      into.costUsd += from.costUsd;
    };
    add(this.total, usage.total);
    for (const [agent, totals] of Object.entries(usage.byAgent)) add(this.forAgent(agent), totals);
  }

  forAgent(agent: string): UsageTotals {
    let totals = this.byAgent[agent];
    if (!totals) {
      totals = emptyTotals();
      this.byAgent[agent] = totals;
    }
    return totals;
  }

  recordModelCall(agent: string, usage: TokenUsage, pricing: PlanModel['pricing'] = null): void {
    this.chargeFailedAttempts(agent, usage, pricing);
    this.total.modelCalls += 1;
    this.forAgent(agent).modelCalls += 1;
  }

  /** Tokens that failed attempts consumed: charged, though no call counts as made. */
  chargeFailedAttempts(agent: string, reported: TokenUsage, pricing: PlanModel['pricing'] = null): void {
    const usage = saneUsage(reported);
    const cost = costOf(usage, pricing);
    for (const totals of [this.total, this.forAgent(agent)]) {
      totals.costUsd += cost;
      totals.inputTokens += usage.inputTokens;
      totals.outputTokens += usage.outputTokens;
      totals.totalTokens += usage.totalTokens;
    }
  }

  recordToolCall(agent: string, failed: boolean): void {
    for (const totals of [this.total, this.forAgent(agent)]) {
      totals.toolCalls += 1;
      if (failed) totals.toolErrors += 1;
    }
  }

  snapshot(): RunUsage {
    const byAgent: Record<string, UsageTotals> = {};
    for (const [agent, totals] of Object.entries(this.byAgent)) byAgent[agent] = rounded(totals);
    return { total: rounded(this.total), byAgent };
  }
}
