/**
 * `orch run` (compile, start, stream, print) and `orch result` (await an existing run). What
 * they do is in run-action.ts, loaded when one of them runs: declaring them loads no
 * compiler, client or worker.
 */
import type { Command } from 'commander';
import type { WorkerCapabilities } from '../../contract/routing.ts';
import { parseCapabilities } from '../capabilities.ts';
import { collect, type CommandContext } from '../main.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import type { CompileFlags } from './validate.ts';

export interface RunFlags extends CompileFlags, ConnectionFlags {
  json?: boolean;
  detach?: boolean;
  worker: boolean;
  workflowId?: string;
  taskQueue?: string;
  capabilities?: WorkerCapabilities;
}

export function registerRunCommands(program: Command, context: CommandContext): void {
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
    await (await import('./run-action.ts')).runCommand(paths, flags, context);
  });

  const result = program
    .command('result')
    .description('Wait for a run to finish and print its outcome, as `orch run` does.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--run-id <id>', 'a specific run of that workflow id')
    .option('--json', 'print one JSON object with the outcome');
  addConnectionOptions(result).action(async (workflowId: string, flags: ConnectionFlags & { json?: boolean; runId?: string }) => {
    await (await import('./run-action.ts')).resultCommand(workflowId, flags, context);
  });
}

