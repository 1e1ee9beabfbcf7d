/** `orch run` (compile, start, stream, print) and `orch result` (await an existing run). */
import type { Command } from 'commander';
import { compile } from '../../compiler/index.ts';
import { OrchClient, type OrchRun, type RunOutcome } from '../../client/orch-client.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { NoMatchingWorkerError } from '../../client/serving-workers.ts';
import { DEFAULT_CAPABILITIES, type WorkerCapabilities } from '../../contract/routing.ts';
import { parseCapabilities } from '../capabilities.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import { installQuietRuntime } from '../quiet-runtime.ts';
import { CliError, EXIT, type CliIo } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { createProgressView, type ProgressView } from '../progress-view.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { renderOutcome, webUiLink } from '../render-outcome.ts';
import { addConnectionOptions, connectTemporal, reachTemporal, withOrchClient, type ConnectionFlags, type TemporalTarget } from '../temporal-target.ts';
import type { Plan } from '../../contract/plan.ts';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { compileOptions, type CompileFlags } from './validate.ts';
import { escapeLine } from '../render-text.ts';

interface RunFlags extends CompileFlags, ConnectionFlags {
  json?: boolean;
  detach?: boolean;
  worker: boolean;
  workflowId?: string;
  taskQueue?: string;
  capabilities?: WorkerCapabilities;
}

const PROGRESS_POLL_MS = 250;

export function registerRunCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  const run = program
    .command('run')
    .description('Compile manifests and run an agent system on Temporal, streaming progress.')
    .argument('<paths...>', 'manifest files or directories')
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--system <name>', 'the AgentSystem to run')
    .option('--task <name>', 'the Task to run (selects its system, input and max_turns)')
    .option('--input <key=value>', 'run input field (repeatable; JSON values allowed)', collect, [])
    .option('--json', 'print one JSON object with the outcome')
    .option('--detach', 'start the run, print its workflow id and return (a worker must run elsewhere)')
    .option('--no-worker', 'do not start a worker in this process (one must run elsewhere)')
    .option('--workflow-id <id>', 'workflow id of the run')
    .option('--task-queue <queue>', 'task queue (default: $ORCH_TASK_QUEUE or "orch")')
    .option('--capabilities <list>', "the in-process worker's capabilities, as for `orch worker` (default region=default, no GPU, any model)", parseCapabilities);
  addConnectionOptions(run).action(async (paths: string[], flags: RunFlags) => {
    installQuietRuntime(io.env, { dropOutcomes: true });
    const compiled = await compile(paths, compileOptions(flags));
    io.stderr(renderDiagnostics(compiled.diagnostics));
    if (!compiled.plan) throw new CliError('the manifests do not compile; nothing was run');
    const { plan } = compiled;
    const taskQueue = flags.taskQueue ?? defaultTaskQueue(io.env);
    const target = await connectTemporal(io, { startServer: true, flags });
    const client = await reachTemporal(target, () => OrchClient.connect({ ...target.connection, taskQueue }));
    const inProcessWorker = flags.worker && !flags.detach;
    const worker = inProcessWorker
      ? await reachTemporal(target, () =>
          // The manifests it just compiled say where their secrets may go.
          // It is there for this run: a routed one (contract/routing.ts) when its capabilities
          // satisfy the Task's requirements; without requirements, the task queue is enough.
          createOrchWorker({
            ...target.connection,
            taskQueue,
            secrets: compiled.secrets,
            manifests: compiled.manifests,
            env: io.env,
            ...(plan.requirements ? { capabilities: flags.capabilities ?? DEFAULT_CAPABILITIES, knownRequirements: [plan.requirements] } : {}),
          })
        )
      : null;
    const workerRunning = worker?.run();
    try {
      const run = await startRun(client, compiled.plan, { taskQueue, workflowId: flags.workflowId });
      if (flags.detach) {
        io.stdout(flags.json ? `${JSON.stringify({ workflowId: run.workflowId, runId: run.runId })}\n` : `${escapeLine(run.workflowId)}\n`);
        return;
      }
      const outcome = await awaitWithProgress(io, run, !flags.json);
      if (outcome === INTERRUPTED) {
        reportInterrupted(io, run.workflowId, inProcessWorker);
        context.exitCode = EXIT.interrupted;
        return;
      }
      context.exitCode = printOutcome(io, outcome, target, flags.json);
    } finally {
      if (worker) {
        worker.shutdown();
        await workerRunning;
      }
      await client.client.connection.close();
    }
  });

  const result = program
    .command('result')
    .description('Wait for a run to finish and print its outcome, as `orch run` does.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--run-id <id>', 'a specific run of that workflow id')
    .option('--json', 'print one JSON object with the outcome');
  addConnectionOptions(result).action(async (workflowId: string, flags: ConnectionFlags & { json?: boolean; runId?: string }) => {
    await withOrchClient(io, flags, async (client, target) => {
      const outcome = await resultUntilInterrupted(io, client.getRun(workflowId, flags.runId));
      if (outcome === INTERRUPTED) {
        reportInterrupted(io, workflowId, false);
        context.exitCode = EXIT.interrupted;
        return;
      }
      context.exitCode = printOutcome(io, outcome, target, flags.json);
    });
  });
}

const INTERRUPTED = Symbol('interrupted');

/** The run's outcome, or INTERRUPTED when the user presses Ctrl-C first (the wait is then aborted). */
async function resultUntilInterrupted(io: CliIo, run: OrchRun): Promise<RunOutcome | typeof INTERRUPTED> {
  const abort = new AbortController();
  let interrupted = false;
  void io.interrupted?.then(() => {
    interrupted = true;
    abort.abort();
  });
  try {
    return await run.result({ signal: abort.signal });
  } catch (error) {
    if (interrupted) return INTERRUPTED;
    throw error;
  }
}

/** Ctrl-C stops waiting, never the run: it is durable in Temporal and can be awaited again. */
function reportInterrupted(io: CliIo, workflowId: string, hadInProcessWorker: boolean): void {
  const needsWorker = hadInProcessWorker ? ' It needs a worker to go on: `orch worker`.' : '';
  const id = escapeLine(workflowId);
  io.stderr(`orch: stopped waiting; run ${id} continues in Temporal.${needsWorker} Wait for it with \`orch result ${id}\`.\n`);
}

async function startRun(client: OrchClient, plan: Plan, options: { taskQueue: string; workflowId: string | undefined }): Promise<OrchRun> {
  try {
    return await client.start(plan, { taskQueue: options.taskQueue, ...(options.workflowId ? { workflowId: options.workflowId } : {}) });
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

async function awaitWithProgress(io: CliIo, run: OrchRun, showProgress: boolean): Promise<RunOutcome | typeof INTERRUPTED> {
  const resultPromise = resultUntilInterrupted(io, run);
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
