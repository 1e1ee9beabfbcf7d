/**
 * `orch worker`: a long-running worker. Runs carry their plan, so it needs no manifests to run
 * them; the manifests given (as PATHs or with `--secrets`) hold the Secret values it may use
 * and say where it may send them (their Secrets' `destinations`, and every endpoint they
 * declare with a secret: see activities/secret-destinations.ts).
 *
 * Which runs it serves (contract/routing.ts): those without requirements, and those whose
 * Task.requirements its capabilities satisfy: `--capabilities …`, a Worker manifest of the
 * PATHs (`--worker NAME`), else Orloj's worker defaults (region `default`, no GPU, any model).
 * The Tasks of the manifests name requirements it polls for too, if it satisfies them.
 */
import type { Command } from 'commander';
import type { LoadedResources } from '../../compiler/resources.ts';
import type { WorkerManifests } from '../../activities/secret-destinations.ts';
import type { SecretValues } from '../../contract/activity-io.ts';
import { DEFAULT_CAPABILITIES, effectiveRequirements, type PlanRequirements, type WorkerCapabilities } from '../../contract/routing.ts';
import { hasErrors } from '../../compiler/diagnostics.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import { CliError, EXIT } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { escapeLine } from '../render-text.ts';
import { parseCapabilities } from '../capabilities.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { connectTemporal, noteSearchAttributes, reachTemporal, validate } from '../deferred.ts';

interface WorkerFlags extends ConnectionFlags {
  taskQueue?: string;
  secrets: string[];
  capabilities?: WorkerCapabilities;
  worker?: string;
}

/** The Worker manifest `name` (or `namespace/name`) names; a usage error listing the Workers there when none does. */
function namedWorker(resources: LoadedResources, name: string): WorkerCapabilities {
  const found = name.includes('/')
    ? resources.workers.filter((w) => w.key === name)
    : resources.workers.filter((w) => w.name === name && w.namespace === 'default').concat(resources.workers.filter((w) => w.name === name && w.namespace !== 'default'));
  if (found.length > 1 && !found.some((w) => w.namespace === 'default')) {
    throw new CliError(`--worker ${escapeLine(name)}: Workers of that name in several namespaces (${found.map((w) => w.key).join(', ')}); name one as namespace/name`, EXIT.usage);
  }
  const worker = found[0];
  if (!worker) {
    const there = resources.workers.map((w) => w.key).join(', ') || 'none';
    throw new CliError(`--worker ${escapeLine(name)}: no Worker of that name in the manifests given (Workers there: ${there})`, EXIT.usage);
  }
  return worker.spec;
}

/** The requirements of every Task of the manifests, those that apply. */
function taskRequirements(resources: LoadedResources): PlanRequirements[] {
  return resources.tasks.map((task) => effectiveRequirements(task.spec.requirements)).filter((r): r is PlanRequirements => r !== null);
}

function describeCapabilities(c: WorkerCapabilities): string {
  const models = c.supportedModels.length > 0 ? c.supportedModels.join('|') : 'any';
  const max = c.maxConcurrentTasks === undefined ? '' : `, max_concurrent_tasks=${c.maxConcurrentTasks}`;
  return `region=${c.region}, gpu=${c.gpu}, models=${models}${max}`;
}

export function registerWorkerCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const worker = program
    .command('worker')
    .description('Run a worker for orch runs until interrupted (Ctrl-C drains it).')
    .argument('[paths...]', 'manifests: a Worker to take capabilities from (--worker), Tasks whose requirements to serve, Secrets to use')
    .option('--task-queue <queue>', 'task queue (default: $ORCH_TASK_QUEUE or "orch")')
    .option(
      '--capabilities <list>',
      'what this worker offers, as region=R,gpu=true|false,models=A|B,max_concurrent_tasks=N (any subset; default region=default, no GPU, any model); it serves runs whose Task.requirements these satisfy',
      parseCapabilities
    )
    .option('--worker <name>', 'take the capabilities from the Worker manifest of this name in PATHs')
    .option('--secrets <path>', 'manifests whose Secrets this worker may use, and whose endpoints it may send them to (repeatable)', collect, []);
  addConnectionOptions(worker).action(async (paths: string[], flags: WorkerFlags) => {
    // Loaded when a worker runs, never to declare the command (`orch --help`, `orch validate`).
    const [{ createOrchWorker, extraRouteQueues }, { installQuietRuntime }] = await Promise.all([import('../../worker/index.ts'), import('../quiet-runtime.ts')]);
    installQuietRuntime(io.env);
    if (flags.capabilities && flags.worker) throw new CliError('--capabilities and --worker are exclusive: give one', EXIT.usage);
    if (flags.worker && paths.length === 0) throw new CliError('--worker NAME needs the manifests that define it: orch worker --worker NAME PATH...', EXIT.usage);
    let secrets: SecretValues = {};
    let manifests: WorkerManifests = {};
    let capabilities = flags.capabilities ?? DEFAULT_CAPABILITIES;
    let knownRequirements: PlanRequirements[] = [];
    const manifestPaths = [...paths, ...flags.secrets];
    if (manifestPaths.length > 0) {
      const loaded = await validate(manifestPaths);
      io.stderr(renderDiagnostics(loaded.diagnostics));
      if (hasErrors(loaded.diagnostics)) throw new CliError('the manifests do not validate');
      secrets = loaded.secrets;
      manifests = loaded.manifests;
      if (flags.worker) capabilities = namedWorker(loaded.resources, flags.worker);
      knownRequirements = taskRequirements(loaded.resources);
    }
    const target = await connectTemporal(io, { startServer: false, flags });
    const taskQueue = flags.taskQueue ?? defaultTaskQueue(io.env);
    const routing = { capabilities, knownRequirements };
    const orchWorker = await reachTemporal(target, () =>
      createOrchWorker({ ...target.connection, taskQueue, secrets, manifests, env: io.env, ...routing })
    );
    await noteSearchAttributes(io, target);
    const routes = extraRouteQueues(taskQueue, routing);
    io.stderr(
      `orch: worker polling task queue "${escapeLine(taskQueue)}" at ${target.connection.address} (namespace ${target.connection.namespace}); capabilities ${escapeLine(describeCapabilities(capabilities))}\n` +
        routes.map((queue) => `orch:   and route queue "${escapeLine(queue)}"\n`).join('')
    );
    const running = orchWorker.run();
    await Promise.race([running, io.interrupted?.then(() => orchWorker.getState() === 'RUNNING' && orchWorker.shutdown())]);
    await running;
  });
}
