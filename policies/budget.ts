/**
 * Budgets: the most restrictive of the applicable AgentPolicies' per-run limits on tokens,
 * cost and calls, and the arithmetic of reserving before a call and settling after it.
 * Pure: the ledger lives in workflow state; this decides whether a call fits.
 */
import type { Plan, PlanModel } from '../contract/plan.ts';
import type { BudgetLimit, BudgetLimits, BudgetState } from '../contract/run-io.ts';
import { applicablePolicies } from './engine.ts';

export type { BudgetLimit, BudgetLimits, BudgetState } from '../contract/run-io.ts';

/** What happens when a call does not fit: the run fails, or it waits for a person (`pause`). */
export function onBudgetExhausted(plan: Plan, agent: string): 'fail' | 'pause' {
  return applicablePolicies(plan, agent).some((policy) => policy.onBudgetExhausted?.toLowerCase() === 'pause') ? 'pause' : 'fail';
}

/** Limits raised by what people added to a paused run. */
export function withTopUps(limits: BudgetLimits, added: BudgetState): BudgetLimits {
  const raise = (limit: BudgetLimit | null, by: number) => (limit && by > 0 ? { ...limit, value: limit.value + by } : limit);
  return {
    tokens: raise(limits.tokens, added.tokens),
    costUsd: raise(limits.costUsd, added.costUsd),
    modelCalls: raise(limits.modelCalls, added.modelCalls),
    toolCalls: raise(limits.toolCalls, added.toolCalls),
  };
}

export type BudgetDecision =
  | { fits: true; maxOutputTokens: number | null; reserve: BudgetState }
  | { fits: false; limit: keyof BudgetLimits; policy: string; reason: string };

function tighter(current: BudgetLimit | null, value: number | null, policy: string): BudgetLimit | null {
  if (value === null || value <= 0) return current;
  return current === null || value < current.value ? { value, policy } : current;
}

export function budgetLimits(plan: Plan, agent: string): BudgetLimits {
  let limits: BudgetLimits = { tokens: null, costUsd: null, modelCalls: null, toolCalls: null };
  for (const policy of applicablePolicies(plan, agent)) {
    const name = `AgentPolicy ${policy.id.namespace}/${policy.id.name}`;
    limits = {
      tokens: tighter(limits.tokens, policy.maxTokensPerRun, name),
      costUsd: tighter(limits.costUsd, policy.maxCostUsdPerRun, name),
      modelCalls: tighter(limits.modelCalls, policy.maxModelCallsPerRun, name),
      toolCalls: tighter(limits.toolCalls, policy.maxToolCallsPerRun, name),
    };
  }
  return limits;
}

/** A zero budget state, fresh for each caller to add to. */
export function noBudget(): BudgetState {
  return { tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 };
}

/** `a + sign × b`, field by field. */
export function addBudget(a: BudgetState, b: BudgetState, sign: 1 | -1 = 1): BudgetState {
  return {
    tokens: a.tokens + sign * b.tokens,
    costUsd: a.costUsd + sign * b.costUsd,
    modelCalls: a.modelCalls + sign * b.modelCalls,
    toolCalls: a.toolCalls + sign * b.toolCalls,
  };
}

const NOTHING: BudgetState = noBudget();

/**
 * The output cap a model call gets when a token or money budget applies and its endpoint
 * sets no `max_tokens` (or `max_output_tokens` / `max_completion_tokens`). A call reserves its
 * own bound, never the run's remainder, so parallel calls do not crowd each other out.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** The ModelEndpoint options that cap a reply's tokens, in precedence order (the activity applies the same). */
export const OUTPUT_CAP_OPTIONS = ['max_output_tokens', 'max_tokens', 'max_completion_tokens'] as const;

/** The endpoint's own output cap from its options (Orloj writes numbers as strings), if it sets one. */
export function endpointOutputCap(model: Pick<PlanModel, 'options'>): number | null {
  for (const name of OUTPUT_CAP_OPTIONS) {
    const raw = model.options[name];
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (Number.isFinite(value) && value >= 1) return Math.floor(value);
  }
  return null;
}

/**
 * Whether a model call fits, and with how much output. The bound reserved is an upper bound
 * of the input plus the output the call is given: the endpoint's cap (or
 * DEFAULT_MAX_OUTPUT_TOKENS), clamped to what the limits leave. A call with no room left for
 * output is not made. Without a token or money limit the call keeps its endpoint's own cap.
 */
export function reserveModelCall(
  limits: BudgetLimits,
  used: BudgetState,
  inputBound: number,
  pricing: PlanModel['pricing'],
  outputCap: number | null = null
): BudgetDecision {
  if (limits.modelCalls && used.modelCalls + 1 > limits.modelCalls.value) {
    return { fits: false, limit: 'modelCalls', policy: limits.modelCalls.policy, reason: `${limits.modelCalls.value} model calls per run are spent or in flight` };
  }
  const priced = limits.costUsd !== null && pricing !== null && (pricing.inputPerMillion > 0 || pricing.outputPerMillion > 0);
  if (!limits.tokens && !priced) {
    return { fits: true, maxOutputTokens: null, reserve: { ...NOTHING, modelCalls: 1 } };
  }
  let maxOutput = outputCap ?? DEFAULT_MAX_OUTPUT_TOKENS;
  let binding: 'tokens' | 'costUsd' = 'tokens';
  if (limits.tokens) maxOutput = Math.min(maxOutput, limits.tokens.value - used.tokens - inputBound);
  if (priced) {
    const left = limits.costUsd!.value - used.costUsd - (inputBound * pricing!.inputPerMillion) / 1e6;
    const affordable = pricing!.outputPerMillion > 0 ? Math.floor((left * 1e6) / pricing!.outputPerMillion) : left >= 0 ? Infinity : -1;
    if (affordable < maxOutput) {
      maxOutput = affordable;
      binding = 'costUsd';
    }
  }
  maxOutput = Math.floor(maxOutput);
  if (maxOutput < 1) {
    const set = limits[binding]!;
    return {
      fits: false,
      limit: binding,
      policy: set.policy,
      reason: `the next call (at most ${inputBound} input tokens) does not fit in what is left of ${set.value} ${binding === 'tokens' ? 'tokens' : 'USD'} per run`,
    };
  }
  const cost = pricing ? (inputBound * pricing.inputPerMillion + maxOutput * pricing.outputPerMillion) / 1e6 : 0;
  return { fits: true, maxOutputTokens: maxOutput, reserve: { ...NOTHING, tokens: inputBound + maxOutput, costUsd: cost, modelCalls: 1 } };
}

export function reserveToolCall(limits: BudgetLimits, used: BudgetState): BudgetDecision {
  if (limits.toolCalls && used.toolCalls + 1 > limits.toolCalls.value) {
    return { fits: false, limit: 'toolCalls', policy: limits.toolCalls.policy, reason: `${limits.toolCalls.value} tool calls per run are spent or in flight` };
  }
  return { fits: true, maxOutputTokens: null, reserve: { ...NOTHING, toolCalls: 1 } };
}

/**
 * A memory call whose Memory embeds through a ModelEndpoint: a tool call, and the tokens its
 * embeddings may take, bounded before it is made (`embedTokens`: see embeddingTokenBound), at
 * the endpoint's input price. Its tokens are the run's, so a call that could take the run past
 * its token or cost limit is not made.
 */
export function reserveMemoryCall(limits: BudgetLimits, used: BudgetState, embedTokens: number, pricing: PlanModel['pricing']): BudgetDecision {
  const tool = reserveToolCall(limits, used);
  if (!tool.fits) return tool;
  if (limits.tokens && used.tokens + embedTokens > limits.tokens.value) {
    return { fits: false, limit: 'tokens', policy: limits.tokens.policy, reason: `the memory call's embeddings (at most ${embedTokens} tokens) do not fit in what is left of ${limits.tokens.value} tokens per run` };
  }
  const cost = pricing ? (embedTokens * pricing.inputPerMillion) / 1_000_000 : 0;
  if (limits.costUsd && used.costUsd + cost > limits.costUsd.value) {
    return { fits: false, limit: 'costUsd', policy: limits.costUsd.policy, reason: `the memory call's embeddings (at most $${cost}) do not fit in what is left of $${limits.costUsd.value} per run` };
  }
  return { fits: true, maxOutputTokens: null, reserve: { ...NOTHING, toolCalls: 1, tokens: embedTokens, costUsd: cost } };
}

/** Tokens an embedding model may count for `texts`: no more than their UTF-8 bytes, and a few per text for its markers. */
export function embeddingTokenBound(texts: readonly string[]): number {
  let bytes = 0;
  for (const text of texts) bytes += utf8Bytes(text) + EMBEDDING_TOKENS_PER_TEXT;
  return bytes;
}

const EMBEDDING_TOKENS_PER_TEXT = 8;

/** UTF-8 length of a string, counted without an encoder (the workflow sandbox may lack one). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const LIMIT_KEYS = ['tokens', 'costUsd', 'modelCalls', 'toolCalls'] as const;

/**
 * The share of what is left that one of `ways` delegations started together holds while it
 * runs: the remainder split evenly (counts rounded up, so 3 tool calls over 4 delegates are
 * 1, 1, 1, 0 as they take them in turn), never more than is left. Each share names the
 * policy whose limit it divides. Null where nothing limits.
 */
export function delegationShare(limits: BudgetLimits, used: BudgetState, ways: number): BudgetLimits {
  const share: BudgetLimits = { tokens: null, costUsd: null, modelCalls: null, toolCalls: null };
  for (const key of LIMIT_KEYS) {
    const limit = limits[key];
    if (!limit) continue;
    const left = Math.max(limit.value - used[key], 0);
    share[key] = { value: key === 'costUsd' ? left / Math.max(ways, 1) : Math.ceil(left / Math.max(ways, 1)), policy: limit.policy };
  }
  return share;
}

/** A share as a reservation (unlimited parts reserve nothing). */
export function shareReserve(share: BudgetLimits): BudgetState {
  return {
    tokens: share.tokens?.value ?? 0,
    costUsd: share.costUsd?.value ?? 0,
    modelCalls: share.modelCalls?.value ?? 0,
    toolCalls: share.toolCalls?.value ?? 0,
  };
}

/**
 * Limits tightened by a delegate's share of its parent's budget. `outside` is what the rest
 * of the run had committed when it delegated (the child's ledger counts it too), so the share
 * is on top of it.
 */
export function withinShare(limits: BudgetLimits, share: BudgetLimits | undefined, outside: BudgetState): BudgetLimits {
  if (!share) return limits;
  const out = { ...limits };
  for (const key of LIMIT_KEYS) {
    const part = share[key];
    if (!part) continue;
    const value = outside[key] + part.value;
    const current = out[key];
    if (current === null || value < current.value) out[key] = { value, policy: part.policy };
  }
  return out;
}
