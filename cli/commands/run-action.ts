/** What `orch run` and `orch result` do (cli/commands/run.ts declares them). */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { compile } from '../../compiler/index.ts';
import { OrchClient, type OrchRun, type RunOutcome, type StartRunOptions } from '../../client/orch-client.ts';
import { createOrchWorker, workflowBundle } from '../../worker/index.ts';
import { NoMatchingWorkerError } from '../../client/serving-workers.ts';
import { DEFAULT_CAPABILITIES } from '../../contract/routing.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import { installQuietRuntime } from '../quiet-runtime.ts';
import { CliError, EXIT, type CliIo } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { createProgressView, type ProgressView } from '../progress-view.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { renderBounds } from '../render-bounds.ts';
import { anyLimit, runBounds } from '../../policies/bounds.ts';
import { renderOutcome, webUiLink } from '../render-outcome.ts';
import { connectTemporal, noteSearchAttributes, reachTemporal, withOrchClient, type ConnectionFlags, type TemporalTarget } from '../temporal-target.ts';
import type { Plan } from '../../contract/plan.ts';
import { compileOptions } from './validate.ts';
import { escapeLine } from '../render-text.ts';
import type { RunFlags } from './run.ts';

const PROGRESS_POLL_MS = 250;

/**
 * The queue of a run `orch run` works on itself, unless --task-queue or ORCH_TASK_QUEUE names
 * one: a queue of its own, so no other worker on the default queue (an `orch worker` without
 * this run's secrets) takes its calls.
 */
function privateTaskQueue(env: NodeJS.ProcessEnv): string {
  return `${defaultTaskQueue(env)}-run-${randomUUID().slice(0, 8)}`;
}

export async function runCommand(paths: string[], flags: RunFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  installQuietRuntime(io.env, { dropOutcomes: true });
  const inProcessWorker = flags.worker && !flags.detach;
  // Reading the workflow bundle needs nothing from the manifests: it overlaps compiling them.
  // A failure surfaces where the worker is created, from the same memoized promise.
  if (inProcessWorker) workflowBundle().catch(() => {});
  const compiled = await compile(paths, compileOptions(flags));
  io.stderr(renderDiagnostics(compiled.diagnostics));
  if (!compiled.plan) throw new CliError('the manifests do not compile; nothing was run');
  const { plan } = compiled;
  // The worst case the policies allow, before anything starts (said only where a limit applies).
  if (anyLimit(plan)) io.stderr(renderBounds(runBounds(plan)));
  const taskQueue = flags.taskQueue ?? (inProcessWorker && !io.env.ORCH_TASK_QUEUE ? privateTaskQueue(io.env) : defaultTaskQueue(io.env));
  const target = await connectTemporal(io, { startServer: true, flags });
  // Said (or done) while the worker is created, before the run starts.
  const searchAttributes = noteSearchAttributes(io, target);
  // With a worker here, client and worker share one connection: one handshake instead of two,
  // and the server may hand the run's first workflow task straight back in the start
  // response (eager workflow start), skipping a round through the task queue.
  const { namespace, ...address } = target.connection;
  const shared = inProcessWorker ? await reachTemporal(target, () => NativeConnection.connect(address)) : null;
  try {
    const client = shared
      ? new OrchClient({ client: new Client({ connection: shared, namespace }), taskQueue })
      : await reachTemporal(target, () => OrchClient.connect({ ...target.connection, taskQueue }));
    const worker = shared
      ? await createOrchWorker({
          connection: shared,
          namespace,
          taskQueue,
          // The manifests it just compiled say where their secrets may go.
          secrets: compiled.secrets,
          manifests: compiled.manifests,
          env: io.env,
          // It serves this one run: no workflow thread to start.
          workflowsInThisThread: true,
          // It is there for this run: a routed one (contract/routing.ts) when its capabilities
          // satisfy the Task's requirements; without requirements, the task queue is enough.
          ...(plan.requirements ? { capabilities: flags.capabilities ?? DEFAULT_CAPABILITIES, knownRequirements: [plan.requirements] } : {}),
        })
      : null;
    const workerRunning = worker?.run();
    try {
      await searchAttributes;
      const run = await startRun(client, plan, { taskQueue, workflowId: flags.workflowId, requestEagerStart: worker !== null });
      if (flags.detach) {
        io.stdout(flags.json ? `${JSON.stringify({ workflowId: run.workflowId, runId: run.runId })}\n` : `${escapeLine(run.workflowId)}\n`);
        return;
      }
      const outcome = await awaitWithProgress(io, run, !flags.json, !inProcessWorker);
      if (outcome === INTERRUPTED) {
        reportInterrupted(io, run.workflowId, inProcessWorker ? taskQueue : null);
        context.exitCode = EXIT.interrupted;
        return;
      }
      context.exitCode = printOutcome(io, outcome, target, flags.json);
    } finally {
      if (worker) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRunning;
      }
      if (!shared) await client.client.connection.close();
    }
  } finally {
    await shared?.close();
  }
}

export async function resultCommand(workflowId: string, flags: ConnectionFlags & { json?: boolean; runId?: string }, context: CommandContext): Promise<void> {
  const { io } = context;

  await withOrchClient(io, flags, async (client, target) => {
    const outcome = await resultUntilInterrupted(io, client.getRun(workflowId, flags.runId), true);
    if (outcome === INTERRUPTED) {
      reportInterrupted(io, workflowId, null);
      context.exitCode = EXIT.interrupted;
      return;
    }
    context.exitCode = printOutcome(io, outcome, target, flags.json);
  });
}

const INTERRUPTED = Symbol('interrupted');

/** The run's outcome, or INTERRUPTED when the user presses Ctrl-C first (the wait is then aborted). */
async function resultUntilInterrupted(io: CliIo, run: OrchRun, watchWorkers: boolean): Promise<RunOutcome | typeof INTERRUPTED> {
  const abort = new AbortController();
  const outcome = run.result({ signal: abort.signal });
  if (watchWorkers) void sayWhenNoWorker(io, run, outcome);
  if (!io.interrupted) return outcome;
  // The abort ends a wait on a gRPC connection. A wait on the in-process worker's native
  // connection cannot be aborted and would last as long as the run, so Ctrl-C wins the race.
  const interrupted = io.interrupted.then((): typeof INTERRUPTED => {
    abort.abort();
    return INTERRUPTED;
  });
  try {
    return await Promise.race([outcome, interrupted]);
  } catch (error) {
    if (abort.signal.aborted) return INTERRUPTED;
    throw error;
  }
}

/** How often a wait on a run served elsewhere checks that some worker polls its queue. */
const WORKER_CHECK_MS = 2_000;

/**
 * A run whose queue no worker polls does not move, and waiting on it would say nothing: say
 * so (once, and again when a worker comes or goes) on stderr, until `done` settles.
 */
async function sayWhenNoWorker(io: CliIo, run: OrchRun, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => {});
  let warned = false;
  while (!finished) {
    const standing = await run.standing().catch(() => null);
    if (finished || !standing || standing.status !== 'RUNNING') return;
    const queue = escapeLine(standing.taskQueue);
    if (standing.pollers === 0 && !warned) io.stderr(`orch: no worker polls task queue "${queue}"; the run waits for one (\`orch worker --task-queue ${queue}\`)\n`);
    if (standing.pollers > 0 && warned) io.stderr(`orch: a worker polls task queue "${queue}" now\n`);
    warned = standing.pollers === 0;
    await Promise.race([sleep(WORKER_CHECK_MS), done.catch(() => {})]);
  }
}

/** Ctrl-C stops waiting, never the run: it is durable in Temporal and can be awaited again. */
function reportInterrupted(io: CliIo, workflowId: string, inProcessQueue: string | null): void {
  const needsWorker = inProcessQueue ? ` It needs a worker to go on: \`orch worker --task-queue ${escapeLine(inProcessQueue)}\`.` : '';
  const id = escapeLine(workflowId);
  io.stderr(`orch: stopped waiting; run ${id} continues in Temporal.${needsWorker} Wait for it with \`orch result ${id}\`.\n`);
}

async function startRun(client: OrchClient, plan: Plan, options: { taskQueue: string; workflowId: string | undefined; requestEagerStart: boolean }): Promise<OrchRun> {
  const start: StartRunOptions = { taskQueue: options.taskQueue, requestEagerStart: options.requestEagerStart, ...(options.workflowId ? { workflowId: options.workflowId } : {}) };
  try {
    return await client.start(plan, start);
  } catch (error) {
    if (NoMatchingWorkerError.is(error)) throw new CliError(`NO_MATCHING_WORKER: ${error.message}; nothing was started`);
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(`a run with workflow id ${error.workflowId} is already running; choose another --workflow-id or wait for it with \`orch result ${error.workflowId}\``);
    }
    throw error;
  }
}

/**
 * A progress query waits for a worker to answer; with none polling (`--no-worker`, a dead
 * worker) it would hang. Each poll gets a deadline so waiting on the run never blocks on it.
 */
const QUERY_WAIT_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function refresh(run: OrchRun, view: ProgressView): Promise<void> {
  // The first workflow task may not have run yet, or no worker answers: the next poll will tell.
  await run.progress({ timeoutMs: QUERY_WAIT_MS }).then((progress) => view.update(progress), () => {});
}

async function awaitWithProgress(io: CliIo, run: OrchRun, showProgress: boolean, watchWorkers: boolean): Promise<RunOutcome | typeof INTERRUPTED> {
  const resultPromise = resultUntilInterrupted(io, run, watchWorkers);
  if (!showProgress) return resultPromise;
  const view = createProgressView(io.stderr, io.isTTY);
  let done = false;
  const poll = (async () => {
    while (!done) {
      await refresh(run, view);
      if (!done) await sleep(PROGRESS_POLL_MS);
    }
  })();
  try {
    return await resultPromise;
  } finally {
    done = true;
    await poll;
    // One last frame, so the view ends on the finished state rather than the last poll.
    await refresh(run, view);
    view.finish();
  }
}

function printOutcome(io: CliIo, outcome: RunOutcome, target: TemporalTarget, json: boolean | undefined): number {
  const link = webUiLink(target.uiUrl, target.connection.namespace, outcome.workflowId, outcome.runId);
  if (json) io.stdout(`${JSON.stringify({ ...outcome, webUi: link })}\n`);
  else io.stdout(renderOutcome(outcome, link));
  return outcome.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}
