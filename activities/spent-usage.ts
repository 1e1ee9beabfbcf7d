/**
 * Tokens that model-call attempts consumed without producing a usable result (an answer
 * that failed its output schema, a malformed tool call) still cost money, so they are
 * charged. Temporal retries attempts out of the workflow's sight, so the activity carries
 * the tally itself: each failing attempt that consumed tokens adds them to its heartbeat
 * details (the final heartbeat of a failing attempt is always delivered) and to its
 * failure's details; the next attempt starts from that tally and reports it with its
 * result. The workflow charges it either way.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import { addUsage, saneUsage, spentUsageDetails, spentUsageIn } from '../contract/usage.ts';
import type { TokenUsage } from '../contract/activity-io.ts';

export { addUsage, spentUsageDetails };

/** What earlier attempts of this activity spent, from the last heartbeat they sent. */
export function priorAttemptsUsage(context: Context | undefined): TokenUsage | undefined {
  return context && context.info.attempt > 1 ? spentUsageIn(context.info.heartbeatDetails) : undefined;
}

/** AI SDK usage (fields may be undefined) in orch's form. */
export function tokenUsage(usage: { inputTokens?: number | undefined; outputTokens?: number | undefined; totalTokens?: number | undefined }): TokenUsage {
  return saneUsage({ inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, totalTokens: usage.totalTokens ?? 0 });
}

/**
 * Whether a provider's result counted its tokens in a way the ledger can believe: at least one
 * count, and none negative. Otherwise the workflow charges the call's whole reservation, so a
 * provider cannot turn a budget off by reporting less than nothing.
 */
export function usageReported(usage: { inputTokens?: number | undefined; outputTokens?: number | undefined }): boolean {
  const counts = [usage.inputTokens, usage.outputTokens].filter((count): count is number => typeof count === 'number');
  return counts.length > 0 && counts.every((count) => !Number.isNaN(count) && count >= 0);
}

/** The usage an AI SDK error reports (NoObjectGeneratedError carries it), if any. */
export function usageOfError(error: unknown): TokenUsage | undefined {
  if (error === null || typeof error !== 'object' || !('usage' in error)) return undefined;
  const usage = (error as { usage?: unknown }).usage;
  if (usage === null || typeof usage !== 'object') return undefined;
  const tokens = tokenUsage(usage as Parameters<typeof tokenUsage>[0]);
  return tokens.totalTokens > 0 ? tokens : undefined;
}

/**
 * Records what the attempts so far cost the moment this one has its answer, before it returns:
 * a worker killed between the provider's answer and the activity's completion loses the
 * result, but the next attempt finds the tokens in the heartbeat details and reports them, so
 * they are charged. Still lost: a heartbeat the dying worker never got to the server (the SDK
 * holds one back up to the throttle interval, 1 s, after an earlier heartbeat of the attempt).
 */
export function heartbeatSpentUsage(context: Context | undefined, spent: TokenUsage | undefined): void {
  if (spent && spent.totalTokens > 0 && context && !context.info.isLocal) context.heartbeat(spentUsageDetails(spent));
}

/**
 * Records `spent` (all attempts so far) on a failing attempt: in the final heartbeat, for
 * the next attempt, and in the failure's details, for the workflow when no attempt is left.
 */
export function withSpentUsage(failure: unknown, spent: TokenUsage | undefined, context: Context | undefined): unknown {
  if (!spent || !(failure instanceof ApplicationFailure)) return failure;
  if (context && !context.info.isLocal) context.heartbeat(spentUsageDetails(spent));
  return withFailureDetails(failure, spentUsageDetails(spent));
}

/** `failure` again with `extra` merged into its first details object. */
export function withFailureDetails(failure: unknown, extra: object): unknown {
  if (!(failure instanceof ApplicationFailure)) return failure;
  const [first, ...rest] = failure.details ?? [];
  const details = first !== null && typeof first === 'object' ? { ...first, ...extra } : extra;
  return ApplicationFailure.create({
    ...(failure.type ? { type: failure.type } : {}),
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? false,
    ...(failure.nextRetryDelay != null ? { nextRetryDelay: failure.nextRetryDelay } : {}),
    details: [details, ...rest],
  });
}
