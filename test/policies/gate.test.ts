/**
 * The workflow's gate keeps its yes/no shape on top of the engine: approval_required is
 * refused for now (fail closed) but says so in `verdict`.
 */
import { describe, expect, it } from 'vitest';
import { checkModelCall, checkToolCall } from '../../policies/gate.ts';
import { childLimits } from '../../policies/limits.ts';
import { agent, policy, tool, toolPermission, world } from './fixtures.ts';

describe('checkToolCall', () => {
  it('allows what the engine allows', () => {
    expect(checkToolCall(world(), 'worker', 'default/search')).toEqual({ allowed: true });
  });

  it('refuses a blocked tool with the deciding policy and rule', () => {
    const plan = world({ policies: [policy('p', { applyMode: 'global', blockedTools: ['Search'] })] });
    expect(checkToolCall(plan, 'worker', 'default/search')).toMatchObject({
      allowed: false,
      code: 'POLICY_DENIED',
      policy: 'AgentPolicy default/p',
      rule: 'blocked_tools',
      verdict: 'deny',
    });
  });

  it('does not allow a call that needs approval as it stands: verdict approval_required, failing closed as POLICY_DENIED', () => {
    const plan = world({
      tools: [tool('search', { operationClasses: ['write'] })],
      toolPermissions: [toolPermission('tp', 'default/search', { operationRules: [{ operationClass: 'write', verdict: 'approval_required' }] })],
    });
    const decision = checkToolCall(plan, 'worker', 'default/search');
    expect(decision).toMatchObject({
      allowed: false,
      code: 'POLICY_DENIED',
      policy: 'ToolPermission default/tp',
      rule: 'operation_rules[0]',
      verdict: 'approval_required',
    });
  });

  it('refuses a tool the agent was not given, with an empty policy', () => {
    const plan = world({ tools: [tool('search'), tool('other')], agents: [agent('worker', { tools: ['default/search'] })] });
    expect(checkToolCall(plan, 'worker', 'default/other')).toMatchObject({ allowed: false, code: 'POLICY_DENIED', policy: '', rule: null, verdict: 'deny' });
  });
});

describe('checkModelCall', () => {
  it.each([
    [['mock-1'], { allowed: true }],
    [['gpt-4o'], { allowed: false, code: 'POLICY_DENIED', policy: 'AgentPolicy default/p', rule: 'allowed_models', verdict: 'deny' }],
  ])('allowed_models %j', (allowedModels, expected) => {
    const plan = world({ policies: [policy('p', { applyMode: 'global', allowedModels })] });
    expect(checkModelCall(plan, 'worker', 'default/mock')).toMatchObject(expected);
  });
});

describe('childLimits still reads applicable policies', () => {
  it('takes the smallest bound of the policies that apply', () => {
    const plan = world({
      policies: [
        policy('a', { applyMode: 'global', maxChildDepth: 2 }),
        policy('b', { targetAgents: ['worker'], maxChildTasks: 4 }),
        policy('c', { targetAgents: ['writer'], maxChildDepth: 1 }),
      ],
    });
    expect(childLimits(plan, 'worker')).toEqual({ maxDepth: 2, maxChildTasks: 4, foreachWidth: 4 });
  });
});
