/**
 * orch's search attributes: runs are searchable fleet-wide by system, task, plan, status,
 * tokens, cost and denials (`orch runs --query`, or the Web UI's filter). The dev server
 * registers them at start (`orch server`); on another cluster an operator registers them once
 * (`temporal operator search-attribute create`), or `orch run` does when it may.
 *
 * The client sets them all when it starts a run and tells the workflow whether that worked:
 * upserting an attribute the cluster does not know fails the workflow task, so a run started
 * without them never upserts.
 */
import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** A typed search attribute key (the SDK does not export the interface by name). */
export type SearchAttributeKey<T extends SearchAttributeType> = ReturnType<typeof defineSearchAttributeKey<T>>;

/** The key `defineSearchAttributeKey` would make, without importing the SDK at run time. */
function key<T extends SearchAttributeType>(name: string, type: T): SearchAttributeKey<T> {
  return { name, type };
}

export const OrchSystem: SearchAttributeKey<'KEYWORD'> = key('OrchSystem', 'KEYWORD');
export const OrchTask: SearchAttributeKey<'KEYWORD'> = key('OrchTask', 'KEYWORD');
export const OrchPlanHash: SearchAttributeKey<'KEYWORD'> = key('OrchPlanHash', 'KEYWORD');
export const OrchStatus: SearchAttributeKey<'KEYWORD'> = key('OrchStatus', 'KEYWORD');
export const OrchTotalTokens: SearchAttributeKey<'INT'> = key('OrchTotalTokens', 'INT');
export const OrchCostUsd: SearchAttributeKey<'DOUBLE'> = key('OrchCostUsd', 'DOUBLE');
export const OrchDenials: SearchAttributeKey<'INT'> = key('OrchDenials', 'INT');

/** Name and CLI type of every attribute, for `temporal server start-dev --search-attribute`. */
export const ORCH_SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'Int' | 'Double' | 'KeywordList' }> = [
  { name: 'OrchSystem', type: 'Keyword' },
  { name: 'OrchTask', type: 'Keyword' },
  { name: 'OrchPlanHash', type: 'Keyword' },
  { name: 'OrchStatus', type: 'Keyword' },
  { name: 'OrchTotalTokens', type: 'Int' },
  { name: 'OrchCostUsd', type: 'Double' },
  { name: 'OrchDenials', type: 'Int' },
];

/**
 * What a run is doing, as `OrchStatus` says it: finer than Temporal's execution status
 * (`denied` is a run a policy, an approver or a budget stopped).
 */
export type OrchRunStatus = 'running' | 'awaiting_approval' | 'budget_paused' | 'completed' | 'failed' | 'denied' | 'canceled';
