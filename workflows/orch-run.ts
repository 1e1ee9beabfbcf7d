/**
 * The `orchRun` workflow: Temporal glue around the pure interpreter. It maps the Effects
 * port onto activities, serves live progress, and turns run failures into typed
 * ApplicationFailures that carry the usage so far.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LocalCallLimits, OrchActivities, ToolCallRequest } from '../contract/activity-io.ts';
import { DEFAULT_MODEL_CALL_TIMEOUT_MS, PLAN_SCHEMA_VERSION, type Plan, type PlanMcpServer } from '../contract/plan.ts';
import { CheckpointReached, PlanInterpreter } from './interpreter.ts';
import { withPlanDefaults } from '../contract/plan-defaults.ts';
import { callOnModelQueue, modelQueueOf } from './model-queues.ts';
import { LocalCallBudget } from './local-call-budget.ts';
import { openApprovalDesk } from './approval-desk.ts';
import { openBudgetDesk } from './budget-desk.ts';
import { CallFailure, GOVERNANCE_FAILURES, RunFailure } from './run-failure.ts';
import { RunStatusBoard } from './run-status-board.ts';
import type { OrchRunStatus } from '../contract/search-attributes.ts';
import { renderProgressMarkdown } from './progress-details.ts';
import { emptyTotals, spentUsageIn } from './usage-ledger.ts';
import { historyLimitReached, jsonBytes, MAX_PAYLOAD_BYTES } from './payload-size.ts';
import type {
  ApprovalRequest,
  BudgetRequest,
  DelegationRequest,
  DelegationResult,
  RunFailureDetails,
  RunInput,
  RunProgress,
  RunResult,
} from '../contract/run-io.ts';
import type { Effects } from './effects.ts';
import { ACTIVITY_TYPES, progressQuery } from '../contract/wire-names.ts';

/** Live progress of a run: agents, steps, tokens. Queries add nothing to history. */
export { progressQuery };

/**
 * A killed worker stops heartbeating; after this long the server retries its call on
 * another worker. Activities heartbeat every second, so this only trips on a dead worker.
 */
const HEARTBEAT_TIMEOUT = '10 seconds';
/** Marks runs whose whole-run retries carry approval and top-up counters (see PlanInterpreter.retryCheckpoint). */
const RETRY_CARRIES_COUNTERS_PATCH = 'orch-retry-carries-counters';
/**
 * Mark runs that failed at a limit; asked only once a limit is reached, so no other run records
 * it. A history recorded before (a run past the limit, a continue-as-new the server refused)
 * replays as it ran, and its next new workflow task fails typed.
 */
const HISTORY_LIMIT_PATCH = 'orch-history-limit';
const PAYLOAD_LIMIT_PATCH = 'orch-payload-limit';
const MODEL_CALL_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 } as const;
const activities = proxyActivities<OrchActivities>({ startToCloseTimeout: DEFAULT_MODEL_CALL_TIMEOUT_MS, retry: MODEL_CALL_RETRY });
/** Model calls of `execution: local` endpoints (see activities/call-records.ts for what keeps them exactly once). */
const localActivities = proxyLocalActivities<OrchActivities>({
  startToCloseTimeout: DEFAULT_MODEL_CALL_TIMEOUT_MS,
  // The activation's deadline has passed: another attempt would pass it too (activities/activation-deadline.ts).
  retry: { ...MODEL_CALL_RETRY, nonRetryableErrorTypes: ['AGENT_TIMEOUT'] },
  // Every retry stays in the worker, under the call's sequence number, which keys its call record:
  // past this threshold Temporal would retry after a timer, as a new local activity.
  localRetryThreshold: '10 minutes',
});
/**
 * Marks runs that end `canceled` when cancelled (before, the cancellation failed the agent in
 * flight: AGENT_FAILED); asked only once a run is cancelled, so no other run records it.
 */
const RUN_CANCELLATION_PATCH = 'orch-run-cancellation';
/** Marks runs that run an `execution: local` endpoint's calls as local activities; asked only for those. */
const LOCAL_MODEL_CALLS_PATCH = 'orch-local-model-calls';

/**
 * Activities one execution keeps pending at most. Temporal fails every workflow task of a
 * workflow with more than 2,000 pending, which would stall the run for good; calls past this
 * bound wait for a slot instead (fan-out × parallel tool calls can get there).
 */
const MAX_PENDING_ACTIVITIES = 1000;

/**
 * Near Temporal's history limits no further call starts: the activation fails for good, and
 * so the run, typed, instead of being terminated by the server mid-call.
 */
function refusedAtHistoryLimit(): Promise<never> | null {
  const reason = historyLimitReached(workflowInfo());
  return reason === null || !patched(HISTORY_LIMIT_PATCH) ? null : Promise.reject(new CallFailure('HISTORY_LIMIT_REACHED', `${reason}; no further call starts`, { nonRetryable: true }));
}

interface ActivationLimit {
  /** Workflow time. */
  deadline: number;
  timeoutMs: number;
}

/** The `limits.timeout` of each activation's scope (see LocalCallLimits). */
const activationLimits = new WeakMap<CancellationScope, ActivationLimit>();

/** The limit of the activation `scope` belongs to: its own or its nearest ancestor's; null without a timeout. */
function activationLimitOf(scope: CancellationScope): ActivationLimit | null {
  for (let current: CancellationScope | undefined = scope; current; current = current.parent) {
    const limit = activationLimits.get(current);
    if (limit) return limit;
  }
  return null;
}

/** A first-come, first-served bound on calls in flight; deterministic, as workflow code must be. */
function callSlots(limit: number): <T>(call: () => Promise<T>) => Promise<T> {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (inFlight >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
    try {
      return await call();
    } finally {
      inFlight--;
      waiting.shift()?.();
    }
  };
}

function temporalEffects(
  onProgress: (progress: RunProgress) => void,
  continueAsNewAfterEvents: number | undefined,
  awaitApproval: Effects['awaitApproval'],
  awaitBudget: Effects['awaitBudget'],
  approvalTimeoutMs: number | undefined
): Effects {
  const slot = callSlots(MAX_PENDING_ACTIVITIES);
  const localCalls = new LocalCallBudget(() => workflowInfo().historyLength);
  // The workflow's own scope: cancelled when the run is, unlike the scopes of agents' timeouts.
  const root = CancellationScope.current();
  return {
    awaitApproval,
    awaitBudget,
    callModel: (request, options) => {
      const refused = refusedAtHistoryLimit();
      if (refused) return refused;
      const queue = modelQueueOf(workflowInfo().taskQueue, request.model);
      const startToCloseTimeout = request.model.timeoutMs ?? DEFAULT_MODEL_CALL_TIMEOUT_MS;
      const call = (answerOf?: string) =>
        activities[ACTIVITY_TYPES.callModel]
          .executeWithOptions(
            {
              summary: options.summary,
              heartbeatTimeout: HEARTBEAT_TIMEOUT,
              startToCloseTimeout,
              ...(queue ? { taskQueue: queue.name } : {}),
            },
            answerOf === undefined ? [request] : [request, { answerOf }]
          )
          .catch(asCallFailure);
      // The compiler refuses local with a rate limit: a local call passes through no task queue.
      if (request.model.execution === 'local' && !queue && patched(LOCAL_MODEL_CALLS_PATCH)) {
        const activation = activationLimitOf(CancellationScope.current());
        const local = () => {
          const limits: LocalCallLimits = {
            attemptTimeoutMs: startToCloseTimeout,
            // Workflow time, taken when the call starts: the worker counts it down on its own clock.
            ...(activation ? { activationRemainingMs: Math.max(0, activation.deadline - Date.now()), activationTimeoutMs: activation.timeoutMs } : {}),
          };
          // The activity times itself out (with its echo and spent tokens); Temporal's timeout is the backstop.
          return localActivities[ACTIVITY_TYPES.callModel]
            .executeWithOptions({ summary: options.summary, startToCloseTimeout: startToCloseTimeout + 5_000 }, [request, limits])
            .catch(asCallFailure);
        };
        // An answer too large for the workflow task comes through an activity of its own, from its record.
        return slot(() => localCalls.run(local, () => call()).then((answer) => (answer.handedOver ? call(answer.handedOver.activityId) : answer)));
      }
      return slot(() => (queue ? callOnModelQueue(queue, call) : call()));
    },
    callTool: (request, options) =>
      refusedAtHistoryLimit() ??
      slot(() => activities[ACTIVITY_TYPES.callTool]
        .executeWithOptions(
          {
            summary: options.summary,
            // The activity enforces the tool's own timeout; this is the backstop.
            startToCloseTimeout: request.tool.timeoutMs + 5_000,
            heartbeatTimeout: HEARTBEAT_TIMEOUT,
            retry: toolRetryPolicy(request),
          },
          [request]
        )
        .catch(asCallFailure)),
    callMemory: (request, options) =>
      refusedAtHistoryLimit() ??
      slot(() => activities[ACTIVITY_TYPES.callMemory]
        .executeWithOptions(
          {
            summary: options.summary,
            startToCloseTimeout: '30 seconds',
            heartbeatTimeout: HEARTBEAT_TIMEOUT,
            retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
          },
          [request]
        )
        .catch(asCallFailure)),
    listMcpTools: (request, options) =>
      activities[ACTIVITY_TYPES.listMcpTools]
        .executeWithOptions(
          {
            summary: options.summary,
            // Starting a stdio server can mean installing it first (`npx -y …`).
            startToCloseTimeout: '2 minutes',
            retry: reconnectPolicy(request.server.reconnect),
          },
          [request]
        )
        .catch(asCallFailure),
    delegate: (request, options) =>
      refusedAtHistoryLimit() ??
      executeChild(orchDelegate, {
        // A delegate's approvals wait as long as the run's own.
        args: [approvalTimeoutMs === undefined ? request : { ...request, approvalTimeoutMs }],
        workflowId: `${workflowInfo().workflowId}/${options.childId}`,
        staticSummary: options.summary,
      }).catch(asDelegationFailure),
    sleep: (ms) => sleep(ms),
    withTimeout: async (ms, fn) => {
      const limit = { deadline: Date.now() + ms, timeoutMs: ms };
      try {
        return await CancellationScope.withTimeout(ms, () => {
          activationLimits.set(CancellationScope.current(), limit);
          return fn();
        });
      } catch (error) {
        // Cancelled by our timer, not by a cancellation of the run itself: a timeout.
        if (isCancellation(error) && !CancellationScope.current().consideredCancelled) {
          throw new CallFailure('AGENT_TIMEOUT', `the activation did not finish within ${ms} ms (limits.timeout)`);
        }
        throw error;
      }
    },
    runCancelled: () => runCancelled(root),
    shouldContinueAsNew: () => {
      const info = workflowInfo();
      return info.continueAsNewSuggested || (continueAsNewAfterEvents !== undefined && info.historyLength >= continueAsNewAfterEvents);
    },
    patched: (id) => patched(id),
    onProgress,
  };
}

/**
 * A tool's `runtime.retry` is its Temporal retry policy: `max_attempts` 1 (Orloj's default)
 * means at most once, right for tools that are not idempotent. An MCP tool's failures of its
 * own come back as results, so its retries are for the connection: the server's `reconnect`.
 */
function toolRetryPolicy(request: ToolCallRequest) {
  if (request.mcpServer) return reconnectPolicy(request.mcpServer.reconnect);
  const { retry } = request.tool;
  return {
    initialInterval: Math.max(retry.backoffMs, 100),
    backoffCoefficient: 2,
    maximumInterval: Math.max(retry.maxBackoffMs, retry.backoffMs, 100),
    maximumAttempts: Math.max(retry.maxAttempts, 1),
  };
}

function reconnectPolicy(reconnect: PlanMcpServer['reconnect']) {
  return {
    initialInterval: Math.max(reconnect.backoffMs, 100),
    backoffCoefficient: 2,
    maximumAttempts: Math.max(reconnect.maxAttempts, 1),
  };
}

/**
 * A run's progress for the `progress` query, and the Web UI's Current Details of it: the
 * progress and what it waits for on people. Progress changes many times per workflow task;
 * the details are rendered once per burst (user metadata: not replayed).
 */
function liveDetails(plan: Plan, title: string, onlyAgent?: string) {
  let progress: RunProgress | null = null;
  setHandler(progressQuery, () => progress ?? { phase: 'running', agents: {}, usage: emptyTotals() });
  const waits = { approvals: new Map<string, ApprovalRequest>(), budget: null as BudgetRequest | null };
  let renderQueued = false;
  const render = () => {
    if (renderQueued) return;
    renderQueued = true;
    void Promise.resolve().then(() => {
      renderQueued = false;
      if (progress) setCurrentDetails(renderProgressMarkdown(plan, progress, { approvals: [...waits.approvals.values()], budget: waits.budget }, title, onlyAgent));
    });
  };
  return {
    progressed(next: RunProgress): void {
      progress = next;
      render();
    },
    approvals: {
      open: (request: ApprovalRequest) => (waits.approvals.set(request.id, request), render()),
      close: (request: ApprovalRequest) => (waits.approvals.delete(request.id), render()),
    },
    budget: {
      open: (request: BudgetRequest) => ((waits.budget = request), render()),
      close: () => ((waits.budget = null), render()),
    },
  };
}

/**
 * A delegate's desk, its requests shown while open. It returns the desk's own promise: a
 * delegate awaited its desks directly before it showed them, and must replay as it ran.
 */
function watched<Request, Answer>(desk: (request: Request) => Promise<Answer>, watch: { open(request: Request): void; close(request: Request): void }): (request: Request) => Promise<Answer> {
  return (request) => {
    watch.open(request);
    const answer = desk(request);
    const close = () => watch.close(request);
    answer.then(close, close);
    return answer;
  };
}

/**
 * A desk (approvals, budget) whose waits show on the run's status: `status` while any wait
 * is open, `running` again once none is.
 */
function whileWaiting<Request, Answer>(
  desk: (request: Request) => Promise<Answer>,
  status: OrchRunStatus,
  show: (status: OrchRunStatus) => void,
  /** Told of each request as it opens and closes (the Web UI's current details show them). */
  watch?: { open(request: Request): void; close(request: Request): void }
): (request: Request) => Promise<Answer> {
  let open = 0;
  return async (request) => {
    if (open++ === 0) show(status);
    watch?.open(request);
    try {
      return await desk(request);
    } finally {
      watch?.close(request);
      if (--open === 0) show('running');
    }
  };
}

/** Whether the run itself was cancelled (`root` is the workflow's scope), for runs that take the change. */
function runCancelled(root: CancellationScope): boolean {
  return root.consideredCancelled && patched(RUN_CANCELLATION_PATCH);
}

/** An activity that failed for good becomes a CallFailure for the interpreter; cancellation passes through. */
function asCallFailure(error: unknown): never {
  // A local activity's failure arrives as its cause itself, without the ActivityFailure around it.
  const local = error instanceof ApplicationFailure || error instanceof TimeoutFailure;
  if ((error instanceof ActivityFailure || local) && !isCancellation(error)) {
    const cause = local ? error : error.cause;
    const type =
      cause instanceof ApplicationFailure ? (cause.type ?? 'ACTIVITY_FAILED') : cause instanceof TimeoutFailure ? 'CALL_TIMEOUT' : 'ACTIVITY_FAILED';
    const nonRetryable = cause instanceof ApplicationFailure && cause.nonRetryable === true;
    const details = cause instanceof ApplicationFailure ? cause.details : cause instanceof TimeoutFailure ? cause.lastHeartbeatDetails : undefined;
    const first: unknown = Array.isArray(details) ? details[0] : details;
    const spent = spentUsageIn(first);
    // An activity's request is in its scheduled event; a local one's only in the echo its failure carries.
    const requestInHistory = !local || (first !== null && typeof first === 'object' && 'call' in first);
    throw new CallFailure(type, cause?.message ?? error.message, { cause: error, nonRetryable, spent, requestInHistory });
  }
  throw error;
}

/** A delegate's child run that failed becomes a CallFailure: the supervisor hears about it. */
function asDelegationFailure(error: unknown): never {
  if (error instanceof ChildWorkflowFailure && !isCancellation(error)) {
    const cause = error.cause;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'DELEGATION_FAILED') : 'DELEGATION_FAILED';
    const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<RunFailureDetails> | undefined) : undefined;
    throw new CallFailure(type, cause?.message ?? error.message, { cause: error, childUsage: details?.usage, childRefusals: details?.refusals });
  }
  throw error;
}

function failureDetails(failure: RunFailure, interpreter: PlanInterpreter): RunFailureDetails {
  return {
    agent: failure.agent,
    deadLettered: failure.deadLettered,
    runAttempts: interpreter.runAttempt,
    usage: interpreter.ledger.snapshot(),
    activations: interpreter.activations,
    ...interpreter.omitted(),
    ...interpreter.reportedRefusals(),
  };
}


/**
 * The failure of a payload over the bound, or null when it is safely below Temporal's limit.
 * Over it the server would refuse the completion or the continue-as-new, and the workflow
 * task would be retried for ever.
 */
function overPayloadLimit(payload: unknown, code: 'RUN_OUTPUT_TOO_LARGE' | 'RUN_STATE_TOO_LARGE', what: string): RunFailure | null {
  const bytes = jsonBytes(payload);
  if (bytes <= MAX_PAYLOAD_BYTES || !patched(PAYLOAD_LIMIT_PATCH)) return null;
  return new RunFailure(code, `${what} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of a payload`, null);
}

function asRunFailure(error: unknown): RunFailure {
  return error instanceof RunFailure ? error : new RunFailure('RUN_FAILED', String(error), null, { cause: error });
}

function checkPlanVersion(plan: RunInput['plan']): void {
  if (plan?.schemaVersion !== PLAN_SCHEMA_VERSION) {
    // A plan from a newer (or older) compiler than this worker understands: refuse, never guess.
    throw ApplicationFailure.create({
      type: 'PLAN_VERSION_UNSUPPORTED',
      message: `plan schema version ${String(plan?.schemaVersion)} is not supported by this worker (expected ${PLAN_SCHEMA_VERSION})`,
      nonRetryable: true,
    });
  }
}

/** Interprets a compiled Plan. One workflow type runs every agent system. */
export async function orchRun(runInput: RunInput): Promise<RunResult> {
  checkPlanVersion(runInput.plan);
  const plan = withPlanDefaults(runInput.plan);
  const input = runInput.input !== undefined ? runInput.input : plan.input;
  const details = liveDetails(plan, plan.system.name);
  let interpreter: PlanInterpreter | null = null;
  const carried = runInput.resume;
  const board = new RunStatusBoard(runInput.searchAttributes === true, {
    tokens: carried?.usage.total.totalTokens ?? 0,
    costUsd: carried?.usage.total.costUsd ?? 0,
    denials: carried?.denials ?? 0,
  });
  const show = (status: OrchRunStatus, options?: { force?: boolean }) =>
    interpreter && board.show(status, interpreter.ledger.total, interpreter.denials, options);
  const effects = temporalEffects(
    details.progressed,
    runInput.continueAsNewAfterEvents,
    whileWaiting(openApprovalDesk(runInput.approvalTimeoutMs), 'awaiting_approval', show, details.approvals),
    whileWaiting(openBudgetDesk(), 'budget_paused', show, details.budget),
    runInput.approvalTimeoutMs
  );
  const root = CancellationScope.current();
  let resume = runInput.resume;
  for (;;) {
    interpreter = new PlanInterpreter(plan, input, effects, resume);
    try {
      const result = await interpreter.run();
      const oversized = overPayloadLimit(result, 'RUN_OUTPUT_TOO_LARGE', "the run's result");
      if (oversized) throw oversized;
      show('completed', { force: true });
      return result;
    } catch (caught) {
      let error = caught;
      if (error instanceof CheckpointReached) {
        // History is getting long: go on in a fresh execution with the run's state.
        const next = { ...runInput, resume: error.checkpoint };
        const oversized = overPayloadLimit(next, 'RUN_STATE_TOO_LARGE', 'what the run carries into its next execution');
        if (!oversized) {
          show('running', { force: true });
          return await continueAsNew<typeof orchRun>(next);
        }
        error = oversized;
      }
      if (runCancelled(root)) {
        interpreter.progress.phase = 'canceled';
        details.progressed(interpreter.progress);
        show('canceled', { force: true });
        throw isCancellation(error) ? error : new CancelledFailure('the run was canceled');
      }
      if (isCancellation(error)) throw error;
      const failure = asRunFailure(error);
      const attemptsLeft = interpreter.runAttempt < Math.max(plan.retry.maxAttempts, 1);
      if (failure.deadLettered && attemptsLeft) {
        // Task.retry: the whole run again after its backoff, the ledger carried over.
        await sleep(plan.retry.backoffMs * 2 ** (interpreter.runAttempt - 1));
        resume = interpreter.retryCheckpoint();
        if (!patched(RETRY_CARRIES_COUNTERS_PATCH)) {
          // Runs that retried before counters were carried replay as they ran.
          delete resume.approvals;
          delete resume.topUps;
        }
        continue;
      }
      // A result refused for its size had already shown the run as succeeded.
      interpreter.progress.phase = 'failed';
      details.progressed(interpreter.progress);
      const denied = GOVERNANCE_FAILURES.has(failure.code);
      board.show(denied ? 'denied' : 'failed', interpreter.ledger.total, interpreter.denials + (denied ? 1 : 0), { force: true });
      const prefix = failure.agent ? `agent ${failure.agent}: ` : '';
      const attempts = interpreter.runAttempt > 1 ? ` (run attempt ${interpreter.runAttempt} of ${plan.retry.maxAttempts})` : '';
      throw ApplicationFailure.create({
        type: failure.code,
        message: `${prefix}${failure.message}${attempts}`,
        nonRetryable: true,
        details: [failureDetails(failure, interpreter)],
      });
    }
  }
}

/**
 * A delegate's child run: one activation of the delegate agent on the supervisor's task,
 * as its own workflow so the Web UI shows the tree. Its usage goes back to the supervisor.
 */
export async function orchDelegate(request: DelegationRequest): Promise<DelegationResult> {
  checkPlanVersion(request.plan);
  const plan = withPlanDefaults(request.plan);
  const details = liveDetails(plan, `delegate ${request.agent} of ${plan.system.name}`, request.agent);
  const effects = temporalEffects(
    details.progressed,
    undefined,
    watched(openApprovalDesk(request.approvalTimeoutMs), details.approvals),
    watched(openBudgetDesk(), details.budget),
    request.approvalTimeoutMs
  );
  const interpreter = new PlanInterpreter(plan, request.task, effects, undefined, {
    depth: request.depth,
    ...(request.spentOutside ? { spentOutside: request.spentOutside } : {}),
    ...(request.share ? { share: request.share } : {}),
  });
  const root = CancellationScope.current();
  try {
    const { output, activations } = await interpreter.runSingle(request.agent);
    const result = { output, usage: interpreter.ledger.snapshot(), activations, ...interpreter.reportedRefusals() };
    const oversized = overPayloadLimit(result, 'RUN_OUTPUT_TOO_LARGE', "the delegate's result");
    if (oversized) throw oversized;
    return result;
  } catch (error) {
    if (runCancelled(root)) {
      interpreter.progress.phase = 'canceled';
      details.progressed(interpreter.progress);
      throw isCancellation(error) ? error : new CancelledFailure('the run was canceled');
    }
    if (isCancellation(error)) throw error;
    const failure = asRunFailure(error);
    throw ApplicationFailure.create({
      type: failure.code,
      message: `delegate ${request.agent}: ${failure.message}`,
      nonRetryable: true,
      details: [failureDetails(failure, interpreter)],
    });
  }
}
