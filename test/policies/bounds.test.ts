/**
 * A run's worst case before it starts: the largest limit among its agents' applicable
 * policies for each kind, unbounded (naming the agents) where some agent has none; a cost
 * bounded by a token limit when every model is priced.
 */
import { describe, expect, it } from 'vitest';
import { anyLimit, runBounds } from '../../policies/bounds.ts';
import { agent, globalPolicy, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';

const priced = { ...MOCK_MODEL, pricing: { inputPerMillion: 2, outputPerMillion: 8 } };

describe('runBounds', () => {
  it('the largest limit among the agents bounds the run; an agent with none leaves it unbounded, named', () => {
    const plan = planOf([agent('a'), agent('b')], [['a', 'b']], {
      governance: {
        policies: [
          globalPolicy('all-tokens', { maxTokensPerRun: 5_000, maxToolCallsPerRun: 4 }),
          globalPolicy('a-tokens', { applyMode: 'scoped', targetAgents: ['a'], maxTokensPerRun: 1_000, maxModelCallsPerRun: 3 }),
        ],
        roles: {},
        toolPermissions: [],
      },
    });
    const bounds = runBounds(plan);
    // a may go to 1,000 of the run's tokens, b to 5,000: the run stops at 5,000 at most.
    expect(bounds.tokens).toEqual({ value: 5_000, policy: 'AgentPolicy default/all-tokens', unbounded: [] });
    expect(bounds.toolCalls).toMatchObject({ value: 4 });
    expect(bounds.modelCalls).toEqual({ value: null, policy: null, unbounded: ['b'] });
    // No pricing: a token limit says nothing of cost.
    expect(bounds.costUsd).toEqual({ value: null, policy: null, unbounded: ['a', 'b'] });
    expect(bounds.unpriced).toEqual(['default/mock']);
    expect(anyLimit(plan)).toBe(true);
  });

  it('a token limit bounds the cost when every model is priced, at the highest price per token; a cost limit wins', () => {
    const governance = (limits: Parameters<typeof globalPolicy>[1]) => ({ policies: [globalPolicy('cap', limits)], roles: {}, toolPermissions: [] });
    const derived = runBounds(planOf([agent('a')], [], { models: { 'default/mock': priced }, governance: governance({ maxTokensPerRun: 10_000 }) }));
    expect(derived.costUsd.value).toBeCloseTo((10_000 * 8) / 1_000_000, 12);
    expect(derived.costUsd.policy).toContain('AgentPolicy default/cap');
    const capped = runBounds(planOf([agent('a')], [], { models: { 'default/mock': priced }, governance: governance({ maxTokensPerRun: 10_000, maxCostUsdPerRun: 0.02 }) }));
    expect(capped.costUsd).toEqual({ value: 0.02, policy: 'AgentPolicy default/cap', unbounded: [] });
  });

  it('no limit anywhere: nothing to say', () => {
    expect(anyLimit(planOf([agent('a')], []))).toBe(false);
  });
});
