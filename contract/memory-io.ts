/**
 * The wire contract of the built-in memory tools: the `callMemory` activity's request, and
 * the update a Memory's store workflow (`orchMemory`) applies. Types only; recorded in history.
 */
import type { ToolCall, GateCheck } from './activity-io.ts';
import type { JsonObject, JsonValue, MemoryToolName, PlanMemory } from './plan.ts';

export interface MemoryCallRequest {
  agent: string;
  step: number;
  /** The Memory's key in the plan (`namespace/name`), for the worker's plan match. */
  memoryKey: string;
  memory: PlanMemory;
  /** `call.name` is one of the memory tools the agent's grant lists. */
  call: ToolCall;
  gate?: GateCheck;
}

/** One memory tool call as the store applies it. */
export interface MemoryOperationRequest {
  /**
   * Stable across the activity's attempts (run, activity id): a retried write, after a worker
   * died between applying it and reporting it, is answered from the store's record instead of
   * being applied again.
   */
  requestId: string;
  tool: MemoryToolName;
  input: JsonValue;
  type: PlanMemory['type'];
  maxEntries: number;
  maxBytes: number;
}

export interface MemoryOperationResult {
  /** Orloj's result shapes: `{status, key}`, `{found, key, value}`, `{results, count}`, `{entries, count}`, `{status, source, chunks_stored}`; or `{error, message}`. */
  output: JsonObject;
  isError: boolean;
}

export interface MemoryStoreStats {
  entries: number;
  bytes: number;
  /** Writes and ingests applied (a retried request counts once). */
  writesApplied: number;
}
