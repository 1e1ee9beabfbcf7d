/**
 * The worker-side policy check: an activity interceptor that re-takes the workflow's policy
 * decision before any model or tool call runs, and fails closed (non-retryable
 * POLICY_DENIED) when the call was not scheduled by an orch workflow type, or its decision is
 * missing or does not hold. An orch activity started by anything else therefore does nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { recheckModelCall, recheckToolCall } from '../policies/recheck.ts';
import type { ModelCallRequest, ToolCallRequest } from './types.ts';

/** The workflow types orch registers (see workflows/index.ts). */
const ORCH_WORKFLOW_TYPES: ReadonlySet<string> = new Set(['orchRun', 'orchDelegate']);

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
      const isOrchCall = activityType === 'callModel' || activityType === 'callTool';
      // The server names the workflow that scheduled the call; nothing the caller sends can change it.
      if (isOrchCall && !ORCH_WORKFLOW_TYPES.has(context.info.workflowType ?? '')) {
        refuse(activityType, `it was scheduled by workflow type ${context.info.workflowType}, not by an orch run`);
      }
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
