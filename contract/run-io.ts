/**
 * Types the workflow shares with its callers: the run's input, its result, its live
 * progress, approvals and budget requests, delegations.
 */
import type { JsonValue, Plan } from './plan.ts';
import type {
  ModelCallRequest,
  ModelCallResult,
  TokenUsage,
  ToolCallRequest,
  ToolCallResult,
  McpListRequest,
  McpToolDescription,
} from './activity-io.ts';

/** What reached a join from one predecessor, in a checkpoint. */
export interface Arrival {
  from: string;
  output: JsonValue;
  turn: number;
}

export type Report =
  | { kind: 'arrived'; arrival: Arrival }
  | { kind: 'not-taken'; from: string }
  | { kind: 'failed'; from: string; type: string; message: string };

export interface JoinRound {
  reports: Report[];
  fired: boolean;
}

/** A run's limits, each with the policy that set it. */
export interface BudgetLimit {
  value: number;
  /** `AgentPolicy ns/name` that set it. */
  policy: string;
}

export interface BudgetLimits {
  tokens: BudgetLimit | null;
  costUsd: BudgetLimit | null;
  modelCalls: BudgetLimit | null;
  toolCalls: BudgetLimit | null;
}

/** Spent plus reserved (calls in flight), for the run. */
export interface BudgetState {
  tokens: number;
  costUsd: number;
  modelCalls: number;
  toolCalls: number;
}

/** The workflow's single argument. */
export interface RunInput {
  plan: Plan;
  /** Overrides `plan.input` when given. */
  input?: JsonValue;
  /** Set when the run continues as new: where the previous execution stopped. */
  resume?: RunCheckpoint;
  /**
   * Continue as new once history has this many events, besides when Temporal suggests it.
   * For operators who want shorter histories, and for tests.
   */
  continueAsNewAfterEvents?: number;
  /** How long a tool call waits for a human approval before it fails with APPROVAL_TIMEOUT (default 10 minutes). */
  approvalTimeoutMs?: number;
  /** The run was started with orch's search attributes, so it keeps them current (see workflows/search-attributes.ts). */
  searchAttributes?: boolean;
}

/**
 * Everything a run needs to go on in a fresh execution (continue-as-new): the activations
 * it had decided to start, its join rounds, counters and its ledger. Plain JSON.
 */
export interface RunCheckpoint {
  /** Which attempt of the whole run (`Task.retry`) this is, 1-based. */
  runAttempt: number;
  pending: PendingActivation[];
  joins: Record<string, JoinRound[]>;
  activationCounts: Record<string, number>;
  usage: RunUsage;
  /** The latest activation records (at most 500; see `activationsOmitted`). */
  activations: ActivationRecord[];
  /** Records left out of `activations` to keep the carried state bounded; absent when none. */
  activationsOmitted?: number;
  /** A branch ended at `Task.max_turns`, also in a record no longer listed. */
  turnLimitReached?: boolean;
  /** The latest output of each leaf agent, in the order the leaves first finished. */
  leaves: Array<{ agent: string; output: JsonValue }>;
  lateArrivals: LateArrival[];
  delegations: number;
  /** Approvals requested so far (ids keep counting across executions). */
  approvals?: number;
  /** Calls refused so far (policy, approval, budget) that the model was told about. */
  denials?: number;
  /** Budget people added to the run so far. */
  topUps?: BudgetState;
  /** Set once a person told the run to wrap up (see RunResult.wrappedUp). */
  wrappedUp?: WrapUp;
  /** Refusals no model call's input shows, carried to the execution that reports them. */
  refusals?: Refusal[];
  continuedAsNew: number;
}

/** An activation decided on but not yet started. */
export interface PendingActivation {
  agent: string;
  inbox: Arrival[];
  turn: number;
  /** Branches that failed and were left out of this activation's join (`continue_partial`). */
  partialFrom: string[];
}

/** A branch that reported to a join after it had fired: recorded, never re-triggering it. */
export interface LateArrival {
  agent: string;
  from: string;
  outcome: 'arrived' | 'not-taken' | 'failed';
}

/** Tokens and calls attributed to one agent, or to the whole run. */
export interface UsageTotals extends TokenUsage {
  modelCalls: number;
  /** Tool calls that ran (including ones whose tool reported an error). */
  toolCalls: number;
  /** Tool calls that failed or reported an error, as the model was told. */
  toolErrors: number;
  /** USD at the endpoints' `pricing`; 0 for endpoints without pricing. */
  costUsd: number;
}

export interface RunUsage {
  total: UsageTotals;
  byAgent: Record<string, UsageTotals>;
}

/** One finished agent activation, in completion order. */
export interface ActivationRecord {
  agent: string;
  activation: number;
  /** Agents whose outputs this activation received. */
  from: string[];
  /** The output, or a preview of it (`outputTruncated`) when it is large: records stay small in history. */
  output: JsonValue;
  outputTruncated?: boolean;
  steps: number;
  /** Why the agent loop ended; `foreach` for a dynamic fan-out's combined activation; `budget` when a person wrapped the run up. */
  stoppedBy: 'answer' | 'max_steps' | 'tool_output' | 'foreach' | 'budget';
  /** Set when the branch ended here because `maxTurns` was reached. */
  turnLimitReached: boolean;
  /** Branch turn (activations along the branch, start included). */
  turn: number;
  /** Attempts it took (`Task.message_retry`); 1 when the first succeeded. */
  attempts: number;
  /** Failed branches left out of its join (`continue_partial`). */
  partialFrom?: string[];
  /** Execution-contract events of an agent that went on: violations under `observe`, and warnings; absent when none. */
  contract?: ContractEvent[];
}

/**
 * An execution-contract event (see workflows/execution-contract.ts): a `violation` (recorded
 * here under `on_contract_violation: observe`; under `non_retryable_error` it is the run's
 * CONTRACT_VIOLATION failure), or the `warning` that `max_steps` came before the output markers.
 */
export interface ContractEvent {
  kind: 'violation' | 'warning';
  rule: 'tool_not_in_sequence' | 'duplicate_tool_call' | 'tool_sequence_incomplete' | 'output_markers_missing';
  step: number;
  /** The tool called, for a rule about a call. */
  tool: string | null;
  expected: string;
  actual: string;
}

export interface RunResult {
  /** The final output: the last leaf agent's output, or an object keyed by leaf agent when several. */
  output: JsonValue;
  usage: RunUsage;
  /**
   * The latest activation records, in completion order: at most 500, so a long loop's result
   * stays far below a payload's limit. Every activation is in history (`orch audit`).
   */
  activations: ActivationRecord[];
  /** Older records left out of `activations`; absent when none were. */
  activationsOmitted?: number;
  /** Branches that reached a join after it had fired (quorum); the first 500. */
  lateArrivals: LateArrival[];
  /** Set when a branch ended because it reached `Task.max_turns`. */
  turnLimitReached: boolean;
  /** Executions this run took (continue-as-new keeps history small on long runs). */
  executions: number;
  /** Attempts of the whole run (`Task.retry`). */
  runAttempts: number;
  /** Refusals no model call's input shows (see Refusal). */
  refusals?: Refusal[];
  /**
   * Set when a person told the run, paused on its budget, to wrap up (`orch budget --wrap-up`):
   * running agents answered with what they had and nothing new started, so `output` may be
   * partial or empty.
   */
  wrappedUp?: WrapUp;
}

/** Who told a run to wrap up, and why. */
export interface WrapUp {
  by: string;
  reason: string | null;
}

/** A tool call waiting for a human decision (a ToolPermission `approval_required` verdict). */
export interface ApprovalRequest {
  /** Deterministic within the run: `approval-1`, `approval-2`, … */
  id: string;
  agent: string;
  tool: string;
  arguments: JsonValue;
  policy: string;
  rule: string | null;
  reason: string;
}

export interface PendingApproval extends ApprovalRequest {
  /** Workflow time (ms since epoch) when it was requested, and when it times out. */
  requestedAt: number;
  expiresAt: number;
}

/** What a person decided, through the `decideApproval` update. */
export interface ApprovalDecisionInput {
  id: string;
  decision: 'approve' | 'deny';
  decidedBy: string;
  reason?: string;
}

export type ApprovalOutcome =
  | { decision: 'approved' | 'denied'; decidedBy: string; reason: string | null }
  | { decision: 'timeout' };

/** A run paused because a call did not fit its budget (`on_budget_exhausted: pause`). */
export interface BudgetRequest {
  agent: string;
  limit: 'tokens' | 'costUsd' | 'modelCalls' | 'toolCalls';
  policy: string;
  reason: string;
  /** Set by the client when the pause is in a delegate's child run: that run's id relative to the run. */
  run?: string;
}

/** What a person decided for a paused run, through the `resolveBudget` update. */
export interface BudgetResolution {
  action: 'top_up' | 'wrap_up';
  /** For `top_up`: what to add to the run's limits. */
  tokens?: number;
  costUsd?: number;
  modelCalls?: number;
  toolCalls?: number;
  decidedBy: string;
  reason?: string;
}

/** A delegation: a supervisor's tool call that runs another agent as a child workflow. */
export interface DelegationRequest {
  plan: Plan;
  agent: string;
  /** The task the supervisor wrote for the delegate. */
  task: JsonValue;
  supervisor: string;
  /** 1 for a supervisor's own delegates, 2 for theirs, … */
  depth: number;
  approvalTimeoutMs?: number;
  /**
   * What the rest of the run had committed when it delegated (spent and in flight, net of
   * top-ups): the child's budget checks count it, so a run's limits hold across delegation.
   */
  spentOutside?: BudgetState;
  /**
   * The delegate's share of the run's remaining budget, which the parent holds for it while
   * it runs: parallel delegates together never get more than is left.
   */
  share?: BudgetLimits;
}

export interface DelegationResult {
  output: JsonValue;
  usage: RunUsage;
  activations: ActivationRecord[];
  /** Every call the delegate's run refused (its own history is not part of the run's audit). */
  refusals?: Refusal[];
}

/**
 * A tool call the workflow refused without running it (a policy, an approver, the budget, an
 * undeclared tool or invalid arguments). Most reach the model in the next call's input, where
 * the audit reads them; the others (an activation's last step, a delegate's) are listed in the
 * run's result or failure details, so every decision is in history.
 */
export interface Refusal {
  agent: string;
  tool: string;
  toolCallId: string;
  code: string;
  reason: string;
  /** The deciding resource, for a policy denial (`AgentPolicy ns/name`). */
  policy?: string | null;
  rule?: string | null;
}

/** Details attached to the workflow's failure so callers still get usage and partial outputs. */
export interface RunFailureDetails {
  agent: string | null;
  /** Set when the run ended because retries (`message_retry`, `Task.retry`) were spent. */
  deadLettered: boolean;
  runAttempts: number;
  usage: RunUsage;
  activations: ActivationRecord[];
  /** Older records left out of `activations`; absent when none were. */
  activationsOmitted?: number;
  /** Refusals no model call's input shows (see Refusal). */
  refusals?: Refusal[];
}

export type AgentPhase = 'waiting' | 'running' | 'done' | 'failed';

export interface AgentProgress {
  phase: AgentPhase;
  activations: number;
  step: number;
  lastAction: string | null;
  /** The latest finished tool call: its latency, and its error when it failed. */
  lastTool: { name: string; durationMs: number | null; error: string | null } | null;
  usage: UsageTotals;
}

/** Live state, served by the `progress` query and shown in the Web UI's current details. */
export interface RunProgress {
  phase: 'running' | 'succeeded' | 'failed' | 'canceled';
  agents: Record<string, AgentProgress>;
  usage: UsageTotals;
}
