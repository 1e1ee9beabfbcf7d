/**
 * Policy dry-run: the decisions a plan's governance would have taken on the calls a recorded
 * run made, and the first call past each of its budget limits. Pure, like the gate it reuses:
 * the same plan and calls always give the same judgement.
 */
import type { Plan } from '../contract/plan.ts';
import type { PastCall } from '../contract/past-calls.ts';
import { budgetLimits, onBudgetExhausted, type BudgetLimits } from './budget.ts';
import { evaluateDelegateCall, evaluateMemoryCall, evaluateModelCall, evaluateToolCall, type PolicyDecision } from './engine.ts';
import { onViolation } from './gate.ts';

export interface CallJudgement {
  decision: PolicyDecision;
  /** What a denial would do: end the run, or tell the model. */
  onViolation: 'hard_stop' | 'feedback';
}

/** What `plan` decides for `call` before it is made (an agent or tool the plan lacks is denied, saying so). */
export function judgeCall(plan: Plan, call: PastCall): CallJudgement {
  const decision =
    call.kind === 'model'
      ? evaluateModelCall(plan, { agent: call.agent, modelKey: call.target })
      : call.kind === 'tool'
        ? evaluateToolCall(plan, { agent: call.agent, toolKey: call.target, mcpToolName: call.mcpToolName })
        : call.kind === 'memory'
          ? evaluateMemoryCall(plan, { agent: call.agent, tool: call.target })
          : evaluateDelegateCall(plan, { agent: call.agent, delegate: call.target });
  return { decision, onViolation: plan.agents[call.agent] ? onViolation(plan, call.agent) : 'hard_stop' };
}

export interface BudgetCrossing {
  /** The call whose settlement took the run past the limit. */
  call: PastCall;
  limit: keyof BudgetLimits;
  /** The limit, and what the run had used once this call settled. */
  value: number;
  used: number;
  policy: string;
  /** What the run would have done: fail, or wait for a person. */
  onExhausted: 'fail' | 'pause';
}

/**
 * The first call past each of the plan's limits, counting the calls in order with what they
 * settled at (a model call's tokens, priced at the plan's pricing for its endpoint). A run
 * reserves before each call, so it would have stopped here or earlier, never later.
 */
export function budgetCrossings(plan: Plan, calls: readonly PastCall[]): BudgetCrossing[] {
  const used = { tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 };
  const crossed = new Set<keyof BudgetLimits>();
  const out: BudgetCrossing[] = [];
  for (const call of calls) {
    if (call.kind === 'model') {
      used.modelCalls += 1;
      const usage = call.usage;
      const pricing = plan.models[call.target]?.pricing ?? null;
      if (usage) {
        used.tokens += usage.totalTokens;
        if (pricing) used.costUsd += (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / 1_000_000;
      }
    } else if (call.kind === 'tool' || call.kind === 'memory') {
      used.toolCalls += 1;
    }
    if (!plan.agents[call.agent]) continue;
    const limits = budgetLimits(plan, call.agent);
    for (const limit of ['tokens', 'costUsd', 'modelCalls', 'toolCalls'] as const) {
      const bound = limits[limit];
      if (!bound || crossed.has(limit) || used[limit] <= bound.value) continue;
      crossed.add(limit);
      out.push({ call, limit, value: bound.value, used: used[limit], policy: bound.policy, onExhausted: onBudgetExhausted(plan, call.agent) });
    }
  }
  return out;
}
