/**
 * Diagnostics: every user mistake the compiler finds is one of these, never an exception.
 * Codes form one closed union so tests and tools can match on them; messages are for people.
 */
import { codesIn, type CodeIn } from '../contract/failures.ts';

/** Where in a manifest something is, 1-based like editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A diagnostic code: one of the catalog's `diagnostic` codes (contract/failures.ts). */
export type DiagnosticCode = CodeIn<'diagnostic'>;

/**
 * The closed set of diagnostic codes, as a value so tests and tools can check a code is one
 * of them. Renaming one is a breaking change for tools that match on it.
 */
export const DIAGNOSTIC_CODES: readonly DiagnosticCode[] = codesIn('diagnostic');

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  location?: SourceLocation;
  /** Path inside the resource (e.g. `['spec', 'graph', 'planner', 'next']`), when it applies. */
  path?: (string | number)[];
}

/** Renders `file:line:col` (or just the file) for messages and CLI output. */
export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  return `${location.file}:${location.line}:${location.column}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
