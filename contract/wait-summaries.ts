/**
 * The summaries of the timers a run waits on for people (an approval's TTL, a budget pause).
 * They name what is waited for, so the Web UI shows it, and the audit trail reads approval
 * requests, time-outs and budget pauses from history by them (see audit.ts).
 */
import type { ApprovalRequest, BudgetRequest } from './run-io.ts';

const SEPARATOR = ' · ';

/** No rule: a policy whose verdict is not one rule's. */
const NO_RULE = '-';

/** `approval · <id> · <agent> · <tool> · <policy> · <rule>` (runs before policy and rule were named end at the tool). */
export function approvalWaitSummary(request: ApprovalRequest): string {
  return ['approval', request.id, request.agent, request.tool, request.policy, request.rule ?? NO_RULE].join(SEPARATOR);
}

export function budgetWaitSummary(request: BudgetRequest): string {
  return ['budget paused', request.agent, request.limit, request.policy].join(SEPARATOR);
}

export type WaitSummary =
  | { kind: 'approval'; id: string; agent: string; tool: string; policy: string | null; rule: string | null }
  | { kind: 'budget'; agent: string; limit: string; policy: string };

/** What a timer summary says the run waited for, or null for any other timer. */
export function parseWaitSummary(summary: unknown): WaitSummary | null {
  if (typeof summary !== 'string') return null;
  const [head, a, b, ...rest] = summary.split(SEPARATOR);
  if (a === undefined || b === undefined || rest.length === 0) return null;
  if (head === 'approval') {
    // Names never hold the separator; a policy's name may (it is free text in a refusal), so it takes what the rule leaves.
    const [tool, ...named] = rest;
    const rule = named.length >= 2 ? named.pop()! : null;
    return { kind: 'approval', id: a, agent: b, tool: tool!, policy: named.length > 0 ? named.join(SEPARATOR) : null, rule: rule === NO_RULE ? null : rule };
  }
  if (head === 'budget paused') return { kind: 'budget', agent: a, limit: b, policy: rest.join(SEPARATOR) };
  return null;
}
