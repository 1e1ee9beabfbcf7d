import { describe, expect, it } from 'vitest';
import { budgetLimits, reserveModelCall, reserveToolCall } from '../../policies/budget.ts';
import { agent, globalPolicy, planOf } from '../helpers/plan-builder.ts';


const used = (over: Partial<{ tokens: number; costUsd: number; modelCalls: number; toolCalls: number }> = {}) => ({
  tokens: 0,
  costUsd: 0,
  modelCalls: 0,
  toolCalls: 0,
  ...over,
});

describe('budgets', () => {
  it('takes the most restrictive applicable limit, naming the policy that set it', () => {
    const plan = planOf([agent('a')], []);
    plan.governance.policies.push(globalPolicy('loose', { maxTokensPerRun: 5000, maxToolCallsPerRun: 3 }), globalPolicy('tight', { maxTokensPerRun: 1000 }));
    plan.governance.policies.push({ ...globalPolicy('elsewhere', { maxTokensPerRun: 10 }), applyMode: 'scoped', targetSystems: ['other'] });
    expect(budgetLimits(plan, 'a')).toEqual({
      tokens: { value: 1000, policy: 'AgentPolicy default/tight' },
      costUsd: null,
      modelCalls: null,
      toolCalls: { value: 3, policy: 'AgentPolicy default/loose' },
    });
  });

  it('clamps the output to what is left and reserves input plus output', () => {
    const limits = { tokens: { value: 1000, policy: 'p' }, costUsd: null, modelCalls: null, toolCalls: null };
    expect(reserveModelCall(limits, used({ tokens: 600 }), 250, null)).toEqual({
      fits: true,
      maxOutputTokens: 150,
      reserve: { tokens: 400, costUsd: 0, modelCalls: 1, toolCalls: 0 },
    });
  });

  it('refuses a call whose input alone does not fit', () => {
    const limits = { tokens: { value: 1000, policy: 'p' }, costUsd: null, modelCalls: null, toolCalls: null };
    expect(reserveModelCall(limits, used({ tokens: 900 }), 250, null)).toMatchObject({ fits: false, limit: 'tokens', policy: 'p' });
  });

  it('bounds output by money at the endpoint price', () => {
    const limits = { tokens: null, costUsd: { value: 0.001, policy: 'p' }, modelCalls: null, toolCalls: null };
    const pricing = { inputPerMillion: 1, outputPerMillion: 4 };
    // $0.001 − 100 input tokens × $1/M = $0.0009 → 225 output tokens at $4/M.
    expect(reserveModelCall(limits, used(), 100, pricing)).toMatchObject({ fits: true, maxOutputTokens: 225 });
    expect(reserveModelCall(limits, used({ costUsd: 0.001 }), 100, pricing)).toMatchObject({ fits: false, limit: 'costUsd' });
  });

  it('counts model and tool calls, in flight included', () => {
    const limits = { tokens: null, costUsd: null, modelCalls: { value: 2, policy: 'p' }, toolCalls: { value: 1, policy: 'q' } };
    expect(reserveModelCall(limits, used({ modelCalls: 1 }), 10, null)).toMatchObject({ fits: true, maxOutputTokens: null });
    expect(reserveModelCall(limits, used({ modelCalls: 2 }), 10, null)).toMatchObject({ fits: false, limit: 'modelCalls' });
    expect(reserveToolCall(limits, used({ toolCalls: 1 }))).toMatchObject({ fits: false, limit: 'toolCalls', policy: 'q' });
  });
});
