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
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrchSystem = defineSearchAttributeKey('OrchSystem', SearchAttributeType.KEYWORD);
export const OrchTask = defineSearchAttributeKey('OrchTask', SearchAttributeType.KEYWORD);
export const OrchPlanHash = defineSearchAttributeKey('OrchPlanHash', SearchAttributeType.KEYWORD);
export const OrchStatus = defineSearchAttributeKey('OrchStatus', SearchAttributeType.KEYWORD);
export const OrchTotalTokens = defineSearchAttributeKey('OrchTotalTokens', SearchAttributeType.INT);
export const OrchCostUsd = defineSearchAttributeKey('OrchCostUsd', SearchAttributeType.DOUBLE);
export const OrchDenials = defineSearchAttributeKey('OrchDenials', SearchAttributeType.INT);

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
export type OrchRunStatus = 'running' | 'awaiting_approval' | 'budget_paused' | 'completed' | 'failed' | 'denied';
