/**
 * The `callMemory` activity: one built-in memory tool call, applied to its Memory's store.
 * An `in-memory` Memory's store is a workflow (`orchMemory`, see workflows/memory-workflow.ts)
 * on this worker's task queue; the call is an update-with-start, so the first call creates
 * it, and its update id is stable across the activity's attempts, so a write retried after a
 * worker died is applied once (the server deduplicates the update; the store also remembers
 * its latest writes across continue-as-new). A `pgvector` Memory's call runs here, on its
 * database (activities/memory-pgvector.ts), exactly once per request id as well. An `http`
 * Memory's call is a request to its service (activities/memory-http.ts), at least once.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { baseTaskQueue } from '../contract/routing.ts';
import { ApplicationFailure } from '@temporalio/common';
import type { ToolCallResult } from '../contract/activity-io.ts';
import type { MemoryCallRequest, MemoryOperationRequest } from '../contract/memory-io.ts';
import { MEMORY_TOOLS, type MemoryToolName, type PlanMemory } from '../contract/plan.ts';
import { memoryOperationUpdate, WORKFLOW_TYPES } from '../contract/wire-names.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { activityFailure } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { embeddedMemoryDir } from './memory-databases.ts';
import { applyHttpOperation } from './memory-http.ts';
import { applyPgvectorOperation, DimensionMismatchError } from './memory-pgvector.ts';
import { memoryEmbedder } from './embeddings.ts';
import { resolveSecretFor } from './secrets.ts';

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
    if (request.memory.provider !== 'in-memory' && request.memory.provider !== 'pgvector' && request.memory.provider !== 'http') {
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
    if (request.memory.provider === 'http') {
      const memory = request.memory;
      const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, () => applyHttpOperation(runtime, memory, operation, context.cancellationSignal));
      return { output: result.output, isError: result.isError, durationMs: Math.round(performance.now() - started), truncated: false };
    }
    if (request.memory.provider === 'pgvector') {
      const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, () => callPgvector(runtime, request, operation, context.cancellationSignal));
      const usage = result.tokens > 0 ? { usage: { inputTokens: result.tokens, outputTokens: 0, totalTokens: result.tokens } } : {};
      return { output: result.output, isError: result.isError, durationMs: Math.round(performance.now() - started), truncated: false, ...usage };
    }
    const client: Client = context.client;
    const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, async () => {
      try {
        return await client.workflow.executeUpdateWithStart(memoryOperationUpdate, {
          updateId: operation.requestId,
          args: [operation],
          startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.memory, {
            // One store per deployment: a routed run's calls come from its route's queue (contract/routing.ts).
            workflowId: memoryStoreId(baseTaskQueue(info.taskQueue), request.memory),
            taskQueue: baseTaskQueue(info.taskQueue),
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

/** pgvector errors that pass (a lost connection, a server shutting down, a conflict, no resources): retried; any other is the database's setup. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57)/;

async function callPgvector(runtime: ActivityRuntime, request: MemoryCallRequest, operation: MemoryOperationRequest, signal: AbortSignal | undefined) {
  const { memory } = request;
  const dataDir = memory.endpoint ? null : embeddedMemoryDir(runtime.memoryDatabases.memoryHome, memory);
  if (!memory.endpoint && dataDir === null) {
    throw activityFailure('TOOL_CONFIG_INVALID', `memory ${request.memoryKey} has no usable directory name`, {}, unchanged);
  }
  // The password is resolved here, for exactly this database, and goes nowhere else.
  const password =
    memory.secretRef && memory.endpoint ? resolveSecretFor(memory.secretRef, runtime, { kind: 'database', url: memory.endpoint }, `memory ${request.memoryKey}`) : undefined;
  const redactPassword = runtime.redactors.failure([password]);
  const redactEndpoint = redactConnection(memory.endpoint);
  const embedder = memoryEmbedder(runtime, memory.embedding, signal);
  try {
    const db = await runtime.memoryDatabases.open(memory, dataDir, password);
    const result = await applyPgvectorOperation(db, operation, memory.type, embedder);
    return { ...result, tokens: embedder.tokens };
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    // No code, or a transient one: the database is unreachable or busy, and Temporal retries the call.
    const configuration = error instanceof DimensionMismatchError || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT_SQLSTATE.test(code));
    throw activityFailure(configuration ? 'TOOL_CONFIG_INVALID' : 'TOOL_UNAVAILABLE', `memory ${request.memoryKey} (pgvector): ${message}`, {}, (text) => redactPassword(redactEndpoint(text)));
  }
}

/** A connection string's password never leaves in an error. */
function redactConnection(endpoint: string | undefined): (text: string) => string {
  if (!endpoint) return unchanged;
  let password = '';
  try {
    password = decodeURIComponent(new URL(endpoint).password);
  } catch {
    password = '';
  }
  return (text) => (password ? text.split(password).join('***') : text);
}
