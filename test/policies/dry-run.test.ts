/**
 * The dry-run judge: the gate's decision for a past call under a plan, and the first call past
 * each budget limit, counted from what the calls settled at.
 */
import { describe, expect, it } from 'vitest';
import type { PastCall } from '../../contract/past-calls.ts';
import { budgetCrossings, judgeCall, outputCuts } from '../../policies/dry-run.ts';
import { agent, globalPolicy, MOCK_MODEL, planOf, tool } from '../helpers/plan-builder.ts';

const priced = { ...MOCK_MODEL, pricing: { inputPerMillion: 1_000, outputPerMillion: 2_000 } };

function call(kind: PastCall['kind'], target: string, extra: Partial<PastCall> = {}): PastCall {
  return { workflowId: 'w', eventId: 1, time: '2026-01-01T00:00:00.000Z', kind, agent: 'a', target, name: target, mcpToolName: null, approved: false, usage: null, failed: false, ...extra };
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

describe('judgeCall: models', () => {
  it("a model call is judged by the endpoint the plan gives the agent, and a denied model always ends the run", () => {
    const other = { ...MOCK_MODEL, id: { namespace: 'default', name: 'other' }, model: 'other-1' };
    const plan = planOf([agent('a', { model: 'default/other' })], [], {
      models: { 'default/mock': MOCK_MODEL, 'default/other': other },
      governance: { policies: [globalPolicy('only-other', { allowedModels: ['other-1'], onViolation: 'feedback' })], roles: {}, toolPermissions: [] },
    });
    // Recorded against default/mock; the plan moves the agent to default/other, which the policy allows.
    expect(judgeCall(plan, call('model', 'default/mock')).decision.verdict).toBe('allow');
    const denying = { ...plan, governance: { ...plan.governance, policies: [globalPolicy('only-mock', { allowedModels: ['mock-1'], onViolation: 'feedback' })] } };
    expect(judgeCall(denying, call('model', 'default/mock'))).toMatchObject({ decision: { verdict: 'deny', rule: 'allowed_models' }, onViolation: 'hard_stop' });
  });
});

describe('outputCuts', () => {
  it('under a token limit an answer longer than the endpoint allows (4096 when it sets none) would be cut; without one, nothing is', () => {
    const calls = [modelCall(100, 5_000, 1), modelCall(100, 300, 2)];
    const limited = planOf([agent('a')], [], { governance: { policies: [globalPolicy('cap', { maxTokensPerRun: 100_000 })], roles: {}, toolPermissions: [] } });
    expect(outputCuts(limited, calls).map((cut) => [cut.call.eventId, cut.cap, cut.output])).toEqual([[1, 4096, 5_000]]);
    expect(outputCuts(planOf([agent('a')], []), calls)).toEqual([]);
  });
});

describe('budgetCrossings', () => {
  it('a model call that failed for good counts its tokens, not itself', () => {
    const plan = planOf([agent('a')], [], { governance: { policies: [globalPolicy('cap', { maxModelCallsPerRun: 1 })], roles: {}, toolPermissions: [] } });
    expect(budgetCrossings(plan, [{ ...modelCall(10, 0, 1), failed: true }, modelCall(10, 5, 2)])).toEqual([]);
  });

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
