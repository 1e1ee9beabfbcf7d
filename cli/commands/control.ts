/** `orch describe`, `orch cancel` and `orch terminate`: looking at a run without waiting on it, and stopping it. */
import type { Command } from 'commander';
import type { RunDescription } from '../../client/orch-client.ts';
import { CliError } from '../io.ts';
import { knownRun } from '../no-such-run.ts';
import type { CommandContext } from '../main.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';

export function registerControlCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  const describe = program
    .command('describe')
    .description('Show where a run stands without waiting on it: status, queue and workers, tokens and cost so far, agents, what it waits for.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--json', 'print it as JSON');
  addConnectionOptions(describe).action(async (workflowId: string, flags: ConnectionFlags & { json?: boolean }) => {
    await withOrchClient(io, flags, async (client) => {
      const described = await knownRun(workflowId, () => client.getRun(workflowId).describe());
      io.stdout(flags.json ? `${JSON.stringify(described)}\n` : renderDescription(described));
    });
  });

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
  const found = await knownRun(workflowId, standing);
  if (found.status !== 'RUNNING') throw new CliError(`${workflowId}: the run is ${found.status.toLowerCase()} already`);
  return found;
}

function renderDescription(run: RunDescription): string {
  const lines: string[] = [`run ${run.workflowId} ${run.status}${run.kind === 'delegate' ? ' (a delegate\'s child run)' : ''}`];
  if (run.system) lines.push(`system    ${run.system}${run.task ? ` (task ${run.task})` : ''}`);
  lines.push(`started   ${run.startTime}${run.closeTime ? `, ended ${run.closeTime}` : ''}`);
  const workers = run.live === 'closed' ? '' : run.pollers === 0 ? ': no worker polls it, the run waits for one' : `: ${run.pollers} worker${run.pollers === 1 ? '' : 's'} polling`;
  lines.push(`queue     ${run.taskQueue}${workers}`);
  const usage = run.progress?.usage;
  const tokens = usage?.totalTokens ?? run.totalTokens;
  const cost = usage?.costUsd ?? run.costUsd;
  if (tokens !== null) lines.push(`so far    ${tokens} tokens${cost !== null ? `, $${cost.toFixed(6)}` : ''}${usage ? `, ${usage.modelCalls} model calls, ${usage.toolCalls} tool calls` : ''}${run.denials ? `, ${run.denials} denied` : ''}`);
  if (run.progress) {
    const agents = Object.entries(run.progress.agents);
    const width = Math.max(5, ...agents.map(([name]) => name.length));
    lines.push('agents');
    for (const [name, state] of agents) {
      const detail = [state.phase, ...(state.phase === 'running' && state.step > 0 ? [`step ${state.step}`] : []), ...(state.phase === 'running' && state.lastAction ? [state.lastAction] : []), ...(state.usage.totalTokens > 0 ? [`${state.usage.totalTokens} tokens`] : [])];
      lines.push(`  ${name.padEnd(width)}  ${detail.join(' · ')}`);
    }
  } else if (run.live === 'unanswered') {
    lines.push('agents    (no worker answered in time)');
  }
  const waits = [
    ...run.approvals.map((a) => `approval ${a.id}: ${a.agent} → ${a.tool}, required by ${a.policy}${a.rule ? ` ${a.rule}` : ''} (expires ${new Date(a.expiresAt).toISOString()}; \`orch approve ${run.workflowId} ${a.id}\`)`),
    ...(run.budgetPause ? [`budget: ${run.budgetPause.run ? `${run.budgetPause.run}: ` : ''}${run.budgetPause.agent}: ${run.budgetPause.reason} (${run.budgetPause.policy}; \`orch budget ${run.workflowId}\`)`] : []),
    ...run.delegates.map((id) => `delegate ${id}`),
  ];
  if (waits.length > 0) lines.push('waiting for', ...waits.map((wait) => `  ${wait}`));
  return `${lines.map(escapeLine).join('\n')}\n`;
}
