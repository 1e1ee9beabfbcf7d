/**
 * OrchClient: start runs of a compiled Plan on Temporal and await or inspect them.
 * The CLI uses exactly this API; so can any backend service.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, TerminatedFailure, CancelledFailure, TimeoutFailure, type QueryDefinition, type WorkflowIdConflictPolicy, type WorkflowIdReusePolicy } from '@temporalio/common';
import { Client, Connection, WorkflowFailedError, type TLSConfig, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { JsonValue, Plan } from '../contract/plan.ts';
import { OrchCostUsd, OrchDenials, OrchPlanHash, OrchStatus, OrchSystem, OrchTask, OrchTotalTokens, type OrchRunStatus } from '../contract/search-attributes.ts';
import type {
  ActivationRecord,
  ApprovalDecisionInput,
  BudgetRequest,
  BudgetResolution,
  LateArrival,
  PendingApproval,
  RunFailureDetails,
  RunInput,
  RunProgress,
  RunResult,
  RunUsage,
  WrapUp,
} from '../contract/run-io.ts';
import { emptyTotals } from '../contract/usage.ts';
import { describeRequirements, ROUTE_SEPARATOR, routedTaskQueue, routeKey } from '../contract/routing.ts';
import { queuePollers, requireServingWorker } from './serving-workers.ts';
import {
  approvalsQuery,
  budgetQuery,
  decideApprovalUpdate,
  defaultTaskQueue,
  progressQuery,
  resolveBudgetUpdate,
  WORKFLOW_TYPES,
  type ApprovalDecision,
} from '../contract/wire-names.ts';

/** The workflow type name, recorded in history. */
export const WORKFLOW_TYPE = WORKFLOW_TYPES.run;
/** The workflow type of a delegate's child run. */
export const DELEGATE_WORKFLOW_TYPE = WORKFLOW_TYPES.delegate;


export type RunStatus = 'succeeded' | 'failed' | 'canceled' | 'terminated' | 'timed_out';

/** A finished run, as `orch run --json` prints it. */
export interface RunOutcome {
  workflowId: string;
  runId: string;
  status: RunStatus;
  output: JsonValue | null;
  failure: {
    type: string;
    message: string;
    agent: string | null;
    /** The run ended because its retries (`message_retry`, `Task.retry`) were spent: dead-lettered. */
    deadLettered: boolean;
  } | null;
  usage: RunUsage;
  /** The latest activation records (at most 500); every one is in history (`orch audit`). */
  activations: ActivationRecord[];
  /** Older records left out of `activations` to keep a long run's result bounded. */
  activationsOmitted: number;
  /** Attempts of the whole run (`Task.retry`). */
  runAttempts: number;
  /** A branch ended because it reached `Task.max_turns`. */
  turnLimitReached: boolean;
  /** Executions the run took: more than one when it continued as new to keep history short. */
  executions: number;
  /** Branches that reached a quorum join after it had fired. */
  lateArrivals: LateArrival[];
  /** Who told the run to wrap up on its paused budget, and why (its output may then be partial); else null. */
  wrappedUp: WrapUp | null;
}

/** See OrchRun.describe. */
export interface RunDescription {
  workflowId: string;
  runId: string;
  status: RunListStatus;
  executionStatus: string;
  kind: 'run' | 'delegate';
  system: string | null;
  task: string | null;
  taskQueue: string;
  pollers: number;
  startTime: string;
  closeTime: string | null;
  /** So far (orch's search attributes); null on a namespace without them. */
  totalTokens: number | null;
  costUsd: number | null;
  denials: number | null;
  /** From a worker: null unless `live` is `answered`. */
  progress: RunProgress | null;
  approvals: PendingApproval[];
  budgetPause: BudgetRequest | null;
  /** Workflow ids of the delegates' child runs in flight. */
  delegates: string[];
  /**
   * Whether the live part is there: `answered`; `unanswered` (a worker polls but did not
   * answer in time); `no_worker` (nothing polls the queue: the run waits for a worker);
   * `closed` (the run has ended).
   */
  live: 'answered' | 'unanswered' | 'no_worker' | 'closed';
}

/** See OrchRun.standing. `status` is Temporal's: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
export interface RunStanding {
  status: string;
  taskQueue: string;
  /** Workers polling `taskQueue` (0 unless the run is RUNNING). */
  pollers: number;
}

/** The list filter `listRuns` sends: orch's runs and their delegates' child runs, narrowed by `query`. */
export function runsFilter(query: string | undefined): string {
  return `WorkflowType IN ('${WORKFLOW_TYPE}', '${DELEGATE_WORKFLOW_TYPE}')${query?.trim() ? ` AND (${query.trim()})` : ''}`;
}

export type RunListStatus = OrchRunStatus | 'terminated' | 'timed_out' | 'continued_as_new';

/** What `orch runs` shows: see RunSummary.status. */
export function runListStatus(executionStatus: string, recorded: OrchRunStatus | undefined): RunListStatus {
  // Temporal's execution status names, lower-cased.
  switch (executionStatus.toLowerCase()) {
    case 'completed':
      return 'completed';
    case 'failed':
      return recorded === 'denied' ? 'denied' : 'failed';
    case 'cancelled':
      return 'canceled';
    case 'terminated':
      return 'terminated';
    case 'timed_out':
      return 'timed_out';
    case 'continued_as_new':
      return 'continued_as_new';
    default:
      return recorded ?? 'running';
  }
}

/** One run in a fleet listing (`orch runs`), from its search attributes; null where a run has none. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CONTINUED_AS_NEW, TERMINATED, … */
  executionStatus: string;
  /**
   * Where the run stands: orch's finer status (`OrchStatus`: running, awaiting_approval,
   * budget_paused, completed, failed, denied, canceled) while it runs and when it ended on its
   * own; Temporal's (terminated, timed_out, canceled, continued_as_new) when it was ended
   * from outside, which no workflow code sees to record.
   */
  status: RunListStatus;
  /** `run`, or `delegate` for a delegate's child run (its id is `<parent>/<delegate>-<n>`). */
  kind: 'run' | 'delegate';
  /** The workflow id of the run a delegate's child run belongs to; null for a run. */
  parentWorkflowId: string | null;
  system: string | null;
  task: string | null;
  totalTokens: number | null;
  costUsd: number | null;
  denials: number | null;
  startTime: string;
  closeTime: string | null;
}

export interface StartRunOptions {
  /** Run input; defaults to the plan's (the Task's input merged with `--input`). */
  input?: JsonValue;
  workflowId?: string;
  taskQueue?: string;
  /** Continue as new once history has this many events (Temporal's own suggestion applies anyway). */
  continueAsNewAfterEvents?: number;
  /** How long a tool call waits for a human approval (default 10 minutes). */
  approvalTimeoutMs?: number;
  /** Temporal's: whether a closed run's `workflowId` may start again (default `ALLOW_DUPLICATE`). */
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
  /** Temporal's: what a start does while a run with `workflowId` is open (default `FAIL`). */
  workflowIdConflictPolicy?: WorkflowIdConflictPolicy;
  /**
   * A plan with `requirements` runs on its route's queue (`<taskQueue>/route/…`, see
   * contract/routing.ts). Unless this is false, the start first makes sure a worker polls it,
   * waiting up to `workerGraceMs` (default 3 s) for one that is starting, and otherwise throws
   * a `NoMatchingWorkerError` (`NO_MATCHING_WORKER`) and starts nothing. False: the run waits on
   * its queue for a matching worker.
   */
  requireWorker?: boolean;
  workerGraceMs?: number;
  /**
   * Temporal's eager workflow start: the server hands the run's first workflow task to a
   * worker of this process in its answer to the start, instead of through the task queue.
   * Only for a client whose Temporal `Client` shares its `NativeConnection` with a worker of
   * the run's task queue; the server falls back to the queue when that worker has no free slot.
   */
  requestEagerStart?: boolean;
}

/** How long a start waits for a worker of a routed run's queue that may be starting. */
const WORKER_GRACE_MS = 3_000;

function emptyUsage(): RunUsage {
  return { total: emptyTotals(), byAgent: {} };
}

/** A started run. */
export class OrchRun {
  readonly handle: WorkflowHandle;
  readonly workflowId: string;
  readonly runId: string | undefined;

  constructor(handle: WorkflowHandle, runId?: string) {
    this.handle = handle;
    this.workflowId = handle.workflowId;
    this.runId = runId;
  }

  /**
   * Where the run stands, without waiting on it or on a worker: its Temporal status, its task
   * queue, and how many workers poll that queue. With none, nothing answers a query or a
   * decision, and the run does not move.
   */
  async standing(): Promise<RunStanding> {
    const { description, pollers } = await this.describedWithPollers();
    return { status: description.status.name, taskQueue: description.taskQueue, pollers };
  }

  /** Temporal's description of the run, and the workers polling its queue (none asked once it has ended). */
  private async describedWithPollers() {
    const description = await this.handle.describe();
    const running = description.status.name === 'RUNNING';
    const pollers = running ? (await queuePollers(this.handle.client, description.taskQueue)).length : 0;
    return { description, pollers };
  }

  /**
   * The run as it stands, without waiting for it to finish: Temporal's view (status, queue,
   * workers polling it, times), orch's search attributes (tokens, cost, denials so far), and,
   * from a worker within `timeoutMs` when one polls, its live progress and what it waits for
   * (approvals, a budget pause, delegates in flight). Never blocks on a missing worker.
   */
  async describe(options: { timeoutMs?: number } = {}): Promise<RunDescription> {
    const { description, pollers } = await this.describedWithPollers();
    const status = description.status.name;
    const attributes = description.typedSearchAttributes;
    const running = status === 'RUNNING';
    const base: RunDescription = {
      workflowId: this.workflowId,
      runId: description.runId,
      status: runListStatus(status, attributes.get(OrchStatus) as OrchRunStatus | undefined),
      executionStatus: status,
      kind: description.type === DELEGATE_WORKFLOW_TYPE ? 'delegate' : 'run',
      system: attributes.get(OrchSystem) ?? null,
      task: attributes.get(OrchTask) ?? null,
      taskQueue: description.taskQueue,
      pollers,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
      totalTokens: attributes.get(OrchTotalTokens) ?? null,
      costUsd: attributes.get(OrchCostUsd) ?? null,
      denials: attributes.get(OrchDenials) ?? null,
      progress: null,
      approvals: [],
      budgetPause: null,
      delegates: (description.raw.pendingChildren ?? [])
        .filter((child) => child.workflowId && child.workflowTypeName === DELEGATE_WORKFLOW_TYPE)
        .map((child) => child.workflowId!),
      live: running ? (pollers > 0 ? 'unanswered' : 'no_worker') : 'closed',
    };
    if (base.live !== 'unanswered') return base;
    const deadline = Date.now() + (options.timeoutMs ?? 2_000);
    try {
      const [progress, approvals, budgetPause] = await this.handle.client.withDeadline(deadline, () => Promise.all([this.handle.query(progressQuery), this.approvals(), this.budgetPause()]));
      return { ...base, progress, approvals, budgetPause, live: 'answered' };
    } catch {
      // A worker that does not answer in time: Temporal's view stands alone.
      return base;
    }
  }

  /**
   * Asks the run to stop: the calls in flight are cancelled, nothing new starts, delegates' child
   * runs are cancelled with it, and the run ends `canceled` once a worker takes the request.
   * `reason` is recorded in its history.
   */
  async cancel(reason?: string): Promise<void> {
    const client = this.handle.client;
    try {
      await client.workflowService.requestCancelWorkflowExecution({
        namespace: client.options.namespace,
        identity: client.options.identity,
        requestId: randomUUID(),
        workflowExecution: { workflowId: this.workflowId, ...(this.runId ? { runId: this.runId } : {}) },
        ...(reason ? { reason } : {}),
      });
    } catch (error) {
      // As the SDK's own cancel reports it: WorkflowNotFoundError for a run that does not exist.
      await this.handle.describe();
      throw error;
    }
  }

  /** Ends the run at once, whatever it is doing: no worker is asked, nothing is cleaned up; it ends `terminated`. */
  terminate(reason: string): Promise<void> {
    return this.handle.terminate(reason).then(() => undefined);
  }

  /**
   * Live progress (agents, steps, tokens), from the workflow's `progress` query. A query
   * waits for a worker to answer; `timeoutMs` bounds that wait.
   */
  progress(options: { timeoutMs?: number } = {}): Promise<RunProgress> {
    const query = () => this.handle.query(progressQuery);
    if (options.timeoutMs === undefined) return query();
    return this.handle.client.withDeadline(Date.now() + options.timeoutMs, query);
  }

  /**
   * Tool calls waiting for a human decision, from the `approvals` query of the run and of
   * the delegates' child runs in flight under it. A child's approvals have ids prefixed with
   * the child's id relative to the run (`researcher-1/approval-1`); `approve` takes them as they are.
   */
  async approvals(): Promise<PendingApproval[]> {
    const answers = await this.queryEach(approvalsQuery);
    return answers.flatMap(({ path, value }) => (path === '' ? value : value.map((approval) => ({ ...approval, id: `${path}/${approval.id}` }))));
  }

  /**
   * Asks `query` of the run and of every delegate's child run in flight under it, each with its
   * id relative to the run ('' for the run). A child that finished meanwhile is left out.
   */
  private async queryEach<T>(query: QueryDefinition<T, [], string>): Promise<Array<{ path: string; value: T }>> {
    const answers = await Promise.all(
      (await this.runsInFlight()).map(async ({ path, handle }) => {
        try {
          return { path, value: await handle.query(query) };
        } catch (error) {
          if (path === '') throw error;
          return null;
        }
      })
    );
    return answers.filter((answer) => answer !== null);
  }

  /** The run and the delegates' child runs in flight under it, level by level. */
  private async runsInFlight(): Promise<Array<{ path: string; handle: WorkflowHandle }>> {
    const runs: Array<{ path: string; handle: WorkflowHandle }> = [];
    let level: WorkflowHandle[] = [this.handle];
    while (level.length > 0) {
      runs.push(...level.map((handle) => ({ path: handle === this.handle ? '' : this.relativeId(handle.workflowId), handle })));
      const descriptions = await Promise.all(level.map((handle) => handle.describe().catch(() => null)));
      level = descriptions
        .flatMap((description) => description?.raw.pendingChildren ?? [])
        .filter((child) => child.workflowId && child.workflowTypeName === DELEGATE_WORKFLOW_TYPE)
        .map((child) => this.handle.client.getHandle(child.workflowId!));
    }
    return runs;
  }

  private relativeId(workflowId: string): string {
    return workflowId.startsWith(`${this.workflowId}/`) ? workflowId.slice(this.workflowId.length + 1) : workflowId;
  }

  /** The run (or delegate child run) an id relative to this run names. */
  private handleFor(path: string): WorkflowHandle {
    return path === '' ? this.handle : this.handle.client.getHandle(`${this.workflowId}/${path}`);
  }

  /** Approves a pending tool call; it runs once, nothing else is re-run. Rejects when `id` is not pending. */
  approve(id: string, by: string, reason?: string): Promise<{ id: string; decision: ApprovalDecision }> {
    return this.decide({ id, decision: 'approve', decidedBy: by, ...(reason ? { reason } : {}) });
  }

  /** Denies a pending tool call: the run fails with APPROVAL_DENIED (or the model is told, under `on_violation: feedback`). */
  deny(id: string, by: string, reason?: string): Promise<{ id: string; decision: ApprovalDecision }> {
    return this.decide({ id, decision: 'deny', decidedBy: by, ...(reason ? { reason } : {}) });
  }

  /**
   * Why the run is paused on its budget (`on_budget_exhausted: pause`), or null when it is
   * not. A pause inside a delegate's child run names that run (`run`, relative to this one).
   */
  async budgetPause(): Promise<BudgetRequest | null> {
    return (await this.budgetPauses())[0] ?? null;
  }

  private async budgetPauses(): Promise<BudgetRequest[]> {
    const answers = await this.queryEach(budgetQuery);
    return answers.flatMap(({ path, value }) => (value === null ? [] : [path === '' ? value : { ...value, run: path }]));
  }

  /** Adds budget to a paused run; it goes on. */
  topUp(add: Partial<Pick<BudgetResolution, 'tokens' | 'costUsd' | 'modelCalls' | 'toolCalls'>>, by: string, reason?: string): Promise<{ action: string }> {
    return this.resolveBudget({ action: 'top_up', ...add, decidedBy: by, ...(reason ? { reason } : {}) });
  }

  /** Tells a paused run to wrap up: running agents answer with what they have; nothing new starts. */
  wrapUp(by: string, reason?: string): Promise<{ action: string }> {
    return this.resolveBudget({ action: 'wrap_up', decidedBy: by, ...(reason ? { reason } : {}) });
  }

  /** Resolves every paused run under this one (usually one); with none paused, the run itself answers. */
  private async resolveBudget(input: BudgetResolution): Promise<{ action: string }> {
    const paused = (await this.budgetPauses()).map((pause) => pause.run ?? '');
    let answer: { action: string } | undefined;
    for (const path of paused.length > 0 ? paused : ['']) {
      answer = await this.handleFor(path).executeUpdate(resolveBudgetUpdate, { args: [input] });
    }
    return answer!;
  }

  /**
   * `expired`: the decision reached the run after the approval's deadline, so the run recorded
   * and refused it (the call was already refused as timed out).
   */
  private decide(input: ApprovalDecisionInput): Promise<{ id: string; decision: ApprovalDecision }> {
    const slash = input.id.lastIndexOf('/');
    const handle = this.handleFor(slash < 0 ? '' : input.id.slice(0, slash));
    const local = { ...input, id: input.id.slice(slash + 1) };
    return handle
      .executeUpdate(decideApprovalUpdate, { args: [local] })
      .then((decided) => ({ ...decided, id: input.id }));
  }

  /**
   * Waits for the run to finish. Never throws for a failed run: the outcome says so.
   * Aborting `signal` stops waiting (the run goes on) and rejects.
   */
  async result(options: { signal?: AbortSignal } = {}): Promise<RunOutcome> {
    const base = { workflowId: this.workflowId, runId: this.runId ?? '' };
    const wait = () => this.handle.result();
    try {
      const result = (await (options.signal ? this.handle.client.withAbortSignal(options.signal, wait) : wait())) as RunResult;
      const runId = this.runId ?? (await this.handle.describe()).runId;
      return {
        ...base,
        runId,
        status: 'succeeded',
        output: result.output,
        failure: null,
        usage: result.usage,
        activations: result.activations,
        activationsOmitted: result.activationsOmitted ?? 0,
        runAttempts: result.runAttempts ?? 1,
        turnLimitReached: result.turnLimitReached ?? false,
        executions: result.executions ?? 1,
        lateArrivals: result.lateArrivals ?? [],
        wrappedUp: result.wrappedUp ?? null,
      };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      const runId = this.runId ?? (await this.handle.describe()).runId;
      return { ...base, runId, ...outcomeOfFailure(error.cause) };
    }
  }
}

function outcomeOfFailure(cause: Error | undefined): Omit<RunOutcome, 'workflowId' | 'runId'> {
  const failed = (status: RunStatus, type: string, message: string, details?: RunFailureDetails) => ({
    status,
    output: null,
    failure: { type, message, agent: details?.agent ?? null, deadLettered: details?.deadLettered ?? false },
    usage: details?.usage ?? emptyUsage(),
    activations: details?.activations ?? [],
    activationsOmitted: details?.activationsOmitted ?? 0,
    runAttempts: details?.runAttempts ?? 1,
    turnLimitReached: false,
    executions: 1,
    lateArrivals: [],
    wrappedUp: null,
  });
  if (cause instanceof ApplicationFailure) {
    return failed('failed', cause.type ?? 'RUN_FAILED', cause.message, cause.details?.[0] as RunFailureDetails | undefined);
  }
  if (cause instanceof TerminatedFailure) return failed('terminated', 'TERMINATED', cause.message);
  if (cause instanceof CancelledFailure) return failed('canceled', 'CANCELED', cause.message);
  if (cause instanceof TimeoutFailure) return failed('timed_out', 'TIMED_OUT', cause.message);
  return failed('failed', 'RUN_FAILED', cause?.message ?? 'run failed');
}

export interface OrchClientOptions {
  client: Client;
  taskQueue?: string;
}

/**
 * Where Temporal is. Without `address`, Temporal's own settings fill in what is not given: the
 * config file's profile (`TEMPORAL_CONFIG_FILE`, `profile` or `TEMPORAL_PROFILE`), then
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`.
 */
export interface OrchConnectOptions {
  address?: string;
  namespace?: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  /** gRPC headers sent with every call. */
  metadata?: Record<string, string>;
  /** The profile of Temporal's config file to read when no `address` is given. */
  profile?: string;
  taskQueue?: string;
}

export class OrchClient {
  readonly client: Client;
  readonly taskQueue: string;
  private ownsConnection = false;

  constructor(options: OrchClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue ?? defaultTaskQueue(process.env);
  }

  /**
   * Connects to Temporal at `address`; without one, where Temporal's settings say, as every
   * Temporal tool reads them (default `127.0.0.1:7233`, namespace `default`). An explicit
   * `address` reads none of them, so a caller's own settings are never mixed with the environment's.
   */
  static async connect(options: OrchConnectOptions = {}): Promise<OrchClient> {
    const configured = options.address === undefined ? loadClientConnectConfig(options.profile === undefined ? {} : { profile: options.profile }) : undefined;
    const fromConfig = configured?.connectionOptions;
    const tls = options.tls ?? (fromConfig?.tls || undefined);
    const apiKey = options.apiKey ?? (typeof fromConfig?.apiKey === 'string' ? fromConfig.apiKey : undefined);
    const metadata = options.metadata ?? fromConfig?.metadata;
    const connection = await Connection.connect({
      address: options.address ?? fromConfig?.address ?? '127.0.0.1:7233',
      ...(tls ? { tls } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(metadata ? { metadata } : {}),
    });
    const client = new Client({ connection, namespace: options.namespace ?? configured?.namespace ?? 'default' });
    const orch = new OrchClient({ client, ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}) });
    orch.ownsConnection = true;
    return orch;
  }

  /**
   * Closes the connection `OrchClient.connect` opened. A client built over your own Temporal
   * `Client` leaves its connection to you: this closes nothing then.
   */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.client.connection.close();
  }

  /** Starts a run of `plan`. Returns once Temporal has accepted it. */
  async start(plan: Plan, options: StartRunOptions = {}): Promise<OrchRun> {
    const workflowId = options.workflowId ?? `${plan.system.name}-${randomUUID().slice(0, 8)}`;
    const args: RunInput = {
      plan,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.continueAsNewAfterEvents === undefined ? {} : { continueAsNewAfterEvents: options.continueAsNewAfterEvents }),
      ...(options.approvalTimeoutMs === undefined ? {} : { approvalTimeoutMs: options.approvalTimeoutMs }),
    };
    const taskQueue = routedTaskQueue(options.taskQueue ?? this.taskQueue, plan.requirements);
    if (plan.requirements && options.requireWorker !== false) {
      await requireServingWorker(this.client, taskQueue, plan.requirements, options.workerGraceMs ?? WORKER_GRACE_MS);
    }
    const startOptions = {
      taskQueue,
      workflowId,
      args: [args] as [RunInput],
      staticSummary: planSummary(plan),
      staticDetails: planDetails(plan, taskQueue),
      ...(options.workflowIdReusePolicy ? { workflowIdReusePolicy: options.workflowIdReusePolicy } : {}),
      ...(options.workflowIdConflictPolicy ? { workflowIdConflictPolicy: options.workflowIdConflictPolicy } : {}),
      ...(options.requestEagerStart ? { requestEagerStart: true } : {}),
    };
    const searchAttributes = runSearchAttributes(plan);
    let handle;
    try {
      handle = await this.client.workflow.start(WORKFLOW_TYPE, {
        ...startOptions,
        args: [{ ...args, searchAttributes: true }] as [RunInput],
        typedSearchAttributes: searchAttributes,
      });
    } catch (error) {
      // A cluster where nobody registered orch's search attributes still runs orch, unsearchable.
      const said = `${String((error as Error)?.message)} ${String((error as { cause?: Error })?.cause?.message)}`;
      if (!/search attribute/i.test(said)) throw error;
      handle = await this.client.workflow.start(WORKFLOW_TYPE, startOptions);
    }
    return new OrchRun(handle, handle.firstExecutionRunId);
  }

  /**
   * Runs across the fleet, newest first, from Temporal's visibility store: `query` is a
   * Temporal list filter over orch's search attributes (`OrchStatus = 'denied'`,
   * `OrchTotalTokens > 10000`, `OrchSystem = 'newsdesk'`) and Temporal's own
   * (`ExecutionStatus = 'Running'`, `StartTime > '2026-11-01T00:00:00Z'`).
   */
  async listRuns(options: { query?: string; limit?: number } = {}): Promise<RunSummary[]> {
    const limit = options.limit ?? 20;
    const query = runsFilter(options.query);
    const runs: RunSummary[] = [];
    if (limit <= 0) return runs;
    for await (const info of this.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      const attributes = info.typedSearchAttributes;
      runs.push({
        workflowId: info.workflowId,
        runId: info.runId,
        executionStatus: info.status.name,
        status: runListStatus(info.status.name, attributes.get(OrchStatus) as OrchRunStatus | undefined),
        kind: info.type === DELEGATE_WORKFLOW_TYPE ? 'delegate' : 'run',
        parentWorkflowId: info.parentExecution?.workflowId ?? null,
        system: attributes.get(OrchSystem) ?? null,
        task: attributes.get(OrchTask) ?? null,
        totalTokens: attributes.get(OrchTotalTokens) ?? null,
        costUsd: attributes.get(OrchCostUsd) ?? null,
        denials: attributes.get(OrchDenials) ?? null,
        startTime: info.startTime.toISOString(),
        closeTime: info.closeTime?.toISOString() ?? null,
      });
      if (runs.length >= limit) break;
    }
    return runs;
  }

  /** A handle on an existing run. */
  getRun(workflowId: string, runId?: string): OrchRun {
    return new OrchRun(this.client.workflow.getHandle(workflowId, runId), runId);
  }
}

/** The search attributes a run of `plan` starts with: set by `start` and by scheduled runs. */
export function runSearchAttributes(plan: Plan) {
  return [
    { key: OrchSystem, value: plan.system.name },
    { key: OrchPlanHash, value: plan.hash },
    ...(plan.task ? [{ key: OrchTask, value: plan.task.name }] : []),
    { key: OrchStatus, value: 'running' },
    { key: OrchTotalTokens, value: 0 },
    { key: OrchCostUsd, value: 0 },
    { key: OrchDenials, value: 0 },
  ];
}

/** The one-line summary Temporal's UI shows for a run of `plan` (started or scheduled). */
export function planSummary(plan: Plan): string {
  const agents = Object.keys(plan.agents).length;
  return `${plan.system.name}${plan.task ? ` · ${plan.task.name}` : ''} · ${agents} ${agents === 1 ? 'agent' : 'agents'}`.slice(0, 200);
}

/**
 * The run's static details in the Web UI: what it runs and at what price, where it waits for a
 * worker (live details come only from one), and how a person decides for it from the Web UI.
 */
export function planDetails(plan: Plan, taskQueue?: string): string {
  const agents = Object.values(plan.agents).map((a) => {
    const model = plan.models[a.model];
    // Escaped: the Web UI's markdown reads two dollar signs on one line as math.
    const price = model?.pricing ? ` · \\$${model.pricing.inputPerMillion} / \\$${model.pricing.outputPerMillion} per 1M tokens in/out` : ' · no pricing (cost not counted)';
    return `- **${a.id.name}** → model \`${model?.model ?? a.model}\`${price}`;
  });
  // A routed run waits on its route's queue until a matching worker polls it: say what it waits for.
  const requires = plan.requirements ? ['', `Requires a worker with ${describeRequirements(plan.requirements)} (task queue \`…${ROUTE_SEPARATOR}${routeKey(plan.requirements)}\`)`] : [];
  const queue = taskQueue
    ? ['', `Runs when an orch worker polls task queue \`${taskQueue}\` (\`orch worker --task-queue ${taskQueue}\`); live progress (Current Details) comes from that worker and stays empty while none polls.`]
    : [];
  const decide = [
    '',
    'Approvals and budget pauses are decided with workflow updates (More Actions → Send an Update): `decideApproval` `{ "id", "decision": "approve"|"deny", "decidedBy", "reason"? }`, `resolveBudget` `{ "action": "top_up"|"wrap_up", "tokens"?, "costUsd"?, "modelCalls"?, "toolCalls"?, "decidedBy", "reason"? }`; or `orch approve|deny <workflow-id> <approval-id> --by <name>`, `orch budget <workflow-id> --add-tokens N | --wrap-up`.',
  ];
  return [`Plan \`${plan.hash}\``, '', ...agents, ...requires, ...queue, ...decide].join('\n').slice(0, 20_000);
}
