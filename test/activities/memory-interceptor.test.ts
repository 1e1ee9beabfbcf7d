/** The worker-side check of `callMemory`: the run's own plan, its Memory and grant, and the decision taken again. */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { GateCheck } from '../../contract/activity-io.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { Plan, PlanMemory } from '../../contract/plan.ts';
import { createPolicyInterceptor } from '../../worker/policy-interceptor.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { agent, planOf } from '../helpers/plan-builder.ts';

const store: PlanMemory = { id: { namespace: 'default', name: 'notes' }, type: 'keyword', provider: 'in-memory', embeddingModel: null, maxEntries: 10, maxBytes: 1000 };
const plan: Plan = planOf([agent('a', { memory: { memory: 'default/notes', tools: ['memory.read'] } })], [], { memories: { 'default/notes': store } });
const gate: GateCheck = { system: plan.system.name, task: null, agent: 'a', agentSpec: { ...plan.agents.a!, prompt: '', description: '', outputSchema: null }, governance: plan.governance, approval: null };

function memoryCall(overrides: Partial<MemoryCallRequest> = {}): MemoryCallRequest {
  return { agent: 'a', step: 1, memoryKey: 'default/notes', memory: store, call: { id: 'c', name: 'memory.read', input: { key: 'k' } }, gate, ...overrides };
}

async function intercept(request: unknown, workflowType = 'orchRun'): Promise<{ ran: boolean; failure?: ApplicationFailure }> {
  const interceptor = createPolicyInterceptor({ readRunStart: async () => ({ workflowType, args: [{ plan }] }) });
  const env = new MockActivityEnvironment({ activityType: 'callMemory', workflowType, workflowExecution: { workflowId: 'w', runId: 'r' } });
  let ran = false;
  try {
    await interceptor(env.context).inbound!.execute!({ args: [request], headers: {} }, async () => {
      ran = true;
      return 'done';
    });
    return { ran };
  } catch (error) {
    if (!(error instanceof ApplicationFailure)) throw error;
    return { ran, failure: error };
  }
}

describe('callMemory on the worker', () => {
  it('runs the call the plan grants', async () => {
    expect(await intercept(memoryCall())).toEqual({ ran: true });
  });

  it.each([
    ['a tool the grant lacks', memoryCall({ call: { id: 'c', name: 'memory.write', input: { key: 'k', value: 'v' } } }), /not granted memory tool memory\.write/],
    ['another Memory', memoryCall({ memoryKey: 'default/other' }), /has no memory default\/other/],
    ['a Memory with other bounds', memoryCall({ memory: { ...store, maxEntries: 1e9 } }), /differs from the plan's memory/],
    ['an agent the plan lacks', memoryCall({ agent: 'intruder' }), /not in the run's plan/],
    ['no gate', memoryCall({ gate: undefined }), /no policy decision/],
  ])('refuses %s', async (_what, request, reason) => {
    const outcome = await intercept(request);
    expect(outcome.ran).toBe(false);
    expect(outcome.failure).toMatchObject({ type: 'POLICY_DENIED', nonRetryable: true });
    expect(outcome.failure!.message).toMatch(reason);
  });

  it('refuses a call scheduled by a Memory store workflow: only runs and delegates schedule orch activities', async () => {
    const outcome = await intercept(memoryCall(), 'orchMemory');
    expect(outcome).toMatchObject({ ran: false, failure: { type: 'POLICY_DENIED' } });
  });
});
