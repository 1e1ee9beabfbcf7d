/** `orch runs`: runs across the fleet, filtered by orch's search attributes. */
import type { Command } from 'commander';
import type { RunSummary } from '../../client/orch-client.ts';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { positiveInteger } from '../option-parsers.ts';
import { renderColumns } from '../render-table.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { noteSearchAttributes, withOrchClient } from '../deferred.ts';

export function registerRunsCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const runs = program
    .command('runs')
    .description('List runs, newest first, filtered by a Temporal list query over orch\'s search attributes.')
    .option('--query <filter>', "e.g. \"OrchStatus = 'denied'\", \"OrchTotalTokens > 10000 AND OrchSystem = 'newsdesk'\"")
    .option('--limit <n>', 'at most this many runs', positiveInteger('--limit'), 20)
    .option('--json', 'print them as JSON');
  addConnectionOptions(runs).action(async (flags: ConnectionFlags & { query?: string; limit: number; json?: boolean }) => {
    await withOrchClient(io, flags, async (client, target) => {
      await noteSearchAttributes(io, target);
      let runs: RunSummary[];
      try {
        runs = await client.listRuns({ ...(flags.query ? { query: flags.query } : {}), limit: flags.limit });
      } catch (error) {
        // The server parses the filter: INVALID_ARGUMENT is a bad --query, said in its words.
        const grpc = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
        if (grpc?.code === 3) {
          const message = String(grpc.message).replace(/^\d+ INVALID_ARGUMENT: /, '');
          throw new CliError(`--query: ${message} (in: ${(await import('../../client/orch-client.ts')).runsFilter(flags.query)})`, EXIT.usage);
        }
        throw error;
      }
      io.stdout(flags.json ? `${JSON.stringify(runs)}\n` : renderRuns(runs));
    });
  });
}

function renderRuns(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'no runs match\n';
  const header = ['workflow id', 'status', 'system', 'tokens', 'cost usd', 'denials', 'started'];
  const rows = runs.map((run) => [
    run.workflowId,
    run.status,
    run.system ?? '-',
    run.totalTokens === null ? '-' : String(run.totalTokens),
    run.costUsd === null ? '-' : run.costUsd.toFixed(6),
    run.denials === null ? '-' : String(run.denials),
    run.startTime,
  ]);
  return renderColumns(header, rows);
}
