/**
 * The parts of workflow Effects a unit test of the agent loop usually does not exercise: no
 * MCP tools, approvals granted, budget waits wrapped up, instant timers, no delegates. A test
 * spreads these and writes only the calls it is about.
 */
import type { Effects } from '../../workflows/effects.ts';
import { CallFailure } from '../../workflows/run-failure.ts';

export function inertEffects(): Pick<Effects, 'listMcpTools' | 'awaitApproval' | 'awaitBudget' | 'sleep' | 'withTimeout' | 'delegate'> {
  return {
    listMcpTools: async () => [],
    awaitApproval: async () => ({ decision: 'approved', decidedBy: 'test', reason: null }),
    awaitBudget: async () => ({ action: 'wrap_up', decidedBy: 'test' }),
    sleep: async () => {},
    withTimeout: (_ms, fn) => fn(),
    delegate: () => Promise.reject(new CallFailure('DELEGATION_FAILED', 'no delegates in this test')),
  };
}
