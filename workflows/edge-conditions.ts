/**
 * Edge conditions, evaluated in the workflow on the upstream output. Pure and
 * deterministic; the compiler has already rejected invalid regexes and paths.
 *
 * `output_matches` runs on the linear regex engine, never on JavaScript's backtracking
 * RegExp: a workflow task that does not finish is retried forever, so a pattern such as
 * `^(\w+\s?)*$` must not be able to hold one (ReDoS).
 */
import type { JsonValue, PlanCondition, PlanEdge } from '../contract/plan.ts';
import { cachedRegex, runRegex, type StepBudget } from '../validation/linear-regex/index.ts';

/**
 * State visits the regexes of one output's edges may take together: about 0.3 s of worker
 * time at worst, far below the workflow task timeout. A match costs at most (pattern size ×
 * text length) steps, and about one per character once its state sets repeat (a 1 MB output
 * takes ~1M for `^(\w+\s?)*$`); a condition whose match is cut short by the budget does not hold.
 */
export const CONDITION_REGEX_STEPS = 10_000_000;

/**
 * Whether `pattern` matches `text`. A pattern the linear engine refuses (the compiler
 * rejects those, so only a plan built by other means has one) does not match: falling back
 * to a backtracking RegExp would reopen the hang.
 */
function outputMatches(pattern: string, text: string, budget: StepBudget): boolean {
  const regex = cachedRegex(pattern);
  return regex !== null && runRegex(regex, text, budget) === 'match';
}

function outputText(output: JsonValue): string {
  return typeof output === 'string' ? output : JSON.stringify(output);
}

function parseJson(output: JsonValue): JsonValue | undefined {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output) as JsonValue;
  } catch {
    return undefined;
  }
}

/** Reads `$.a.b[0].c` (or `a.b.0.c`) from a JSON value; undefined when absent. */
export function readJsonPath(value: JsonValue | undefined, path: string): JsonValue | undefined {
  const segments = path
    .replace(/^\$\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s.length > 0);
  let current: JsonValue | undefined = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(segment)] : current[segment];
  }
  return current;
}

function jsonEquals(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function jsonContains(haystack: JsonValue | undefined, needle: JsonValue): boolean {
  if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
  if (Array.isArray(haystack)) return haystack.some((item) => jsonEquals(item, needle));
  return false;
}

/**
 * True when every field set in the condition holds (fields are ANDed). `default` is handled
 * by the router. `budget` is the regex step budget, shared by the edges of one output.
 */
export function conditionHolds(condition: PlanCondition, output: JsonValue, budget: StepBudget = { remaining: CONDITION_REGEX_STEPS }): boolean {
  const text = outputText(output);
  if (condition.outputContains !== undefined && !text.includes(condition.outputContains)) return false;
  if (condition.outputNotContains !== undefined && text.includes(condition.outputNotContains)) return false;
  if (condition.outputMatches !== undefined && !outputMatches(condition.outputMatches, text, budget)) return false;
  if (condition.outputJsonPath !== undefined) {
    const value = readJsonPath(parseJson(output), condition.outputJsonPath);
    if (condition.equals !== undefined && !jsonEquals(value, condition.equals)) return false;
    if (condition.notEquals !== undefined && jsonEquals(value, condition.notEquals)) return false;
    if (condition.contains !== undefined && !jsonContains(value, condition.contains)) return false;
    if (condition.greaterThan !== undefined && !(typeof value === 'number' && value > condition.greaterThan)) return false;
    if (condition.lessThan !== undefined && !(typeof value === 'number' && value < condition.lessThan)) return false;
  }
  return true;
}

/**
 * The edges that fire for an output: every unconditional edge, every conditional edge whose
 * condition holds, and the `default` edge only when no other conditional edge fired.
 */
export function firingEdges(edges: readonly PlanEdge[], output: JsonValue): PlanEdge[] {
  const unconditional = edges.filter((e) => e.condition === null);
  const conditional = edges.filter((e) => e.condition !== null && !e.condition.default);
  const fallback = edges.filter((e) => e.condition?.default === true);
  const budget: StepBudget = { remaining: CONDITION_REGEX_STEPS };
  const matched = conditional.filter((e) => conditionHolds(e.condition!, output, budget));
  const chosen = matched.length > 0 ? matched : fallback;
  return edges.filter((e) => unconditional.includes(e) || chosen.includes(e));
}
