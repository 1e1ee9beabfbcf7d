/**
 * The wire contract between the workflow and its activities: inputs and results of
 * `callModel` and `callTool`. Types only, so workflow code can import them.
 * These shapes are recorded in history: change them compatibly.
 */
import type { JsonObject, JsonValue, PlanAgent, PlanGovernance, PlanMcpServer, PlanMemory, PlanModel, PlanTool } from './plan.ts';
import type { CodeIn, Codes } from './failures.ts';
import type { MemoryCallRequest } from './memory-io.ts';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface ToolCall {
  /** Provider-issued id, echoed back in the tool result message. */
  id: string;
  /** The tool's model-facing name. */
  name: string;
  input: JsonValue;
}

/**
 * A payload kept in the worker's claim-check store instead of history (activities/blob-store.ts):
 * the sha256 of its bytes and their count. Content-addressed, so retries and replays agree.
 */
export interface StoredRef {
  sha256: string;
  bytes: number;
}

/** A transcript the worker stored: its first `messages` messages (a chain of deltas, see activities/stored-transcript.ts). */
export interface StoredTranscript extends StoredRef {
  messages: number;
}

export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | {
      role: 'tool';
      toolCallId: string;
      toolName: string;
      /** With `stored`: a short placeholder; the model is given the stored output. */
      output: JsonValue;
      isError: boolean;
      stored?: StoredRef;
    };

export interface ToolDeclaration {
  name: string;
  description: string;
  inputSchema: JsonObject;
}

/**
 * What the worker needs to re-evaluate the workflow's policy decision before it runs a call:
 * the agent, its system and task, the run's governance, and the approval when one was given.
 * A call without it (an orch activity started by anything but orch's workflow) never runs.
 */
export interface GateCheck {
  system: string;
  task: string | null;
  /** The agent's name in the system. */
  agent: string;
  agentSpec: PlanAgent;
  governance: PlanGovernance;
  /** Set when a person approved this call (an `approval_required` verdict). */
  approval: { id: string; decidedBy: string } | null;
}

export interface ModelCallRequest {
  /** Agent name in the system; also the mock provider's script key. */
  agent: string;
  /** 1-based activation count of this agent in the run. */
  activation: number;
  /** 1-based model call within the activation. */
  step: number;
  /** Endpoint config. Its `secretRef` is resolved inside the activity, never here. */
  model: PlanModel;
  /** The agent's prompt, sent as the system message. */
  system: string;
  /** The transcript; with `transcript`, only the messages after `transcript.base`. */
  messages: ChatMessage[];
  /**
   * Set once an activation's transcript is large: the activity stores `base` + `messages` and
   * returns its reference, so the next call sends only what was added since (history stays linear).
   */
  transcript?: { base: StoredTranscript | null };
  tools: ToolDeclaration[];
  outputSchema: JsonObject | null;
  /** The most output the run's budget leaves room for; absent when no budget limits it. */
  maxOutputTokens?: number | null;
  /** The bound the run's budget reserved for this call until it settles; absent when no budget applies. */
  reserved?: { tokens: number; costUsd: number };
  gate?: GateCheck;
}

/**
 * The most a model reply (text and tool-call arguments, UTF-8) may be. A reply is recorded in
 * history and goes back to the model in every later call of the activation, so it must stay
 * far below Temporal's 2 MiB payload limit; no real model writes this much in one step.
 */
export const MAX_MODEL_RESPONSE_BYTES = 256 * 1024;

export interface ModelCallResult {
  text: string;
  toolCalls: ToolCall[];
  /** AI SDK finish reason: stop, length, tool-calls, content-filter, error, other. */
  finishReason: string;
  usage: TokenUsage;
  /** Tokens that earlier, failed attempts of this call consumed (charged as well). */
  retriedUsage?: TokenUsage;
  /** False when the provider reported no token counts: the workflow then charges the call's reservation. */
  usageReported?: boolean;
  /** The model id the provider reports having used. */
  modelId: string;
  /** When the request had `transcript`: the whole transcript of this call's input, stored. */
  transcript?: StoredTranscript;
  /** A local call's (`execution: local`) repeat of its request, for the audit trail. */
  call?: ModelCallEcho;
  /**
   * A local call whose answer is too large for its workflow task (LOCAL_INLINE_ANSWER_BYTES):
   * the answer is in its call record, under this local activity id, and an activity of its own
   * (`callModel` with `answerOf`) brings it into history. The rest of this result is empty.
   */
  handedOver?: { activityId: string };
}

/** The largest answer a local call returns itself; a larger one is handed over (ModelCallResult.handedOver). */
export const LOCAL_INLINE_ANSWER_BYTES = 16 * 1024;

/**
 * What the audit trail needs of a model call's request. A local activity's history marker
 * records its result but not its input, so a local call's result (or failure) carries this.
 */
/**
 * What a local call (`execution: local`) enforces itself. It runs inside the workflow task, so
 * the workflow's timer cannot fire while it runs; and a failure Temporal raises for it (its
 * own timeout) would carry neither the audit's echo nor the tokens its attempts spent. Times
 * are durations from the attempt's start on the worker's clock (the workflow's clock is the
 * server's). Not part of the call's identity: a re-run workflow task computes them again.
 */
export interface LocalCallLimits {
  /** What is left of the agent's activation (`limits.timeout`) when the call is made; past it, AGENT_TIMEOUT. */
  activationRemainingMs?: number;
  /** The activation's whole limit, for the message. */
  activationTimeoutMs?: number;
  /** How long one attempt may take (the endpoint's `timeout`); past it, CALL_TIMEOUT, retried. */
  attemptTimeoutMs?: number;
  /**
   * For the activity that brings a handed-over answer into history: the local call's activity
   * id, whose record holds the answer. Not a local call itself.
   */
  answerOf?: string;
}

export interface ModelCallEcho {
  agent: string;
  /** The model id asked for (`default_model`). */
  model: string;
  reserved?: { tokens: number; costUsd: number };
  /** The coded tool errors the model is told about (refusals among them), cut to the fields the audit reads. */
  toolErrors: ChatMessage[];
}

export interface ToolCallRequest {
  agent: string;
  step: number;
  tool: PlanTool;
  /** For MCP tools: the server to call it on (secrets inside are references only). */
  mcpServer: PlanMcpServer | null;
  call: ToolCall;
  /** The tool's key in the plan (`namespace/name`), for the worker's policy re-check. */
  toolKey?: string;
  gate?: GateCheck;
  /** Keep the output in history whatever its size (the agent's output may be this tool's). */
  inlineOutput?: boolean;
}

export interface ToolCallResult {
  /** What the model sees: JSON or text; non-text content is described or passed as media parts. */
  output: JsonValue;
  /** The tool ran and reported failure; the model sees it as an error result. */
  isError: boolean;
  /** Wall-clock time of the call inside the activity, for progress and audit. */
  durationMs: number;
  /** Set when the output was cut to the size limit (a marker is in the output too). */
  truncated: boolean;
  /** A large output, kept in the claim-check store: `output` is then a short placeholder. */
  stored?: StoredRef;
  /** Tokens an embedding model spent on a memory call (a pgvector Memory with `embedding_model`): the run's tokens, charged to its budget. */
  usage?: TokenUsage;
}

/** One tool an MCP server offers, as `tools/list` describes it. */
export interface McpToolDescription {
  /** The tool's own name on the server. */
  name: string;
  description: string;
  inputSchema: JsonObject;
}

export interface McpListRequest {
  server: PlanMcpServer;
}

/**
 * `ApplicationFailure.type` values raised by activities: the catalog's call failures (see
 * contract/failures.ts, which says which are retried) but those only the workflow and the
 * audit name, plus the worker's refusal to send a secret where it is not bound.
 */
export type ActivityFailureType =
  | Exclude<CodeIn<'call'>, Codes<'CALL_TIMEOUT' | 'ACTIVITY_FAILED' | 'DELEGATION_FAILED' | 'TOOL_ERROR'>>
  | Codes<'SECRET_DESTINATION_DENIED'>;

/** Worker-side secret values from Secret manifests, keyed `namespace/name`, then by data key. */
export type SecretValues = Record<string, Record<string, string>>;

/** The activities a worker registers; their names are wire names recorded in history. */
export interface OrchActivities {
  /** `local`: given to a local call (`execution: local`), which its workflow's timers cannot interrupt. */
  callModel(request: ModelCallRequest, local?: LocalCallLimits): Promise<ModelCallResult>;
  callTool(request: ToolCallRequest): Promise<ToolCallResult>;
  /** `tools/list` on an MCP server, filtered by its `tool_filter`. */
  listMcpTools(request: McpListRequest): Promise<McpToolDescription[]>;
  /** A built-in memory tool call, applied to its Memory's store. */
  callMemory(request: MemoryCallRequest): Promise<ToolCallResult>;
}

/**
 * What the manifests a worker loaded tell it about secrets: the endpoints they declare
 * (each with the secrets it uses) and the destinations their Secrets list. The compiler
 * builds it (`CompileResult.manifests`, `ValidateResult.manifests`); it holds no secret values.
 */
export interface WorkerManifests {
  models?: PlanModel[];
  tools?: PlanTool[];
  mcpServers?: PlanMcpServer[];
  /** Memories with an endpoint and `auth.secretRef`: their secret goes to that endpoint only. */
  memories?: PlanMemory[];
  /** Secret `namespace/name` → the destinations its manifest lists. */
  secretDestinations?: Record<string, string[]>;
}
