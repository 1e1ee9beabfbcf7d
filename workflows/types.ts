/**
 * Types the workflow shares with its callers: the run's input, its result, its live
 * progress, and the effects port the interpreter is written against.
 */
import type { JsonValue, Plan } from '../compiler/plan.ts';
import type {
  ModelCallRequest,
  ModelCallResult,
  TokenUsage,
  ToolCallRequest,
  ToolCallResult,
  McpListRequest,
  McpToolDescription,
} from '../activities/types.ts';

/** The workflow's single argument. */
export interface RunInput {
  plan: Plan;
  /** Overrides `plan.input` when given. */
  input?: JsonValue;
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
  output: JsonValue;
  steps: number;
  /** Why the agent loop ended. */
  stoppedBy: 'answer' | 'max_steps' | 'tool_output';
  /** Set when the branch ended here because `maxTurns` was reached. */
  turnLimitReached: boolean;
}

export interface RunResult {
  /** The final output: the last leaf agent's output, or an object keyed by leaf agent when several. */
  output: JsonValue;
  usage: RunUsage;
  activations: ActivationRecord[];
}

/** Details attached to the workflow's failure so callers still get usage and partial outputs. */
export interface RunFailureDetails {
  agent: string | null;
  usage: RunUsage;
  activations: ActivationRecord[];
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
  phase: 'running' | 'succeeded' | 'failed';
  agents: Record<string, AgentProgress>;
  usage: UsageTotals;
}

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
  /** Called after every state change, synchronously. */
  onProgress?(progress: RunProgress): void;
}
