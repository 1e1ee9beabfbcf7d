/**
 * What the keyword checks share: where issues go, and the validation run they are part of
 * (applying subschemas, matching patterns, and the work bounds every run is held to).
 */

/** One reason an instance does not match: where, why, and the keyword that said so. */
export interface SchemaIssue {
  /** JSON path of the offending value, `$` for the whole instance. */
  path: string;
  message: string;
  /** The schema keyword that failed (`type`, `required`, …); absent for size and work bounds. */
  keyword?: string;
}

/** Collects issues up to a limit: a probe (anyOf, not, …) needs one, a report a few. */
export class IssueSink {
  readonly issues: SchemaIssue[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get full(): boolean {
    return this.issues.length >= this.limit;
  }

  add(path: string, message: string, keyword: string): void {
    if (!this.full) this.issues.push({ path, message, keyword });
  }
}

/** A work bound was crossed: validation stops and reports this one issue. */
export class LimitReached extends Error {
  readonly issue: SchemaIssue;

  constructor(issue: SchemaIssue) {
    super(issue.message);
    this.issue = issue;
  }
}

/** A validation run, as the keyword checks use it. */
export interface Validation {
  /** Applies `schema` to `value`, one level deeper, reporting into `sink`. */
  apply(value: unknown, schema: unknown, path: string, depth: number, sink: IssueSink): void;
  /** Whether `value` matches `schema` (stops at the first issue). */
  passes(value: unknown, schema: unknown, path: string, depth: number): boolean;
  /** Counts `units` of work against the run's bound. */
  charge(units: number): void;
  /** Whether `pattern` matches `text`; null when the pattern cannot run on the linear engine. */
  matches(pattern: string, text: string, path: string): boolean | null;
}

/** The keyword checks of one group (numbers, strings, arrays, objects). */
export type KeywordCheck = (
  validation: Validation,
  value: unknown,
  schema: { [key: string]: unknown },
  path: string,
  depth: number,
  sink: IssueSink,
) => void;
