/**
 * Token usage as both sides of the wire read it: the activity writes what failed attempts spent
 * into heartbeat and failure details, the workflow and the audit read it back and add it up.
 */
import type { TokenUsage } from './activity-io.ts';
import type { UsageTotals } from './run-io.ts';

/**
 * The field of an activity's heartbeat and failure details that carries the tokens its
 * failed attempts consumed (see activities/spent-usage.ts, which writes it).
 */
export const SPENT_USAGE_FIELD = 'spentUsage';

/** Heartbeat or failure details carrying `spent`. */
export function spentUsageDetails(spent: TokenUsage): { [SPENT_USAGE_FIELD]: TokenUsage } {
  return { [SPENT_USAGE_FIELD]: spent };
}

/** The spent tokens `details` carry, if any. */
export function spentUsageIn(details: unknown): TokenUsage | undefined {
  if (details === null || typeof details !== 'object') return undefined;
  const value = (details as Record<string, unknown>)[SPENT_USAGE_FIELD];
  if (value === null || typeof value !== 'object') return undefined;
  const { inputTokens, outputTokens, totalTokens } = value as Record<string, unknown>;
  if (typeof inputTokens !== 'number' || typeof outputTokens !== 'number' || typeof totalTokens !== 'number') return undefined;
  return totalTokens > 0 ? { inputTokens, outputTokens, totalTokens } : undefined;
}

/** More tokens than any call reports: what an endless count is taken as (one that is not a number counts none). */
const MAX_TOKEN_COUNT = 1e12;

function saneCount(value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) return 0;
  return Number.isFinite(value) ? Math.min(Math.ceil(value), MAX_TOKEN_COUNT) : MAX_TOKEN_COUNT;
}

/**
 * Usage as the ledger may charge it, whatever a provider (or a hostile upstream) reported:
 * counts are whole and not negative, an endless count is taken as a huge one (so it exhausts a
 * budget rather than turning it off), and the total is at least input plus output.
 */
export function saneUsage(usage: TokenUsage): TokenUsage {
  const inputTokens = saneCount(usage.inputTokens);
  const outputTokens = saneCount(usage.outputTokens);
  return { inputTokens, outputTokens, totalTokens: Math.max(saneCount(usage.totalTokens), inputTokens + outputTokens) };
}

/** The sum of two usages, either of which may be absent. */
export function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (!a || !b) return a ?? b;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}

export function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0, modelCalls: 0, toolCalls: 0, toolErrors: 0, costUsd: 0 };
}
