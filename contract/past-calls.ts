/**
 * A call a recorded run made, as its history shows it: what a policy dry-run judges again
 * under other manifests (policies/dry-run.ts reads it; client/history-calls.ts writes it).
 */
import type { TokenUsage } from './activity-io.ts';

export interface PastCall {
  /** The run it is in: the workflow id (a delegate's child run has its own). */
  workflowId: string;
  /** Its history event: the activity's scheduling, the local call's marker, the child's start. */
  eventId: number;
  time: string;
  kind: 'model' | 'tool' | 'memory' | 'delegate';
  agent: string;
  /** The model endpoint's key, the tool's key, the memory tool, or the delegate. */
  target: string;
  /** What was called, as people read it: the model id, or the tool's name as the model called it. */
  name: string;
  /** For an MCP tool: the name its server gave it. */
  mcpToolName: string | null;
  /** A person approved it: its verdict was `approval_required`. */
  approved: boolean;
  /** What it settled at: a model call's answered attempts, a memory call's embedding tokens; else null. */
  usage: TokenUsage | null;
  /** It failed for good (the ledger charges its tokens but does not count it as a call). */
  failed: boolean;
}
