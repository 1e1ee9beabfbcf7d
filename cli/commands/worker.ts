/**
 * `orch worker`: a long-running worker. Runs carry their plan, so it needs no manifests to run
 * them; the manifests given with `--secrets` hold the Secret values it may use and say where
 * it may send them (their Secrets' `destinations`, and every endpoint they declare with a
 * secret: see activities/secret-destinations.ts).
 */
import type { Command } from 'commander';
import { validate } from '../../compiler/index.ts';
import type { WorkerManifests } from '../../activities/secret-destinations.ts';
import type { SecretValues } from '../../contract/activity-io.ts';
import { hasErrors } from '../../compiler/diagnostics.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import { installQuietRuntime } from '../quiet-runtime.ts';
import { CliError } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { addConnectionOptions, connectTemporal, reachTemporal, type ConnectionFlags } from '../temporal-target.ts';

export function registerWorkerCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const worker = program
    .command('worker')
    .description('Run a worker for orch runs until interrupted (Ctrl-C drains it).')
    .option('--task-queue <queue>', 'task queue (default: $ORCH_TASK_QUEUE or "orch")')
    .option('--secrets <path>', 'manifests whose Secrets this worker may use, and whose endpoints it may send them to (repeatable)', collect, []);
  addConnectionOptions(worker).action(async (flags: ConnectionFlags & { taskQueue?: string; secrets: string[] }) => {
    installQuietRuntime(io.env);
    let secrets: SecretValues = {};
    let manifests: WorkerManifests = {};
    if (flags.secrets.length > 0) {
      const loaded = await validate(flags.secrets);
      io.stderr(renderDiagnostics(loaded.diagnostics));
      if (hasErrors(loaded.diagnostics)) throw new CliError('the secret manifests do not validate');
      secrets = loaded.secrets;
      manifests = loaded.manifests;
    }
    const target = await connectTemporal(io, { startServer: false, flags });
    const taskQueue = flags.taskQueue ?? defaultTaskQueue(io.env);
    const orchWorker = await reachTemporal(target, () =>
      createOrchWorker({ ...target.connection, taskQueue, secrets, manifests, env: io.env })
    );
    io.stderr(`orch: worker polling task queue "${taskQueue}" at ${target.connection.address} (namespace ${target.connection.namespace})\n`);
    const running = orchWorker.run();
    await Promise.race([running, io.interrupted?.then(() => orchWorker.shutdown())]);
    await running;
  });
}
