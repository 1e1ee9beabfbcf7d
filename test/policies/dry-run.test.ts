/**
 * The dry-run judge: the gate's decision for a past call under a plan, and the first call past
 * each budget limit, counted from what the calls settled at.
 */
import { describe, expect, it } from 'vitest';
import type { PastCall } from '../../contract/past-calls.ts';
import { budgetCrossings, judgeCall } from '../../policies/dry-run.ts';
import { agent, globalPolicy, MOCK_MODEL, planOf, tool } from '../helpers/plan-builder.ts';

const priced = { ...MOCK_MODEL, pricing: { inputPerMillion: 1_000, outputPerMillion: 2_000 } };

function call(kind: PastCall['kind'], target: string, extra: Partial<PastCall> = {}): PastCall {
  return { workflowId: 'w', eventId: 1, time: '2026-01-01T00:00:00.000Z', kind, agent: 'a', target, name: target, mcpToolName: null, approved: false, usage: null, ...extra };
}
const modelCall = (input: number, output: number, eventId: number) => call('model', 'default/mock', { eventId, usage: { inputTokens: input, outputTokens: output, totalTokens: input + output } });

describe('judgeCall', () => {
  const plan = (policies = [globalPolicy('p')]) =>
    planOf([agent('a', { tools: ['default/t'] })], [], { tools: { 'default/t': tool('t') }, governance: { policies, roles: {}, toolPermissions: [] } });

  it('allows what no policy restricts; denies a blocked tool, naming the policy and rule, with what the denial does', () => {
    expect(judgeCall(plan(), call('tool', 'default/t')).decision.verdict).toBe('allow');
    const blocked = judgeCall(plan([globalPolicy('no-t', { blockedTools: ['t'], onViolation: 'feedback' })]), call('tool', 'default/t'));
    expect(blocked).toMatchObject({ decision: { verdict: 'deny', policy: 'AgentPolicy default/no-t', rule: 'blocked_tools', code: 'POLICY_DENIED' }, onViolation: 'feedback' });
  });

  it('a model the policies no longer allow, an agent or tool the plan lacks: denied, saying so', () => {
    const models = judgeCall(plan([globalPolicy('only-gpt', { allowedModels: ['gpt-4o'] })]), call('model', 'default/mock'));
    expect(models.decision).toMatchObject({ verdict: 'deny', rule: 'allowed_models' });
    expect(judgeCall(plan(), call('tool', 'default/t', { agent: 'ghost' }))).toMatchObject({ decision: { verdict: 'deny' }, onViolation: 'hard_stop' });
    expect(judgeCall(plan(), call('tool', 'default/gone')).decision.verdict).toBe('deny');
  });
});

describe('budgetCrossings', () => {
  const limited = (limits: Parameters<typeof globalPolicy>[1]) =>
    planOf([agent('a')], [], { models: { 'default/mock': priced }, governance: { policies: [globalPolicy('cap', limits)], roles: {}, toolPermissions: [] } });

  it('names the first call past each limit, once, with what was used then', () => {
    const calls = [modelCall(100, 50, 1), call('tool', 'default/t', { eventId: 2 }), modelCall(100, 50, 3), call('tool', 'default/t', { eventId: 4 }), modelCall(100, 50, 5)];
    const crossings = budgetCrossings(limited({ maxTokensPerRun: 300, maxToolCallsPerRun: 1, maxModelCallsPerRun: 3 }), calls);
    expect(crossings.map((c) => ({ limit: c.limit, eventId: c.call.eventId, used: c.used, value: c.value }))).toEqual([
      { limit: 'toolCalls', eventId: 4, used: 2, value: 1 },
      { limit: 'tokens', eventId: 5, used: 450, value: 300 },
    ]);
    expect(crossings.every((c) => c.policy === 'AgentPolicy default/cap' && c.onExhausted === 'fail')).toBe(true);
  });

  it('prices model calls at the plan\'s pricing, and says a pausing policy would pause', () => {
    // 100 in, 50 out at $1,000 / $2,000 per million: $0.2 a call.
    const [crossing, ...rest] = budgetCrossings(limited({ maxCostUsdPerRun: 0.5, onBudgetExhausted: 'pause' }), [modelCall(100, 50, 1), modelCall(100, 50, 2), modelCall(100, 50, 3)]);
    expect(rest).toEqual([]);
    expect(crossing).toMatchObject({ limit: 'costUsd', value: 0.5, onExhausted: 'pause', call: { eventId: 3 } });
    expect(crossing!.used).toBeCloseTo(0.6, 12);
  });

  it('within every limit: nothing', () => {
    expect(budgetCrossings(limited({ maxTokensPerRun: 1000 }), [modelCall(100, 50, 1)])).toEqual([]);
  });
});
