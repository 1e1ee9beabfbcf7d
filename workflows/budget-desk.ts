/**
 * A run paused on its budget (`on_budget_exhausted: pause`): the `budget` query shows why, and
 * the `resolveBudget` update adds budget or tells it to wrap up; who decided and why are in
 * the update's history events. It waits as long as it takes: the pause is durable.
 */
import { condition, patched, setHandler } from '@temporalio/workflow';
import type { BudgetRequest, BudgetResolution } from '../contract/run-io.ts';
import { budgetWaitSummary } from '../contract/wait-summaries.ts';

/** A budget pause has no deadline; its timer is renewed after this long. */
const PAUSE_TIMER_MS = 30 * 24 * 60 * 60 * 1000;
const NAMED_PAUSE_PATCH = 'orch-named-budget-pause';

import { budgetQuery, resolveBudgetUpdate } from '../contract/wire-names.ts';

export { budgetQuery, resolveBudgetUpdate };

export function openBudgetDesk(): (request: BudgetRequest) => Promise<BudgetResolution> {
  let pending: BudgetRequest | null = null;
  let resolution: BudgetResolution | null = null;
  setHandler(budgetQuery, () => pending);
  setHandler(
    resolveBudgetUpdate,
    (input) => {
      resolution = input;
      return { action: input.action };
    },
    {
      validator: (input) => {
        if (pending === null || resolution !== null) throw new Error('the run is not paused on its budget');
        if (input.action !== 'top_up' && input.action !== 'wrap_up') throw new Error('action must be top_up or wrap_up');
        if (!input.decidedBy) throw new Error('decidedBy is required');
        const added = [input.tokens, input.costUsd, input.modelCalls, input.toolCalls];
        if (input.action === 'top_up' && !added.some((n) => typeof n === 'number' && n > 0)) {
          throw new Error('a top-up must add tokens, costUsd, modelCalls or toolCalls');
        }
      },
    }
  );
  return async (request) => {
    pending = request;
    resolution = null;
    try {
      if (patched(NAMED_PAUSE_PATCH)) {
        // As long as it takes; the timer only names the wait in history and the Web UI.
        while (!(await condition(() => resolution !== null, PAUSE_TIMER_MS, { summary: budgetWaitSummary(request) })));
      } else {
        // Runs paused before pauses were named wait without a timer, as they started to.
        await condition(() => resolution !== null);
      }
      return resolution!;
    } finally {
      pending = null;
      resolution = null;
    }
  };
}
