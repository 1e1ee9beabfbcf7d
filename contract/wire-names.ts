/**
 * Every name orch puts on the wire. Temporal records them in history: a run in flight replays
 * only against code that uses the same names, so they are defined once, here, and frozen by a
 * test (test/contract/wire-names.test.ts). Renaming one is a breaking change.
 *
 * Query and update definitions are plain objects of the shape `defineQuery`/`defineUpdate`
 * return, so the workflow registers handlers with them and the client calls them with the
 * same objects, without either side importing the other.
 */
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { ApprovalDecisionInput, BudgetRequest, BudgetResolution, PendingApproval, RunProgress } from './run-io.ts';
import type { MemoryOperationRequest, MemoryOperationResult, MemoryStoreStats } from './memory-io.ts';

/** Workflow types: a run, a delegate agent's child run, and the store of one `in-memory` Memory. */
export const WORKFLOW_TYPES = { run: 'orchRun', delegate: 'orchDelegate', memory: 'orchMemory' } as const;

/** Activity types: every model and tool call, MCP tool discovery, and the built-in memory tools. */
export const ACTIVITY_TYPES = { callModel: 'callModel', callTool: 'callTool', listMcpTools: 'listMcpTools', callMemory: 'callMemory' } as const;
export type OrchActivityType = (typeof ACTIVITY_TYPES)[keyof typeof ACTIVITY_TYPES];

/** The task queue orch uses unless told otherwise (`--task-queue`, `ORCH_TASK_QUEUE`). */
export const DEFAULT_TASK_QUEUE = 'orch';

/** The task queue runs go to: `ORCH_TASK_QUEUE` in `env`, else orch's default. */
export function defaultTaskQueue(env: Readonly<Record<string, string | undefined>>): string {
  return env.ORCH_TASK_QUEUE || DEFAULT_TASK_QUEUE;
}

/** The sink through which a workflow asks its worker to serve a rate-limited model queue. */
export const MODEL_QUEUES_SINK = 'orchModelQueues';

/** A definition as `defineQuery` makes it (its type brands exist only at compile time). */
function query<Ret, Name extends string>(name: Name): QueryDefinition<Ret, [], Name> {
  return { type: 'query', name } as QueryDefinition<Ret, [], Name>;
}

/** A definition as `defineUpdate` makes it. */
function update<Ret, Args extends unknown[], Name extends string>(name: Name): UpdateDefinition<Ret, Args, Name> {
  return { type: 'update', name } as UpdateDefinition<Ret, Args, Name>;
}

/** Live progress of a run (agents, phase, usage). */
export const progressQuery = query<RunProgress, 'progress'>('progress');
/** The tool calls of a run waiting for a person. */
export const approvalsQuery = query<PendingApproval[], 'approvals'>('approvals');
/** Why a run is paused on its budget, or null. */
export const budgetQuery = query<BudgetRequest | null, 'budget'>('budget');

export type ApprovalDecision = 'approved' | 'denied' | 'expired';
/** Approves or denies a pending tool call; answers `expired` when its time had run out. */
export const decideApprovalUpdate = update<{ id: string; decision: ApprovalDecision }, [ApprovalDecisionInput], 'decideApproval'>('decideApproval');
/** Adds budget to a paused run, or tells it to wrap up. */
export const resolveBudgetUpdate = update<{ action: BudgetResolution['action'] }, [BudgetResolution], 'resolveBudget'>('resolveBudget');

/** Applies one memory tool call to a Memory's store workflow (reads too: an update is answered by the worker that holds the store). */
export const memoryOperationUpdate = update<MemoryOperationResult, [MemoryOperationRequest], 'memoryOperation'>('memoryOperation');
/** What a Memory's store holds: entries, bytes, and how many writes it applied. */
export const memoryStatsQuery = query<MemoryStoreStats, 'memoryStats'>('memoryStats');
