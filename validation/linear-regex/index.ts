/**
 * A linear-time regular expression engine for text that models and manifests supply: edge
 * conditions (`output_matches`) and JSON Schema `pattern`s, both evaluated inside the
 * workflow, where a backtracking regex could hold a workflow task forever (ReDoS).
 *
 * Syntax is JavaScript's (what people test patterns with), run RE2-style: literals and
 * escapes, `.`, classes, `\d \w \s \D \W \S \b \B`, `^ $`, groups (capturing, `(?:)`,
 * named), `|`, greedy and lazy `* + ? {n} {n,} {n,m}`, and flags `i m s` as `(?i)` or
 * `(?i:…)`. Backreferences, lookaround and property escapes are refused (`unsupported`),
 * counts are at most 1000 and programs at most 5000 instructions, so matching costs at most
 * 5000 steps per code point of text. Text is read by code point, as with JavaScript's `u` flag.
 */
import { runProgram, type RunOutcome, type StepBudget } from './match.ts';
import { parseRegex, type RegexError } from './parse.ts';
import { compileProgram, MAX_INSTRUCTIONS, type Program } from './program.ts';

export type { RegexError } from './parse.ts';
export type { RunOutcome, StepBudget } from './match.ts';
export { MAX_REPEAT, MAX_NESTING } from './parse.ts';
export { MAX_INSTRUCTIONS } from './program.ts';

/** A pattern compiled for the linear engine. */
export interface LinearRegex {
  readonly source: string;
  readonly program: Program;
}

/** Compiles `pattern`, or explains why the linear engine will not run it. */
export function compileRegex(pattern: string): { ok: true; regex: LinearRegex } | { ok: false; error: RegexError } {
  const parsed = parseRegex(pattern);
  if (!parsed.ok) return parsed;
  const program = compileProgram(parsed.node);
  if (program === null) {
    return { ok: false, error: { kind: 'unsupported', message: `pattern compiles to more than ${MAX_INSTRUCTIONS} instructions`, offset: 0 } };
  }
  return { ok: true, regex: { source: pattern, program } };
}

/** Compiled patterns by source, so a plan's patterns compile once, not at every evaluation. */
const compiled = new Map<string, LinearRegex | null>();
/** Patterns kept at most: a plan has few, but an MCP server's schemas may bring any number. */
const MAX_CACHED = 512;

/**
 * `compileRegex(pattern)`'s regex, or null when the linear engine refuses the pattern,
 * compiled once and then reused (compiling costs more than most matches). Pure, so
 * the cache never changes an outcome.
 */
export function cachedRegex(pattern: string): LinearRegex | null {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const result = compileRegex(pattern);
    regex = result.ok ? result.regex : null;
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

/**
 * Whether `regex` matches anywhere in `text` (like `RegExp.prototype.test`). With a
 * budget, a run that would take more state visits than remain stops with `out-of-steps`.
 */
export function runRegex(regex: LinearRegex, text: string, budget?: StepBudget): RunOutcome {
  return runProgram(regex.program, text, budget);
}

/** `runRegex` as a boolean, for callers without a step budget. */
export function regexMatches(regex: LinearRegex, text: string): boolean {
  return runProgram(regex.program, text) === 'match';
}
