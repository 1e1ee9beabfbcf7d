/**
 * The summaries of the timers a run waits on for people (an approval's TTL, a budget pause).
 * They name what is waited for, so the Web UI shows it, and the audit trail reads approval
 * requests, time-outs and budget pauses from history by them (see audit.ts).
 */
import type { ApprovalRequest, BudgetRequest } from './run-io.ts';

const SEPARATOR = ' · ';

export function approvalWaitSummary(request: ApprovalRequest): string {
  return ['approval', request.id, request.agent, request.tool].join(SEPARATOR);
}

export function budgetWaitSummary(request: BudgetRequest): string {
  return ['budget paused', request.agent, request.limit, request.policy].join(SEPARATOR);
}

export type WaitSummary =
  | { kind: 'approval'; id: string; agent: string; tool: string }
  | { kind: 'budget'; agent: string; limit: string; policy: string };

/** What a timer summary says the run waited for, or null for any other timer. */
export function parseWaitSummary(summary: unknown): WaitSummary | null {
  if (typeof summary !== 'string') return null;
  const [head, a, b, ...rest] = summary.split(SEPARATOR);
  if (a === undefined || b === undefined || rest.length === 0) return null;
  if (head === 'approval') return { kind: 'approval', id: a, agent: b, tool: rest.join(SEPARATOR) };
  if (head === 'budget paused') return { kind: 'budget', agent: a, limit: b, policy: rest.join(SEPARATOR) };
  return null;
}
