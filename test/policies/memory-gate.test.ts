/** The built-in memory tools under the policy gate: only what `allow` grants, then the rules of any tool, by the tool's name. */
import { describe, expect, it } from 'vitest';
import type { GateCheck } from '../../contract/activity-io.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { Plan, PlanMemory, PlanToolPermission } from '../../contract/plan.ts';
import { evaluateMemoryCall } from '../../policies/engine.ts';
import { checkMemoryCall } from '../../policies/gate.ts';
import { recheckMemoryCall } from '../../policies/recheck.ts';
import { agent, globalPolicy, planOf } from '../helpers/plan-builder.ts';

const store: PlanMemory = { id: { namespace: 'default', name: 'notes' }, type: 'keyword', provider: 'in-memory', embeddingModel: null, maxEntries: 10, maxBytes: 1000 };

function planWith(overrides: Partial<Plan> = {}, roles: string[] = []): Plan {
  return planOf([agent('scribe', { roles, memory: { memory: 'default/notes', tools: ['memory.read', 'memory.write'] } }), agent('reader')], [], {
    memories: { 'default/notes': store },
    ...overrides,
  });
}

function permission(overrides: Partial<PlanToolPermission>): PlanToolPermission {
  return {
    id: { namespace: 'default', name: 'memory-writes' },
    toolRef: 'memory.write',
    action: 'invoke',
    requiredPermissions: [],
    matchMode: 'all',
    applyMode: 'global',
    targetAgents: [],
    operationRules: [],
    ...overrides,
  };
}

describe('memory tools at the gate', () => {
  it('a tool the grant lists is allowed; one it does not, or an agent without a grant, is denied', () => {
    const plan = planWith();
    expect(checkMemoryCall(plan, 'scribe', 'memory.read')).toEqual({ allowed: true });
    expect(checkMemoryCall(plan, 'scribe', 'memory.search')).toMatchObject({ allowed: false, code: 'POLICY_DENIED' });
    expect(checkMemoryCall(plan, 'reader', 'memory.read')).toMatchObject({ allowed: false, code: 'POLICY_DENIED' });
  });

  it('blocked_tools names them as the model calls them, or by a look-alike', () => {
    const plan = planWith({ governance: { policies: [globalPolicy('no-writes', { blockedTools: ['Memory.Write'] })], roles: {}, toolPermissions: [] } });
    expect(evaluateMemoryCall(plan, { agent: 'scribe', tool: 'memory.write' })).toMatchObject({ verdict: 'deny', policy: 'AgentPolicy default/no-writes', rule: 'blocked_tools' });
    expect(checkMemoryCall(plan, 'scribe', 'memory.read')).toEqual({ allowed: true });
    const confusable = planWith({ governance: { policies: [globalPolicy('no-writes', { blockedTools: ['memory.wrіte'] })], roles: {}, toolPermissions: [] } });
    expect(evaluateMemoryCall(confusable, { agent: 'scribe', tool: 'memory.write' })).toMatchObject({ verdict: 'deny', rule: 'blocked_tools' });
  });

  it('a ToolPermission can ask for approval of writes (operation class write) and leave reads alone', () => {
    const rules = [{ operationClass: 'write', verdict: 'approval_required' as const }];
    const plan = planWith({ governance: { policies: [], roles: {}, toolPermissions: [permission({ toolRef: 'memory.write', operationRules: rules })] } });
    expect(evaluateMemoryCall(plan, { agent: 'scribe', tool: 'memory.write' })).toMatchObject({ verdict: 'approval_required', rule: 'operation_rules[0]', operationClass: 'write' });
    expect(checkMemoryCall(plan, 'scribe', 'memory.read')).toEqual({ allowed: true });
  });

  it('an agent with roles needs the default permission for the tool, as for any tool', () => {
    const plan = planWith({ governance: { policies: [], roles: { 'default/writer': { permissions: ['tool:memory.read:invoke'] } }, toolPermissions: [] } }, ['default/writer']);
    expect(evaluateMemoryCall(plan, { agent: 'scribe', tool: 'memory.read' }).verdict).toBe('allow');
    expect(evaluateMemoryCall(plan, { agent: 'scribe', tool: 'memory.write' })).toMatchObject({ verdict: 'deny', rule: 'default_permissions' });
  });
});

describe('the worker re-check', () => {
  const plan = planWith({ governance: { policies: [globalPolicy('no-writes', { blockedTools: ['memory.write'] })], roles: {}, toolPermissions: [] } });
  const gate = (): GateCheck => ({ system: plan.system.name, task: null, agent: 'scribe', agentSpec: { ...plan.agents.scribe!, prompt: '', description: '' }, governance: plan.governance, approval: null });
  const request = (name: string, overrides: Partial<MemoryCallRequest> = {}): MemoryCallRequest => ({
    agent: 'scribe',
    step: 1,
    memoryKey: 'default/notes',
    memory: store,
    call: { id: 'c1', name, input: { key: 'k' } },
    gate: gate(),
    ...overrides,
  });

  it('takes the workflow decision again from what the call carries', () => {
    expect(recheckMemoryCall(request('memory.read'))).toEqual({ allowed: true });
    expect(recheckMemoryCall(request('memory.write'))).toMatchObject({ allowed: false });
    expect(recheckMemoryCall(request('memory.list'))).toMatchObject({ allowed: false });
    expect(recheckMemoryCall(request('memory.read', { memoryKey: 'default/other' }))).toMatchObject({ allowed: false });
    expect(recheckMemoryCall(request('memory.read', { gate: undefined }))).toMatchObject({ allowed: false });
  });
});
