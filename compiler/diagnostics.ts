/**
 * Diagnostics: every user mistake the compiler finds is one of these, never an exception.
 * Codes form one closed union so tests and tools can match on them; messages are for people.
 */

/** Where in a manifest something is, 1-based like editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * The closed set of diagnostic codes, as a value so tests and tools can check a code is one
 * of them. Renaming one is a breaking change for tools that match on it.
 */
export const DIAGNOSTIC_CODES = [
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'YAML_SYNTAX',
  /** An alias inside the node its anchor names (`&a [*a]`): the value would contain itself. */
  'YAML_ALIAS_CYCLE',
  /** A document's aliases expand past a bound (too many aliases, or too many nodes through them). */
  'YAML_ALIAS_LIMIT',
  /** Maps and lists nested deeper than `MAX_NESTING_DEPTH` (limits.ts), written out or through aliases. */
  'NESTING_TOO_DEEP',
  'NOT_A_RESOURCE',
  'UNKNOWN_API_VERSION',
  'UNKNOWN_KIND',
  'UNSUPPORTED_KIND',
  'MISSING_FIELD',
  'UNKNOWN_FIELD',
  'DUPLICATE_FIELD',
  'UNSUPPORTED_FIELD',
  'INVALID_TYPE',
  'INVALID_VALUE',
  'REMOVED_FIELD',
  'DUPLICATE_RESOURCE',
  'OVERRIDE_UNMATCHED',
  'UNKNOWN_REFERENCE',
  'UNSUPPORTED_TOOL_TYPE',
  /** An edge condition's `output_matches` needs what the linear-time regex engine does not run (backreferences, lookaround, …). */
  'UNSUPPORTED_REGEX',
  /** A Tool's `input_schema` uses a keyword, `format` or `$ref` that argument validation in the workflow does not enforce. */
  'UNSUPPORTED_SCHEMA_KEYWORD',
  /** A tool name (a Tool's, an MCP tool's, a `blocked_tools` entry) that looks like a blocked one but is spelt differently. */
  'CONFUSABLE_TOOL_NAME',
  /** An McpServer's `tools/list` failed during compile-time discovery (only with a `discover` option). */
  'MCP_DISCOVERY_FAILED',
  /** A referenced MCP tool that its server, after its tool_filter, does not offer (only with `discover`). */
  'UNKNOWN_MCP_TOOL',
  /** A `fallback_model_refs` entry outside the `allowed_models` of a policy that applies to the agent. */
  'MODEL_NOT_ALLOWED',
  'UNBOUNDED_CYCLE',
  /** Warning: a `foreach` edge whose source agent has no `execution.output_schema`, so its output may not be JSON. */
  'FOREACH_WITHOUT_OUTPUT_SCHEMA',
  /** Warning: `join.mode: quorum` with neither `quorum_count` nor `quorum_percent`; it behaves as `wait_for_all`. */
  'QUORUM_WITHOUT_THRESHOLD',
  'NO_ENTRY_AGENT',
  'AGENT_NOT_IN_SYSTEM',
  'NO_SYSTEM',
  'AMBIGUOUS_SYSTEM',
] as const;

/** One of {@link DIAGNOSTIC_CODES}. */
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

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
