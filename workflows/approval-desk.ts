/**
 * Human approvals inside a run: pending tool calls, listed by the `approvals` query and
 * decided through the `decideApproval` update (who decided and why are in the update's
 * history events). A timer bounds each wait. Workflow code: Temporal APIs, no I/O.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { approvalWaitSummary } from '../contract/wait-summaries.ts';
import type { ApprovalDecisionInput, ApprovalOutcome, ApprovalRequest, PendingApproval } from '../contract/run-io.ts';

import { approvalsQuery, decideApprovalUpdate } from '../contract/wire-names.ts';

export { approvalsQuery, decideApprovalUpdate };

/** Orloj's ToolApproval default. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60 * 1000;

/** Registers the query and update on this workflow; returns the wait used by the interpreter. */
export function openApprovalDesk(timeoutMs: number = DEFAULT_APPROVAL_TIMEOUT_MS): (request: ApprovalRequest) => Promise<ApprovalOutcome> {
  const pending = new Map<string, PendingApproval>();
  const decided = new Map<string, ApprovalOutcome>();
  setHandler(approvalsQuery, () => [...pending.values()]);
  setHandler(
    decideApprovalUpdate,
    (input) => {
      // A decision that reaches the run after the deadline (say no worker was up when the
      // timer fired, so both arrive in one workflow task) is recorded and refused, never applied.
      const expiresAt = pending.get(input.id)?.expiresAt ?? 0;
      if (Date.now() >= expiresAt) return { id: input.id, decision: 'expired' as const };
      const decision = input.decision === 'approve' ? 'approved' : 'denied';
      decided.set(input.id, { decision, decidedBy: input.decidedBy, reason: input.reason ?? null });
      return { id: input.id, decision };
    },
    {
      // Rejected before it is recorded: only a pending approval can be decided, once.
      validator: (input) => {
        if (!pending.has(input.id) || decided.has(input.id)) throw new Error(`no pending approval ${input.id}`);
        if (input.decision !== 'approve' && input.decision !== 'deny') throw new Error('decision must be approve or deny');
        if (!input.decidedBy) throw new Error('decidedBy is required');
      },
    }
  );
  return async (request) => {
    const requestedAt = Date.now();
    pending.set(request.id, { ...request, requestedAt, expiresAt: requestedAt + timeoutMs });
    try {
      const answered = await condition(() => decided.has(request.id), timeoutMs, { summary: approvalWaitSummary(request) });
      return answered ? decided.get(request.id)! : { decision: 'timeout' };
    } finally {
      pending.delete(request.id);
    }
  };
}
