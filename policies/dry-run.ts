/**
 * Policy dry-run: the decisions a plan's governance would have taken on the calls a recorded
 * run made, and the first call past each of its budget limits. Pure, like the gate it reuses:
 * the same plan and calls always give the same judgement.
 *
 * Budgets are judged on what the calls settled at. A run reserves more before each call (its
 * input's bytes, the output it is allowed), so under a limit it stops at the call named or
 * earlier, and a run that stayed under a limit by less than one call's reservation may still
 * stop: the judgement names limits passed, never promises one is not.
 */
import type { Plan } from '../contract/plan.ts';
import type { PastCall } from '../contract/past-calls.ts';
import { budgetLimits, DEFAULT_MAX_OUTPUT_TOKENS, endpointOutputCap, onBudgetExhausted, type BudgetLimits } from './budget.ts';
import { evaluateDelegateCall, evaluateMemoryCall, evaluateModelCall, evaluateToolCall, type PolicyDecision } from './engine.ts';
import { onViolation } from './gate.ts';

export interface CallJudgement {
  decision: PolicyDecision;
  /** What a denial would do: end the run, or tell the model (a denied model always ends it). */
  onViolation: 'hard_stop' | 'feedback';
}

function planAgent(plan: Plan, agent: string) {
  return Object.hasOwn(plan.agents, agent) ? plan.agents[agent] : undefined;
}

/**
 * The endpoint `plan` would have the call's agent use: its own model (the workflow calls only
 * that); the recorded one when the plan has no such agent.
 */
export function modelKeyFor(plan: Plan, call: PastCall): string {
  return planAgent(plan, call.agent)?.model ?? call.target;
}

/** What `plan` decides for `call` before it is made (an agent or tool the plan lacks is denied, saying so). */
export function judgeCall(plan: Plan, call: PastCall): CallJudgement {
  const decision =
    call.kind === 'model'
      ? evaluateModelCall(plan, { agent: call.agent, modelKey: modelKeyFor(plan, call) })
      : call.kind === 'tool'
        ? evaluateToolCall(plan, { agent: call.agent, toolKey: call.target, mcpToolName: call.mcpToolName })
        : call.kind === 'memory'
          ? evaluateMemoryCall(plan, { agent: call.agent, tool: call.target })
          : evaluateDelegateCall(plan, { agent: call.agent, delegate: call.target });
  const feedback = call.kind !== 'model' && planAgent(plan, call.agent) !== undefined && onViolation(plan, call.agent) === 'feedback';
  return { decision, onViolation: feedback ? 'feedback' : 'hard_stop' };
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
 * settled at (a model call's tokens, priced at the plan's pricing for the agent's endpoint; a
 * call that failed for good counts its tokens, not itself, as the ledger does).
 */
export function budgetCrossings(plan: Plan, calls: readonly PastCall[]): BudgetCrossing[] {
  const used = { tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 };
  const crossed = new Set<keyof BudgetLimits>();
  const out: BudgetCrossing[] = [];
  for (const call of calls) {
    if (call.kind === 'model') {
      if (!call.failed) used.modelCalls += 1;
      const usage = call.usage;
      const pricing = plan.models[modelKeyFor(plan, call)]?.pricing ?? null;
      if (usage) {
        used.tokens += usage.totalTokens;
        if (pricing) used.costUsd += (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / 1_000_000;
      }
    } else if (call.kind === 'tool' || call.kind === 'memory') {
      used.toolCalls += 1;
      if (call.usage) used.tokens += call.usage.totalTokens;
    }
    if (!planAgent(plan, call.agent)) continue;
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

export interface OutputCut {
  call: PastCall;
  /** The most output the plan lets the call have, and what it answered with. */
  cap: number;
  output: number;
}

/**
 * Model calls whose answer was longer than the plan would let them be: with a token or cost
 * limit, each call gets at most its endpoint's `max_tokens` (DEFAULT_MAX_OUTPUT_TOKENS when it
 * sets none), so a longer answer would have been cut.
 */
export function outputCuts(plan: Plan, calls: readonly PastCall[]): OutputCut[] {
  const out: OutputCut[] = [];
  for (const call of calls) {
    if (call.kind !== 'model' || !call.usage || !planAgent(plan, call.agent)) continue;
    const limits = budgetLimits(plan, call.agent);
    const model = plan.models[modelKeyFor(plan, call)];
    const cap = model ? endpointOutputCap(model) : null;
    const applies = cap !== null || limits.tokens !== null || limits.costUsd !== null;
    const allowed = cap ?? DEFAULT_MAX_OUTPUT_TOKENS;
    if (applies && call.usage.outputTokens > allowed) out.push({ call, cap: allowed, output: call.usage.outputTokens });
  }
  return out;
}
