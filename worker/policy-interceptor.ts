/**
 * The worker-side policy check: an activity interceptor that runs before any model call,
 * tool call or MCP discovery, and fails closed (non-retryable POLICY_DENIED) unless
 * 1. the call was scheduled by an orch workflow type (`orchRun`, `orchDelegate`), as the
 *    server reports it;
 * 2. the request is the run's own: the worker reads the Plan from the run's start event
 *    (WorkflowExecutionStarted, through the worker's client and data converter, once per
 *    run) and requires the tool, MCP server, model endpoint, agent and governance the request
 *    carries to be that plan's (see plan-match.ts). Any workflow on the namespace can
 *    register the type name `orchRun` and schedule `callTool` on orch's task queue with a
 *    request of its own; only the start event is beyond its reach once the run started;
 * 3. the workflow's policy decision holds when taken again from the (now verified) request.
 * An orch activity started by anything else therefore does nothing. Where a verified call
 * may send a secret is the other half (activities/secret-destinations.ts): a run of a plan
 * that names a foreign endpoint passes this check and is refused there.
 */
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Plan } from '../contract/plan.ts';
import { recheckMemoryCall, recheckModelCall, recheckToolCall } from '../policies/recheck.ts';
import { matchMcpList, matchMemoryCall, matchModelCall, matchToolCall, startedPlan, type PlanMatch } from './plan-match.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';
import type { McpListRequest, ModelCallRequest, ToolCallRequest } from '../contract/activity-io.ts';
import { ACTIVITY_TYPES, WORKFLOW_TYPES } from '../contract/wire-names.ts';
import { describeRequirements, isRouteOf } from '../contract/routing.ts';
import { blockedHttpEndpoints, createResolvedEndpointCheck, type ResolveHost } from './resolved-endpoints.ts';

/** The workflow types that schedule orch's activities: runs and delegates (a Memory's store schedules none). */
const ORCH_WORKFLOW_TYPES: ReadonlySet<string> = new Set([WORKFLOW_TYPES.run, WORKFLOW_TYPES.delegate]);

/** The activities the check guards: everything that reaches a model, a tool or a server. */
const GUARDED_ACTIVITIES: ReadonlySet<string> = new Set(Object.values(ACTIVITY_TYPES));

/** How long reading a run's start event may take before the call fails (retryably). */
const START_READ_TIMEOUT_MS = 10_000;

/** What a run's start event holds: its workflow type and its decoded arguments. */
export interface RunStart {
  workflowType: string;
  args: unknown[];
}

/** Reads the start event of the run that scheduled the current activity; null when it has none. */
export type RunStartReader = (context: Context) => Promise<RunStart | null>;

/** Options of {@link createPolicyInterceptor}. */
export interface PolicyInterceptorOptions {
  /** Default: the first history event, through the activity context's client (the worker's connection and data converter). */
  readRunStart?: RunStartReader;
  /** Runs whose plan is kept in memory (each is read once). Default 256. */
  cacheSize?: number;
  /** Resolves host names for the blocked-endpoint check (default: the system resolver). */
  resolveHost?: ResolveHost;
}

function refuse(activityType: string, reason: string): never {
  throw ApplicationFailure.create({
    type: 'POLICY_DENIED',
    message: `${activityType} refused on the worker: ${reason}`,
    nonRetryable: true,
  });
}

/** The run's first history event, decoded with the worker's data converter. */
export const readRunStartFromHistory: RunStartReader = async (context) => {
  const { workflowExecution, workflowNamespace } = context.info;
  if (!workflowExecution) return null;
  // The worker's own client (its connection, namespace and data converter); a worker without a connection has none and refuses.
  const client = context.client;
  const response = await client.withDeadline(Date.now() + START_READ_TIMEOUT_MS, () =>
    client.workflowService.getWorkflowExecutionHistory({
      namespace: workflowNamespace || client.options.namespace,
      execution: { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId },
      maximumPageSize: 1,
    })
  );
  const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return null;
  const args = await decodeArrayFromPayloads(client.options.loadedDataConverter, started.input?.payloads);
  return { workflowType: started.workflowType?.name ?? '', args };
};

/** A small map that forgets its oldest entry past `limit`. */
class RecentRuns<V> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#limit) this.#entries.delete(this.#entries.keys().next().value!);
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/**
 * Creates the interceptor (see the module comment). Each instance keeps the plans of the runs
 * it saw recently, keyed by run id: a run's start event never changes.
 */
export function createPolicyInterceptor(options: PolicyInterceptorOptions = {}): ActivityInterceptorsFactory {
  const readRunStart = options.readRunStart ?? readRunStartFromHistory;
  const reachesBlocked = createResolvedEndpointCheck(options.resolveHost);
  const plans = new RecentRuns<Promise<{ plan: Plan | null; workflowType: string }>>(options.cacheSize ?? 256);

  async function planOf(context: Context): Promise<{ plan: Plan | null; workflowType: string }> {
    const { workflowExecution, workflowNamespace } = context.info;
    const key = `${workflowNamespace}/${workflowExecution?.workflowId}/${workflowExecution?.runId}`;
    let pending = plans.get(key);
    if (!pending) {
      pending = readRunStart(context).then((start) => ({ plan: start ? startedPlan(start.args) : null, workflowType: start?.workflowType ?? '' }));
      plans.set(key, pending);
      // A failed read is not remembered: the next attempt reads again.
      pending.catch(() => plans.delete(key));
    }
    try {
      return await pending;
    } catch (error) {
      // Retryable: the server or the connection may be back by the next attempt. Never runs the call.
      throw ApplicationFailure.create({
        type: 'POLICY_DENIED',
        message: `${context.info.activityType} not run: the worker could not read the start of run ${workflowExecution?.workflowId} to verify it (${error instanceof Error ? error.message : String(error)})`,
        nonRetryable: false,
      });
    }
  }

  return (context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const activityType = context.info.activityType;
        if (!GUARDED_ACTIVITIES.has(activityType)) return next(input);
        const workflowType = context.info.workflowType ?? '';
        // The server names the workflow that scheduled the call; nothing the caller sends can change it.
        if (!ORCH_WORKFLOW_TYPES.has(workflowType)) refuse(activityType, `it was scheduled by workflow type ${workflowType}, not by an orch run`);
        const started = await planOf(context);
        if (!started.plan || started.workflowType !== workflowType) refuse(activityType, `run ${context.info.workflowExecution?.workflowId} was not started with an orch plan`);
        const request = (input.args[0] ?? {}) as Record<string, unknown>;
        let match: PlanMatch;
        if (activityType === ACTIVITY_TYPES.callTool) match = matchToolCall(request as unknown as ToolCallRequest, started.plan);
        else if (activityType === ACTIVITY_TYPES.callModel) match = matchModelCall(request as unknown as ModelCallRequest, started.plan);
        else if (activityType === ACTIVITY_TYPES.callMemory) match = matchMemoryCall(request as unknown as MemoryCallRequest, started.plan);
        else match = matchMcpList(request as unknown as McpListRequest, started.plan);
        if (!match.matches) refuse(activityType, `it does not match the run's plan: ${match.reason}`);
        // A run with requirements is served only from its route's queue, which only matching
        // workers poll (contract/routing.ts); a run started elsewhere by another client stops here.
        if (!isRouteOf(context.info.taskQueue, started.plan.requirements)) {
          throw ApplicationFailure.create({
            type: 'ROUTE_MISMATCH',
            message: `${activityType} refused on the worker: the run requires ${describeRequirements(started.plan.requirements!)} but was scheduled on task queue "${context.info.taskQueue}", not on its route`,
            nonRetryable: true,
          });
        }
        if (activityType === ACTIVITY_TYPES.callModel) {
          const result = recheckModelCall(request as unknown as ModelCallRequest);
          if (!result.allowed) refuse(activityType, result.reason);
        } else if (activityType === ACTIVITY_TYPES.callMemory) {
          const result = recheckMemoryCall(request as unknown as MemoryCallRequest);
          if (!result.allowed) refuse(activityType, result.reason);
        } else if (activityType === ACTIVITY_TYPES.callTool) {
          const call = request as unknown as ToolCallRequest;
          const result = recheckToolCall(call);
          if (!result.allowed) refuse(activityType, result.reason);
          // Spelt differently but resolving to a blocked endpoint: the same service.
          const blocked = await reachesBlocked(call.tool, blockedHttpEndpoints(started.plan, call.agent));
          if (blocked !== null) refuse(activityType, `tool ${call.tool.name} reaches ${blocked}, which a policy blocks (its host resolves to the same address)`);
        }
        return next(input);
      },
    };
    return { inbound };
  };
}

/**
 * The interceptor with its defaults, for workers that add it themselves; `orchPlugin` and
 * `createOrchWorker` install one per worker.
 */
export const policyInterceptor: ActivityInterceptorsFactory = createPolicyInterceptor();
