/** The effects port the interpreter is written against: the workflow implements it with activities, unit tests with plain functions. */
import type { ModelCallRequest, ModelCallResult, McpListRequest, McpToolDescription, ToolCallRequest, ToolCallResult } from '../contract/activity-io.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';
import type { ApprovalOutcome, ApprovalRequest, BudgetRequest, BudgetResolution, DelegationRequest, DelegationResult, RunProgress } from '../contract/run-io.ts';

/** Per-call options the interpreter asks for; the Temporal glue maps them to activity options. */
export interface CallOptions {
  /** Web UI summary of the activity; starts with the agent's name. */
  summary: string;
}

/**
 * Everything the interpreter does to the world. The workflow implements it with activities;
 * unit tests implement it with plain functions.
 */
export interface Effects {
  callModel(request: ModelCallRequest, options: CallOptions): Promise<ModelCallResult>;
  /**
   * Runs a tool call. A call that fails (after the retries its tool allows) rejects with a
   * CallFailure, which the agent loop reports to the model; anything else ends the run.
   */
  callTool(request: ToolCallRequest, options: CallOptions): Promise<ToolCallResult>;
  listMcpTools(request: McpListRequest, options: CallOptions): Promise<McpToolDescription[]>;
  /** Runs a built-in memory tool call; rejects with a CallFailure like callTool. */
  callMemory?(request: MemoryCallRequest, options: CallOptions): Promise<ToolCallResult>;
  /** Runs a delegate agent as a child workflow; rejects with a CallFailure when it failed. */
  delegate(request: DelegationRequest, options: CallOptions & { childId: string }): Promise<DelegationResult>;
  /** Waits, durably, for a person to add budget to the run or to tell it to wrap up. */
  awaitBudget(request: BudgetRequest): Promise<BudgetResolution>;
  /** Waits for a person to approve or deny a tool call, or for the approval's time to run out. */
  awaitApproval(request: ApprovalRequest): Promise<ApprovalOutcome>;
  /** A durable timer. */
  sleep(ms: number): Promise<void>;
  /**
   * Runs `fn`, cancelling what it started when `ms` passes first; then rejects with
   * CallFailure('AGENT_TIMEOUT').
   */
  withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T>;
  /**
   * True once the run itself was cancelled: whatever fails then fails because of it, so it
   * ends the run as cancelled instead of being retried or reported as the agent's failure.
   */
  runCancelled?(): boolean;
  /** True when the run should continue as new at the next quiet point (history is getting long). */
  shouldContinueAsNew?(): boolean;
  /** Temporal's `patched`: whether this run takes a change of what it schedules. Absent: it does. */
  patched?(id: string): boolean;
  /** Called after every state change, synchronously. */
  onProgress?(progress: RunProgress): void;
}
