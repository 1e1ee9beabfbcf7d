/** `orch approvals`, `orch approve`, `orch deny`: people deciding tool calls that wait for them. */
import type { Command } from 'commander';
import type { OrchClient } from '../../client/orch-client.ts';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { positiveInteger, positiveNumber } from '../option-parsers.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';

/** Runs `act` on a client; any failure becomes one line naming the run. */
async function withRun<T>(context: CommandContext, flags: ConnectionFlags, workflowId: string, act: (client: OrchClient) => Promise<T>): Promise<T> {
  return withOrchClient(context.io, flags, async (client) => {
    try {
      return await act(client);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CliError(`${workflowId}: ${message.split('\n')[0]}`);
    }
  });
}

export function registerApprovalCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  const approvals = program
    .command('approvals')
    .description('List the tool calls of a run that wait for a human decision.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--json', 'print them as JSON');
  addConnectionOptions(approvals).action(async (workflowId: string, flags: ConnectionFlags & { json?: boolean }) => {
    const pending = await withRun(context, flags, workflowId, (client) => client.getRun(workflowId).approvals());
    if (flags.json) {
      io.stdout(`${JSON.stringify(pending)}\n`);
      return;
    }
    if (pending.length === 0) io.stdout('no pending approvals\n');
    for (const approval of pending) {
      const expires = new Date(approval.expiresAt).toISOString();
      // Arguments come from a model and reasons from manifests: escaped, one approval per line.
      io.stdout(`${escapeLine(`${approval.id}  ${approval.agent} → ${approval.tool}  ${JSON.stringify(approval.arguments)}  (${approval.reason}; expires ${expires})`)}\n`);
    }
  });

  const budget = program
    .command('budget')
    .description('Show why a run is paused on its budget; add budget to it, or tell it to wrap up.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--add-tokens <n>', 'tokens to add', positiveInteger('--add-tokens'))
    .option('--add-cost <usd>', 'USD to add', positiveNumber('--add-cost'))
    .option('--add-model-calls <n>', 'model calls to add', positiveInteger('--add-model-calls'))
    .option('--add-tool-calls <n>', 'tool calls to add', positiveInteger('--add-tool-calls'))
    .option('--wrap-up', 'finish with what the agents have; start nothing new')
    .option('--by <name>', 'who decides (recorded in the run history)', process.env.USER ?? 'unknown')
    .option('--reason <text>', 'why (recorded in the run history)')
    .option('--json', 'print the pause as JSON');
  addConnectionOptions(budget).action(
    async (
      workflowId: string,
      flags: ConnectionFlags & { addTokens?: number; addCost?: number; addModelCalls?: number; addToolCalls?: number; wrapUp?: boolean; by: string; reason?: string; json?: boolean }
    ) => {
      const add = {
        ...(flags.addTokens ? { tokens: flags.addTokens } : {}),
        ...(flags.addCost ? { costUsd: flags.addCost } : {}),
        ...(flags.addModelCalls ? { modelCalls: flags.addModelCalls } : {}),
        ...(flags.addToolCalls ? { toolCalls: flags.addToolCalls } : {}),
      };
      if (flags.wrapUp && Object.keys(add).length > 0) throw new CliError('--wrap-up cannot be combined with --add-*', EXIT.usage);
      await withRun(context, flags, workflowId, async (client) => {
        const run = client.getRun(workflowId);
        if (flags.wrapUp) {
          await run.wrapUp(flags.by, flags.reason);
          io.stdout('wrapping up\n');
        } else if (Object.keys(add).length > 0) {
          await run.topUp(add, flags.by, flags.reason);
          io.stdout('budget added; the run goes on\n');
        } else {
          const pause = await run.budgetPause();
          if (flags.json) io.stdout(`${JSON.stringify(pause)}\n`);
          else io.stdout(pause ? `${escapeLine(`paused: ${pause.run ? `${pause.run}: ` : ''}${pause.agent}: ${pause.reason} (${pause.policy})`)}\n` : 'not paused\n');
        }
      });
    }
  );

  for (const decision of ['approve', 'deny'] as const) {
    const decide = program
      .command(decision)
      .description(decision === 'approve' ? 'Approve a pending tool call: it runs, once.' : 'Deny a pending tool call.')
      .argument('<workflow-id>', 'workflow id of the run')
      .argument('<approval-id>', 'the approval, as `orch approvals` lists it')
      .option('--by <name>', 'who decides (recorded in the run history)', process.env.USER ?? 'unknown')
      .option('--reason <text>', 'why (recorded in the run history)');
    addConnectionOptions(decide).action(async (workflowId: string, approvalId: string, flags: ConnectionFlags & { by: string; reason?: string }) => {
      const result = await withRun(context, flags, workflowId, (client) => {
        const run = client.getRun(workflowId);
        return decision === 'approve' ? run.approve(approvalId, flags.by, flags.reason) : run.deny(approvalId, flags.by, flags.reason);
      });
      io.stdout(`${result.id} ${result.decision}\n`);
      // Too late: the run had already timed the approval out and refused the decision.
      context.exitCode = result.decision === 'expired' ? EXIT.failed : EXIT.ok;
    });
  }
}
