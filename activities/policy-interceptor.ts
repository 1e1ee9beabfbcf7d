/**
 * The worker-side policy check: an activity interceptor that re-takes the workflow's policy
 * decision before any model or tool call runs, and fails closed (non-retryable
 * POLICY_DENIED) when the decision is missing or does not hold. An orch activity started by
 * anything other than orch's workflow therefore does nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { recheckModelCall, recheckToolCall } from '../policies/recheck.ts';
import type { ModelCallRequest, ToolCallRequest } from './types.ts';

function refuse(activityType: string, reason: string): never {
  throw ApplicationFailure.create({
    type: 'POLICY_DENIED',
    message: `${activityType} refused on the worker: ${reason}`,
    nonRetryable: true,
  });
}

export const policyInterceptor: ActivityInterceptorsFactory = (context) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const activityType = context.info.activityType;
      const request = input.args[0];
      if (activityType === 'callModel') {
        const result = recheckModelCall((request ?? {}) as ModelCallRequest);
        if (!result.allowed) refuse(activityType, result.reason);
      } else if (activityType === 'callTool') {
        const result = recheckToolCall((request ?? {}) as ToolCallRequest);
        if (!result.allowed) refuse(activityType, result.reason);
      }
      return next(input);
    },
  };
  return { inbound };
};
