/**
 * The run's own search attributes (status, tokens, cost, denials), kept current from inside
 * the workflow. See search-attributes.ts for the keys and why a run may have none.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { OrchCostUsd, OrchDenials, OrchStatus, OrchTotalTokens, type OrchRunStatus } from '../contract/search-attributes.ts';
import type { UsageTotals } from '../contract/run-io.ts';
import { roundCost } from './usage-ledger.ts';

interface Board {
  status: OrchRunStatus;
  tokens: number;
  costUsd: number;
  denials: number;
}

/**
 * Keeps the run's attributes current: an upsert (one history event) only when the status
 * changes, and then with the totals so far, so a long run's attributes move at its milestones
 * rather than on every call.
 */
export class RunStatusBoard {
  private readonly enabled: boolean;
  private readonly shown: Board;

  constructor(enabled: boolean, carried?: { tokens: number; costUsd: number; denials: number }) {
    this.enabled = enabled;
    this.shown = { status: 'running', tokens: carried?.tokens ?? 0, costUsd: carried?.costUsd ?? 0, denials: carried?.denials ?? 0 };
  }

  show(status: OrchRunStatus, usage: UsageTotals, denials: number, options: { force?: boolean } = {}): void {
    if (!this.enabled) return;
    const next: Board = { status, tokens: usage.totalTokens, costUsd: roundCost(usage.costUsd), denials };
    const totalsSame = next.tokens === this.shown.tokens && next.costUsd === this.shown.costUsd && next.denials === this.shown.denials;
    // Upsert on a new status; on the same status only when forced and something moved.
    if (next.status === this.shown.status && (totalsSame || !options.force)) return;
    upsertSearchAttributes([
      { key: OrchStatus, value: next.status },
      { key: OrchTotalTokens, value: next.tokens },
      { key: OrchCostUsd, value: next.costUsd },
      { key: OrchDenials, value: next.denials },
    ]);
    Object.assign(this.shown, next);
  }
}
