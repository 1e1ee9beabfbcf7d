/**
 * The `callMemory` activity: one built-in memory tool call, applied to its Memory's store.
 * An `in-memory` Memory's store is a workflow (`orchMemory`, see workflows/memory-workflow.ts)
 * on this worker's task queue; the call is an update-with-start, so the first call creates
 * it, and its update id is stable across the activity's attempts, so a write retried after a
 * worker died is applied once (the server deduplicates the update; the store also remembers
 * its latest writes across continue-as-new).
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { ToolCallResult } from '../contract/activity-io.ts';
import type { MemoryCallRequest, MemoryOperationRequest } from '../contract/memory-io.ts';
import { MEMORY_TOOLS, type MemoryToolName, type PlanMemory } from '../contract/plan.ts';
import { memoryOperationUpdate, WORKFLOW_TYPES } from '../contract/wire-names.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { activityFailure } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';

/** Memory failures carry no secret: nothing to redact. */
const unchanged = (text: string): string => text;

const TOOL_NAMES: ReadonlySet<string> = new Set(Object.values(MEMORY_TOOLS));

/** The store's workflow id: one per Memory per deployment (its task queue). */
export function memoryStoreId(taskQueue: string, memory: Pick<PlanMemory, 'id'>): string {
  return `orch-memory/${taskQueue}/${memory.id.namespace}/${memory.id.name}`;
}

export function createCallMemory(runtime: ActivityRuntime): (request: MemoryCallRequest) => Promise<ToolCallResult> {
  return async function callMemory(request: MemoryCallRequest): Promise<ToolCallResult> {
    const started = performance.now();
    const context = currentActivityContext();
    if (!context) throw activityFailure('TOOL_CONFIG_INVALID', 'callMemory runs only as an activity of an orch worker', {}, unchanged);
    const name = request.call?.name;
    if (!TOOL_NAMES.has(name)) throw activityFailure('TOOL_REQUEST_INVALID', `${String(name)} is not a memory tool`, {}, unchanged);
    if (request.memory.provider !== 'in-memory') {
      throw activityFailure('TOOL_CONFIG_INVALID', `memory provider ${String(request.memory.provider)} is not supported`, {}, unchanged);
    }
    const { info } = context;
    const run = info.workflowExecution;
    if (!run) throw activityFailure('TOOL_CONFIG_INVALID', 'callMemory runs only for a workflow', {}, unchanged);
    const operation: MemoryOperationRequest = {
      requestId: `${run.workflowId}/${run.runId}/${info.activityId}`,
      tool: name as MemoryToolName,
      input: request.call.input,
      type: request.memory.type,
      maxEntries: request.memory.maxEntries,
      maxBytes: request.memory.maxBytes,
    };
    const client: Client = context.client;
    const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, async () => {
      try {
        return await client.workflow.executeUpdateWithStart(memoryOperationUpdate, {
          updateId: operation.requestId,
          args: [operation],
          startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.memory, {
            workflowId: memoryStoreId(info.taskQueue, request.memory),
            taskQueue: info.taskQueue,
            workflowIdConflictPolicy: 'USE_EXISTING',
            args: [],
          }),
        });
      } catch (error) {
        // The store is unreachable (the server, a workflow task timing out): Temporal retries the call.
        throw activityFailure('TOOL_UNAVAILABLE', `memory ${request.memoryKey} did not answer: ${error instanceof Error ? error.message : String(error)}`, {}, unchanged);
      }
    });
    return { output: result.output, isError: result.isError, durationMs: Math.round(performance.now() - started), truncated: false };
  };
}
