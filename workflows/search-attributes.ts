/**
 * orch's search attributes: runs are searchable fleet-wide by system, task and plan.
 * The dev server registers them at start (`orch server`); on another cluster an operator
 * registers them once (`temporal operator search-attribute create`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrchSystem = defineSearchAttributeKey('OrchSystem', SearchAttributeType.KEYWORD);
export const OrchTask = defineSearchAttributeKey('OrchTask', SearchAttributeType.KEYWORD);
export const OrchPlanHash = defineSearchAttributeKey('OrchPlanHash', SearchAttributeType.KEYWORD);

/** Name and CLI type of every attribute, for `temporal server start-dev --search-attribute`. */
export const ORCH_SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'Int' | 'Double' | 'KeywordList' }> = [
  { name: 'OrchSystem', type: 'Keyword' },
  { name: 'OrchTask', type: 'Keyword' },
  { name: 'OrchPlanHash', type: 'Keyword' },
];
