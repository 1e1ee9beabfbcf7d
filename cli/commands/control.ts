/** `orch cancel` and `orch terminate`: stopping a run, gracefully or at once. */
import type { Command } from 'commander';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';

export function registerControlCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  const cancel = program
    .command('cancel')
    .description('Cancel a run: the calls in flight are cancelled, nothing new starts, delegates are cancelled with it; it ends canceled.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--reason <text>', 'why (recorded in the run history)');
  addConnectionOptions(cancel).action(async (workflowId: string, flags: ConnectionFlags & { reason?: string }) => {
    await withOrchClient(io, flags, async (client) => {
      const run = client.getRun(workflowId);
      const standing = await openRun(workflowId, () => run.standing());
      await run.cancel(flags.reason);
      const id = escapeLine(workflowId);
      const queue = escapeLine(standing.taskQueue);
      io.stdout(`cancel requested: ${id}\n`);
      // The request waits in history until a worker runs the workflow's next task.
      if (standing.pollers === 0) io.stderr(`orch: no worker polls task queue "${queue}"; the run ends canceled once one does (\`orch worker --task-queue ${queue}\`)\n`);
    });
  });

  const terminate = program
    .command('terminate')
    .description('Terminate a run at once: no worker is asked and nothing is cleaned up; it ends terminated.')
    .argument('<workflow-id>', 'workflow id of the run')
    .requiredOption('--reason <text>', 'why (recorded in the run history)');
  addConnectionOptions(terminate).action(async (workflowId: string, flags: ConnectionFlags & { reason: string }) => {
    await withOrchClient(io, flags, async (client) => {
      const run = client.getRun(workflowId);
      await openRun(workflowId, () => run.standing());
      await run.terminate(flags.reason);
      io.stdout(`terminated: ${escapeLine(workflowId)}\n`);
    });
  });
}

/** The run's standing, once it is known to exist and to be running; else one line and exit 1. */
async function openRun<T extends { status: string }>(workflowId: string, standing: () => Promise<T>): Promise<T> {
  let found: T;
  try {
    found = await standing();
  } catch (error) {
    if (error instanceof Error && error.name === 'WorkflowNotFoundError') throw new CliError(`${workflowId}: no such run`, EXIT.failed);
    throw error;
  }
  if (found.status !== 'RUNNING') throw new CliError(`${workflowId}: the run is ${found.status.toLowerCase()} already`);
  return found;
}
