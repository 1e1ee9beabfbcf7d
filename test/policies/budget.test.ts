import { describe, expect, it } from 'vitest';
import { budgetLimits, embeddingTokenBound, reserveMemoryCall, reserveModelCall, reserveToolCall } from '../../policies/budget.ts';
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

describe('reserveMemoryCall', () => {
  const limits = (tokens: number | null, costUsd: number | null) => ({
    tokens: tokens === null ? null : { value: tokens, policy: 'AgentPolicy default/cap' },
    costUsd: costUsd === null ? null : { value: costUsd, policy: 'AgentPolicy default/cap' },
    modelCalls: null,
    toolCalls: null,
  });
  const used = { tokens: 900, costUsd: 0, modelCalls: 1, toolCalls: 0 };

  it('reserves the embeddings\' token bound and its cost at the input price; refuses what could pass a limit', () => {
    expect(embeddingTokenBound(['ab', 'é'])).toBe(2 + 8 + 2 + 8);
    expect(reserveMemoryCall(limits(1000, null), used, 100, null)).toMatchObject({ fits: true, reserve: { tokens: 100, toolCalls: 1, costUsd: 0 } });
    expect(reserveMemoryCall(limits(1000, null), used, 101, null)).toMatchObject({ fits: false, limit: 'tokens', policy: 'AgentPolicy default/cap' });
    const pricing = { inputPerMillion: 1_000_000, outputPerMillion: 0 };
    expect(reserveMemoryCall(limits(null, 50), used, 60, pricing)).toMatchObject({ fits: false, limit: 'costUsd' });
    expect(reserveMemoryCall(limits(null, 50), used, 40, pricing)).toMatchObject({ fits: true, reserve: { costUsd: 40 } });
  });
});
