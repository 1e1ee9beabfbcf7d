/**
 * Orloj's own governance scenarios, compiled from the vendored corpus and evaluated with
 * the engine: the verdicts Orloj expects of them.
 */
import { describe, expect, it } from 'vitest';
import { compileOk } from '../helpers/scenario-overrides.ts';
import type { Plan } from '../../contract/plan.ts';
import { evaluateModelCall, evaluateToolCall } from '../../policies/engine.ts';

const CORPUS = 'test/fixtures/orloj-manifests';
const MOCK_OPENAI_DEFAULT = 'test/fixtures/manifests/mock-openai-default';

async function planOf(scenario: string): Promise<Plan> {
  const plan = await compileOk([`${CORPUS}/${scenario}`], { overrides: [MOCK_OPENAI_DEFAULT] });
  return plan!;
}

/** The scenario's only agent calling its only tool. */
function onlyCall(plan: Plan): { agent: string; toolKey: string } {
  const [agent] = Object.keys(plan.agents);
  const [toolKey] = plan.agents[agent!]!.tools;
  return { agent: agent!, toolKey: toolKey! };
}

describe('Orloj governance scenarios', () => {
  it('testing/scenarios/04-governance-deny: the role lacks the permission the ToolPermission requires', async () => {
    const plan = await planOf('testing/scenarios/04-governance-deny');
    const call = onlyCall(plan);
    expect(call).toEqual({ agent: 'rt-gov-analyst-agent', toolKey: 'rt-gov/rt-gov-search-tool' });
    expect(evaluateToolCall(plan, call)).toMatchObject({
      verdict: 'deny',
      policy: 'ToolPermission rt-gov/rt-gov-search-permission',
      rule: 'required_permissions',
      code: 'POLICY_DENIED',
      missingPermissions: ['tool:search:invoke'],
    });
    expect(evaluateModelCall(plan, { agent: call.agent, modelKey: plan.agents[call.agent]!.model })).toMatchObject({ verdict: 'allow' });
  });

  it('testing/scenarios-real/09-governance-real-deny: both required permissions are missing', async () => {
    const plan = await planOf('testing/scenarios-real/09-governance-real-deny');
    expect(evaluateToolCall(plan, onlyCall(plan))).toMatchObject({
      verdict: 'deny',
      policy: 'ToolPermission rr-real-gov-deny/rr-real-governed-smoke-invoke',
      rule: 'required_permissions',
      code: 'POLICY_DENIED',
      missingPermissions: ['tool:rr_real_governed_smoke_tool:invoke', 'capability:stub.read'],
    });
  });

  it('testing/scenarios-real/17-tool-approval-live: permitted, but its write-class tool needs approval', async () => {
    const plan = await planOf('testing/scenarios-real/17-tool-approval-live');
    const call = onlyCall(plan);
    expect(plan.tools[call.toolKey]!.operationClasses).toEqual(['write']);
    expect(evaluateToolCall(plan, call)).toMatchObject({
      verdict: 'approval_required',
      policy: 'ToolPermission rr-real-tool-approval/rr-real-approval-perm',
      rule: 'operation_rules[0]',
      code: 'APPROVAL_REQUIRED',
      operationClass: 'write',
    });
  });

  it('17-tool-approval-live with the agent given allowed_tools: the approval is bypassed (roles only)', async () => {
    const plan = await planOf('testing/scenarios-real/17-tool-approval-live');
    const call = onlyCall(plan);
    plan.agents[call.agent]!.allowedTools = [call.toolKey];
    expect(evaluateToolCall(plan, call)).toMatchObject({ verdict: 'allow', rule: 'allowed_tools', code: null });
  });
});
