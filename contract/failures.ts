/**
 * The failure catalog: every code orch emits, once. Compile diagnostics, the failure types of
 * calls and runs recorded in workflow history, the codes the workflow tells a model when it
 * refuses a tool call, and the dev server's errors. Each says what it is (`category`), whether
 * orch tries again (`retryable`) and what it means. The sets the layers match on (governance
 * decisions, failures never retried, refusals) and the unions of codes are derived from here,
 * so a code is added, and documented, in one place. The README's tables are checked against it
 * (test/contract/readme-tables.test.ts); codes are pinned by test/contract/wire-names.test.ts:
 * they are recorded in history and matched by tools, so renaming one is a breaking change.
 */

/**
 * - `diagnostic`: a mistake in the manifests, found by the compiler (never a run failure);
 * - `call`: a model, tool, MCP or delegate call that failed;
 * - `refusal`: a tool call the workflow refused without running it; the model is told;
 * - `governance`: a policy, approval, budget or secret-binding decision; as a failure it ends
 *   the run, also from inside a tool call or a delegate;
 * - `run`: an activation or a run that failed, or ended from outside;
 * - `server`: the local Temporal dev server or the connection settings (CLI process only).
 */
export type FailureCategory = 'diagnostic' | 'call' | 'refusal' | 'governance' | 'run' | 'server';

export interface FailureEntry<C extends FailureCategory = FailureCategory> {
  category: C;
  /**
   * Whether orch tries again: Temporal's retry policy for a call's activity, then
   * `Task.message_retry` for the activation and `Task.retry` for the run. False: it fails at once.
   */
  retryable: boolean;
  description: string;
  /** A governance code the workflow also uses to refuse one tool call, telling the model (`on_violation: feedback`, wrap-up). */
  refusal: boolean;
}

const entry =
  <C extends FailureCategory>(category: C, retryable: boolean, refusal = false) =>
  (description: string): FailureEntry<C> => ({ category, retryable, description, refusal });
const diagnostic = entry('diagnostic', false);
const retried = entry('call', true);
const callFails = entry('call', false);
const refused = entry('refusal', false);
const governance = entry('governance', false);
const governanceOrRefusal = entry('governance', false, true);
const runRetried = entry('run', true);
const runFails = entry('run', false);
const server = entry('server', false);

export const FAILURE_CATALOG = {
  FILE_NOT_FOUND: diagnostic('a path given does not exist'),
  FILE_UNREADABLE: diagnostic('a file or directory cannot be read'),
  YAML_SYNTAX: diagnostic('the YAML does not parse, or a map repeats a key'),
  YAML_ALIAS_CYCLE: diagnostic('an alias inside the node its anchor names: the value would contain itself'),
  YAML_ALIAS_LIMIT: diagnostic("a document's aliases are too many, or expand to too many nodes (an alias bomb)"),
  NESTING_TOO_DEEP: diagnostic('maps and lists nested deeper than the bound, written out or through aliases'),
  NOT_A_RESOURCE: diagnostic('a document that is a scalar or a list, not a resource'),
  UNKNOWN_API_VERSION: diagnostic('an apiVersion that is neither orch/v1 nor orloj.dev/v1'),
  UNKNOWN_KIND: diagnostic('a kind orch does not know'),
  UNSUPPORTED_KIND: diagnostic('warning: retired, no longer emitted: every Orloj kind is validated; the ones orch does not act on are ACCEPTED_NOT_ENFORCED'),
  MISSING_FIELD: diagnostic('a required field is absent or empty'),
  UNKNOWN_FIELD: diagnostic('a field the kind does not have'),
  DUPLICATE_FIELD: diagnostic('one field written twice, in two spellings'),
  UNSUPPORTED_FIELD: diagnostic('warning: retired, no longer emitted: ACCEPTED_NOT_ENFORCED replaced it'),
  ACCEPTED_NOT_ENFORCED: diagnostic('warning: an Orloj field, value or kind orch validates but does not act on; the run goes as if it were absent'),
  TASK_IS_TEMPLATE: diagnostic('nothing chosen to run and the only Tasks are templates (mode: template), which are instantiated, not run'),
  INVALID_TYPE: diagnostic('a value of the wrong type'),
  INVALID_VALUE: diagnostic('a value of the right type that is not allowed'),
  INVALID_CRON: diagnostic('a TaskSchedule schedule that is not a 5-field cron expression'),
  UNKNOWN_TIME_ZONE: diagnostic('a TaskSchedule time_zone that is not an IANA time zone'),
  REMOVED_FIELD: diagnostic('a field that no longer exists'),
  DUPLICATE_RESOURCE: diagnostic('two resources of one kind with one namespace and name'),
  OVERRIDE_UNMATCHED: diagnostic('warning: an override that replaces nothing'),
  UNKNOWN_REFERENCE: diagnostic('a reference to a resource that does not exist'),
  UNSUPPORTED_TOOL_TYPE: diagnostic('a tool type orch does not run'),
  UNSUPPORTED_MEMORY_PROVIDER: diagnostic('retired, no longer emitted: orch runs every Memory provider Orloj ships (in-memory, pgvector, http)'),
  UNSUPPORTED_REGEX: diagnostic('a regex that needs what the linear-time engine does not run (backreferences, lookaround, …)'),
  UNSUPPORTED_SCHEMA_KEYWORD: diagnostic("an input_schema keyword, format or $ref the workflow's argument validation does not enforce"),
  CONFUSABLE_TOOL_NAME: diagnostic('a tool name that looks like a blocked one but is spelt differently'),
  MCP_DISCOVERY_FAILED: diagnostic("with discovery: an MCP server's tools/list failed"),
  UNKNOWN_MCP_TOOL: diagnostic('with discovery: a referenced MCP tool its server does not offer'),
  REQUIREMENTS_UNMATCHED: diagnostic("warning: a Task's requirements that no Worker of the same manifests serves"),
  MODEL_NOT_ALLOWED: diagnostic("a fallback model outside the allowed_models of a policy that applies to the agent"),
  TOOL_ALWAYS_DENIED: diagnostic("warning: a tool an agent lists that the policies that apply to it deny: every call of it is refused"),
  AGENT_MODEL_DENIED: diagnostic("warning: an agent's model outside the allowed_models of a policy that applies to it: its first model call ends the run POLICY_DENIED"),
  CONTRACT_TOOL_NOT_OFFERED: diagnostic('warning: a tool_sequence entry that names no tool its agent is offered: the execution contract can never be met'),
  UNBOUNDED_CYCLE: diagnostic('a loop nothing bounds, or a delegation cycle'),
  FOREACH_WITHOUT_OUTPUT_SCHEMA: diagnostic('warning: a foreach edge from an agent with no execution.output_schema'),
  QUORUM_WITHOUT_THRESHOLD: diagnostic('warning: a quorum join with neither quorum_count nor quorum_percent'),
  NO_ENTRY_AGENT: diagnostic('a system with no agent to start from'),
  AGENT_NOT_IN_SYSTEM: diagnostic('a graph node, edge or delegate naming an agent the system does not list'),
  NO_SYSTEM: diagnostic('nothing to compile: no AgentSystem'),
  AMBIGUOUS_SYSTEM: diagnostic('several systems and nothing to choose one'),

  MODEL_RATE_LIMITED: retried('the model endpoint answered 429; the next attempt waits as long as it asks'),
  MODEL_UNAVAILABLE: retried('the model endpoint is unreachable or answered 5xx, 408 or 409'),
  MODEL_TIMEOUT: retried('a model request timed out on the network or at the provider'),
  MODEL_CALL_FAILED: retried('a model call failed in a way no rule recognises'),
  MODEL_RESPONSE_INVALID: retried('a reply that cannot be used (malformed, off its output schema, a bad tool call): a model may do better next time'),
  MODEL_AUTH_FAILED: callFails('the model endpoint rejected the credentials (401, 403)'),
  MODEL_REQUEST_INVALID: callFails('the model endpoint rejected the request (another 4xx), or it cannot be made'),
  MODEL_CONFIG_INVALID: callFails('the model endpoint is misconfigured (no key, an unknown model, a bad option)'),
  MODEL_RESPONSE_TOO_LARGE: callFails('a reply over 256 KiB of text and tool-call arguments; its tokens are charged'),
  SECRET_NOT_FOUND: callFails("a secret the call needs is in neither the worker's environment nor its Secret manifests"),
  TOOL_UNAVAILABLE: retried('a tool or MCP server is unreachable, answered 429, 408 or 5xx, or lost its connection'),
  TOOL_TIMEOUT: retried("a tool call outlived the tool's runtime.timeout"),
  TOOL_CALL_FAILED: retried('a tool call failed in a way no rule recognises'),
  TOOL_REQUEST_INVALID: callFails('the tool or MCP server refused the request as malformed (4xx, unknown tool, invalid params)'),
  TOOL_AUTH_FAILED: callFails('the tool or MCP server rejected the credentials (401, 403)'),
  TOOL_CONFIG_INVALID: callFails('the tool or MCP server is misconfigured (no endpoint, an unusable auth profile, a command that cannot start)'),
  TOOL_ENDPOINT_FORBIDDEN: callFails('the endpoint resolves to a loopback, private, link-local or other address the worker refuses'),
  TOOL_RESPONSE_INVALID: callFails('the answer is not what it claims to be (invalid JSON, a malformed MCP result)'),
  STORED_PAYLOAD_MISSING: callFails("a tool result or transcript the run's history refers to is not in the worker's claim-check store (`ORCH_BLOB_STORE` not shared by every worker?)"),
  STORED_PAYLOAD_CORRUPT: callFails('a tool result or transcript in the claim-check store does not match the sha256 history recorded for it'),
  STORE_UNAVAILABLE: retried('the claim-check store could not be read or written (a directory it may not write, a database that is down)'),
  TOOL_ERROR: callFails('the tool ran and answered with an error (an audit code: the model is given the error)'),
  CALL_TIMEOUT: retried('an attempt outlived its Temporal timeout; the last one included, the call fails'),
  ACTIVITY_FAILED: retried('an activity failed with no failure type'),
  DELEGATION_FAILED: callFails("a delegate's child run ended with no failure type (timed out, terminated, not started)"),

  TOOL_NOT_DECLARED: refused('the model called a tool its agent does not declare'),
  INVALID_ARGUMENTS: refused("a tool call's arguments do not match the tool's input_schema"),
  DELEGATION_LIMIT: refused('a delegation beyond the depth or the number of child runs allowed'),
  TOO_MANY_TOOL_CALLS: refused('a tool call past the 64 that one model turn may make'),

  POLICY_DENIED: governanceOrRefusal('a policy refused a model, tool or delegate call, in the workflow or again on the worker'),
  APPROVAL_DENIED: governanceOrRefusal('a person denied a tool call that waited for approval'),
  APPROVAL_TIMEOUT: governanceOrRefusal('nobody decided on a tool call waiting for approval in time'),
  BUDGET_EXCEEDED: governanceOrRefusal("a call does not fit the run's budget"),
  CONTRACT_VIOLATION: governanceOrRefusal(
    'an agent under execution.profile contract broke its contract (a tool outside tool_sequence, a denied duplicate, the sequence unfinished): under non_retryable_error the run fails; a denied duplicate under observe is refused'
  ),
  SECRET_DESTINATION_DENIED: governance('a secret would go somewhere it is not bound to; nothing was sent'),
  APPROVAL_REQUIRED: governance("the policy engine's verdict that a tool call waits for a person (a decision, not a failure)"),

  AGENT_TIMEOUT: runRetried('an activation outlived its limits.timeout'),
  AGENT_FAILED: runFails('an activation failed on an error of the workflow code itself: deterministic, so never retried'),
  AGENT_NOT_FOUND: runFails('the plan names an agent it does not define'),
  TOOL_NOT_FOUND: runFails('a tool is not in the plan, or its MCP server does not offer it'),
  FOREACH_NOT_ARRAY: runFails("a foreach path that is not an array in the upstream's output"),
  PLAN_VERSION_UNSUPPORTED: runFails('a plan of a schema version this worker does not run'),
  NO_MATCHING_WORKER: runFails("a run with requirements no worker serves: no worker polls its route's task queue; refused at start"),
  ROUTE_MISMATCH: runFails("a call of a run with requirements scheduled on a task queue that is not its route's (the run was started elsewhere by another client): refused on the worker"),
  RUN_FAILED: runFails('a run failed with no failure type'),
  RUN_STATE_TOO_LARGE: runFails("what the run would carry into its next execution (continue-as-new) is over 1.5 MiB, below Temporal's 2 MiB payload limit"),
  RUN_OUTPUT_TOO_LARGE: runFails("the run's (or a delegate's) result would be over 1.5 MiB, below Temporal's 2 MiB payload limit"),
  HISTORY_LIMIT_REACHED: runFails('the run\'s history passed 40,000 events or 40 MiB without a quiet point to continue as new, before Temporal would terminate it (51,200 events, 50 MiB)'),
  TIMED_OUT: runFails("the run, or a delegate's, outlived its Temporal execution timeout"),
  CANCELED: runFails('the run, a call or a delegate was canceled'),
  TERMINATED: runFails("the run, or a delegate's, was terminated from outside"),

  TEMPORAL_CLI_MISSING: server('no temporal CLI found and none could be installed'),
  TEMPORAL_CONFIG_INVALID: server('Temporal connection settings in the environment are contradictory or unreadable'),
  TEMPORAL_PORT_IN_USE: server("the dev server's port is taken by something that is not Temporal"),
  TEMPORAL_SERVER_EXITED: server('the dev server exited before it answered'),
  TEMPORAL_SERVER_TIMEOUT: server('the dev server did not answer within its start timeout'),
} as const satisfies Record<string, FailureEntry>;

/** Every code orch emits. */
export type FailureCode = keyof typeof FAILURE_CATALOG;

/** The codes of one category. */
export type CodeIn<C extends FailureCategory> = {
  [K in FailureCode]: (typeof FAILURE_CATALOG)[K] extends FailureEntry<infer E> ? (E extends C ? K : never) : never;
}[FailureCode];

/** Names codes in a type, failing to compile on one the catalog lacks: `Codes<'POLICY_DENIED'>`. */
export type Codes<K extends FailureCode> = K;

const CODES = Object.keys(FAILURE_CATALOG) as FailureCode[];

/** The codes of one category, in catalog order. */
export function codesIn<C extends FailureCategory>(category: C): readonly CodeIn<C>[] {
  return CODES.filter((code) => FAILURE_CATALOG[code].category === category) as CodeIn<C>[];
}

/** The codes whose entry passes `test`; a set of strings, since codes read back from history are strings. */
export function codesWhere(test: (entry: FailureEntry, code: FailureCode) => boolean): ReadonlySet<string> {
  return new Set(CODES.filter((code) => test(FAILURE_CATALOG[code], code)));
}

/** Whether orch tries again after `code` (see {@link FailureEntry.retryable}). */
export function isRetryable(code: FailureCode): boolean {
  return FAILURE_CATALOG[code].retryable;
}
