/**
 * `orch replay`: runs' histories replayed against the code at hand, with no model or tool
 * called. One run (its executions and its delegates' child runs), history files
 * (`temporal workflow show --output json`), or every run a list query finds, before a deploy.
 */
import type { Command } from 'commander';
import type { ReplayTarget, ReplayVerdict } from '../../worker/index.ts';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { collect } from '../main.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';
import { knownRun } from '../no-such-run.ts';
import { readHistoryFile } from '../history-file.ts';

interface ReplayFlags extends ConnectionFlags {
  runId?: string;
  file: string[];
  all?: boolean;
  query?: string;
  limit: number;
  json?: boolean;
}

export function registerReplayCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const replay = program
    .command('replay')
    .description('Replay runs against this version of orch, calling no model or tool: exit 1 where the code no longer reproduces a history, naming the event.')
    .argument('[workflow-id]', 'the run to replay, with its earlier executions and its delegates\' child runs')
    .option('--run-id <id>', 'a specific run of that workflow id')
    .option('--file <path>', 'a history file, as `temporal workflow show --output json` writes it (repeatable)', collect, [])
    .option('--all', 'every run the list query finds (with --query, --limit)')
    .option('--query <filter>', 'with --all: a Temporal list filter, as for `orch runs`')
    .option('--limit <n>', 'with --all: at most this many runs', positiveInteger('--limit'), 100)
    .option('--json', 'print one JSON object per history');
  addConnectionOptions(replay).action(async (workflowId: string | undefined, flags: ReplayFlags) => {
    const sources = [workflowId !== undefined, flags.file.length > 0, flags.all === true].filter(Boolean).length;
    if (sources !== 1) throw new CliError('replay one of: a WORKFLOW_ID, --file PATH..., or --all [--query FILTER]', EXIT.usage);
    if (flags.query !== undefined && !flags.all) throw new CliError('--query goes with --all', EXIT.usage);
    const { fetchRunHistories, recordedWorkflowId, replayHistories } = await import('../../worker/index.ts');
    const { installQuietRuntime } = await import('../quiet-runtime.ts');
    // The replayer logs every task it cannot reproduce; the verdicts say it once, located.
    installQuietRuntime(io.env, { level: 'ERROR' });
    let targets: Array<ReplayTarget & { file?: string }>;
    if (flags.file.length > 0) {
      targets = await Promise.all(
        flags.file.map(async (file) => {
          const history = await readHistoryFile(file);
          return { workflowId: recordedWorkflowId(history, file), runId: '', file, history };
        })
      );
    } else {
      targets = await withOrchClient(io, flags, async (client) => {
        if (workflowId !== undefined) return knownRun(workflowId, () => fetchRunHistories(client.client, workflowId, flags.runId));
        const runs = await client.listRuns({ ...(flags.query ? { query: flags.query } : {}), limit: flags.limit });
        const roots = runs.filter((run) => run.kind === 'run');
        return (await Promise.all(roots.map((run) => fetchRunHistories(client.client, run.workflowId, run.runId)))).flat();
      });
    }
    const verdicts = await replayHistories(targets);
    // Verdicts come in the targets' order; a file's line (and its JSON) names the file.
    const files = targets.map((target) => target.file);
    const json = (verdict: ReplayVerdict, index: number) => JSON.stringify(files[index] ? { file: files[index], ...verdict } : verdict);
    io.stdout(flags.json ? verdicts.map((verdict, index) => `${json(verdict, index)}\n`).join('') : renderVerdicts(verdicts, files));
    if (workflowId !== undefined && !flags.json && verdicts.every((verdict) => verdict.divergence === null)) {
      const { auditTrail } = await import('../../client/audit.ts');
      const { renderTable } = await import('./audit.ts');
      io.stdout(`\nWhat it did:\n${renderTable(auditTrail(targets[0]!.history))}`);
    }
    context.exitCode = verdicts.some((verdict) => verdict.divergence !== null) ? EXIT.failed : EXIT.ok;
  });
}

function renderVerdicts(verdicts: readonly ReplayVerdict[], files: ReadonlyArray<string | undefined>): string {
  const lines = verdicts.map((verdict, index) => {
    const file = files[index];
    const run = file ?? `${verdict.workflowId}${verdict.runId ? ` (${verdict.runId})` : ''}`;
    const divergence = verdict.divergence;
    if (!divergence) return `ok          ${run}: ${verdict.events} events reproduced`;
    const at = `event ${divergence.eventId} ${divergence.eventType}${divergence.subject ? ` ${divergence.subject}` : ''}`;
    return `${divergence.kind === 'nondeterminism' ? 'DIVERGES   ' : 'FAILED     '} ${run}: at ${at}: ${divergence.message}`;
  });
  const diverged = verdicts.filter((verdict) => verdict.divergence !== null).length;
  lines.push(`${verdicts.length} histor${verdicts.length === 1 ? 'y' : 'ies'} replayed: ${verdicts.length - diverged} reproduced, ${diverged} not`);
  return `${lines.map(escapeLine).join('\n')}\n`;
}
