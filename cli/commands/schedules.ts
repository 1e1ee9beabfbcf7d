/** `orch schedules apply|list|delete|trigger`: TaskSchedules as Temporal Schedules. */
import type { Command } from 'commander';
import type { OrchClient } from '../../client/orch-client.ts';
import type { ScheduleInfo } from '../../client/schedules.ts';
import { applySchedules, compileSchedules, connectTemporal, deleteSchedule, listSchedules, reachTemporal, triggerSchedule } from '../deferred.ts';
import { defaultTaskQueue } from '../../contract/wire-names.ts';
import { CliError, EXIT, type CliIo } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { renderColumns } from '../render-table.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';

interface ScheduleFlags extends ConnectionFlags {
  taskQueue?: string;
  json?: boolean;
}

/** Connects with the task queue scheduled runs go to (the queue `orch worker` serves), acts, closes. */
async function withSchedules<T>(io: CliIo, flags: ScheduleFlags, act: (client: OrchClient) => Promise<T>): Promise<T> {
  const [{ OrchClient }, { ScheduleNotFound }] = await Promise.all([import('../../client/orch-client.ts'), import('../../client/schedules.ts')]);
  const target = await connectTemporal(io, { startServer: false, flags });
  const client = await reachTemporal(target, () => OrchClient.connect({ ...target.connection, taskQueue: flags.taskQueue ?? defaultTaskQueue(io.env) }));
  try {
    return await act(client);
  } catch (error) {
    if (error instanceof ScheduleNotFound) throw new CliError(error.message);
    throw error;
  } finally {
    await client.close();
  }
}

function withCommonOptions(command: Command): Command {
  return addConnectionOptions(command.option('--task-queue <queue>', 'task queue of the scheduled runs (default: $ORCH_TASK_QUEUE or "orch")'));
}

export function registerSchedulesCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const schedules = program.command('schedules').description('Apply TaskSchedules as Temporal Schedules; list, trigger and delete them.');

  withCommonOptions(
    schedules
      .command('apply')
      .description('Compile the manifests and create or update one Temporal Schedule per TaskSchedule (an unchanged one is left alone).')
      .argument('<paths...>', 'manifest files or directories')
      .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
      .option('--json', 'print the results as JSON')
  ).action(async (paths: string[], flags: ScheduleFlags & { override: string[] }) => {
    const compiled = await compileSchedules(paths, { overrides: flags.override });
    io.stderr(renderDiagnostics(compiled.diagnostics));
    if (!compiled.schedules) throw new CliError('the manifests do not compile; no schedule was applied');
    if (compiled.schedules.length === 0) throw new CliError('no TaskSchedule in the given manifests');
    const definitions = compiled.schedules;
    const results = await withSchedules(io, flags, (client) => applySchedules(client, definitions));
    for (const { key, unservedTaskQueue } of results) {
      if (unservedTaskQueue) io.stderr(`warning: ${key}: no worker polls "${unservedTaskQueue}" now; its runs need a worker whose capabilities match its Task's requirements, and wait on that queue until one starts\n`);
    }
    io.stdout(flags.json ? `${JSON.stringify(results)}\n` : results.map(({ key, result }) => `${key}: ${result}\n`).join(''));
  });

  withCommonOptions(schedules.command('list').description('List applied TaskSchedules: cron, time zone, state, next run.').option('--json', 'print them as JSON')).action(
    async (flags: ScheduleFlags) => {
      const infos = await withSchedules(io, flags, (client) => listSchedules(client));
      io.stdout(flags.json ? `${JSON.stringify(infos)}\n` : renderSchedules(infos));
    }
  );

  withCommonOptions(
    schedules.command('delete').description('Delete an applied TaskSchedule (runs it started go on).').argument('<name>', 'name or namespace/name').option('--json', 'print the result as JSON')
  ).action(async (name: string, flags: ScheduleFlags) => {
    const key = await withSchedules(io, flags, (client) => deleteSchedule(client, name));
    io.stdout(flags.json ? `${JSON.stringify({ key, deleted: true })}\n` : `${key}: deleted\n`);
  });

  withCommonOptions(
    schedules
      .command('trigger')
      .description('Start a run of an applied TaskSchedule now, under its concurrency_policy (forbid skips it while a run is going).')
      .argument('<name>', 'name or namespace/name')
      .option('--json', 'print the result as JSON')
  ).action(async (name: string, flags: ScheduleFlags) => {
    const result = await withSchedules(io, flags, (client) => triggerSchedule(client, name));
    if (flags.json) io.stdout(`${JSON.stringify(result)}\n`);
    else io.stdout(result.skipped ? `${result.key}: skipped (concurrency_policy: a run is still going)\n` : `${result.key}: started ${result.workflowId}\n`);
    // A skipped trigger did not do what was asked.
    if (result.skipped) context.exitCode = EXIT.failed;
  });
}

function renderSchedules(infos: readonly ScheduleInfo[]): string {
  if (infos.length === 0) return 'no schedules applied\n';
  const header = ['schedule', 'cron', 'time zone', 'policy', 'state', 'runs', 'next run'];
  const rows = infos.map((info) => [
    info.key,
    info.cron ?? '-',
    info.timeZone ?? '-',
    info.concurrencyPolicy ?? '-',
    info.paused ? 'suspended' : 'active',
    String(info.actionsTaken),
    info.paused ? '-' : (info.nextRuns[0] ?? '-'),
  ]);
  return renderColumns(header, rows);
}
