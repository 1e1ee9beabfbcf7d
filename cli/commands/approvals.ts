/** `orch approvals`, `orch approve`, `orch deny`: people deciding tool calls that wait for them. */
import type { Command } from 'commander';
import type { OrchRun } from '../../client/orch-client.ts';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { positiveInteger, positiveNumber } from '../option-parsers.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';
import { isNoSuchRun } from '../no-such-run.ts';

/**
 * How long a decision (an update) or a question (a query) may wait for a worker to take it.
 * A worker that polls answers in milliseconds; this bounds a busy or dying one.
 */
const WORKER_ANSWER_MS = 30_000;

/**
 * Runs `act` on the run, once it is known to be running with a worker polling its queue (else
 * nothing would answer, and the command would wait forever). `closed` answers for a run that
 * has ended. Any failure becomes one line naming the run and its cause.
 */
async function withRun<T>(
  context: CommandContext,
  flags: ConnectionFlags,
  workflowId: string,
  act: (run: OrchRun) => Promise<T>,
  closed: (status: string) => T = (status) => {
    throw new CliError(`${workflowId}: the run is ${status.toLowerCase()}; there is nothing to decide`);
  }
): Promise<T> {
  return withOrchClient(context.io, flags, async (client) => {
    const run = client.getRun(workflowId);
    let waiting = false;
    try {
      const standing = await run.standing();
      if (standing.status !== 'RUNNING') return closed(standing.status);
      if (standing.pollers === 0) {
        const queue = escapeLine(standing.taskQueue);
        throw new CliError(`${workflowId}: no worker polls its task queue "${queue}", so nothing would answer; nothing was sent (start one: \`orch worker --task-queue ${queue}\`)`);
      }
      waiting = true;
      return await client.client.withDeadline(Date.now() + WORKER_ANSWER_MS, () => act(run));
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (waiting && isDeadlineExceeded(error)) {
        throw new CliError(`${workflowId}: no worker answered within ${WORKER_ANSWER_MS / 1000} s; a decision may still reach the run (see \`orch approvals ${workflowId}\`)`);
      }
      throw new CliError(`${workflowId}: ${causeOf(error).split('\n')[0]}`);
    }
  });
}

/**
 * The message that says why: an update's or a query's own failure rather than Temporal's
 * wrapper around it. By name: this module is loaded to declare commands, without the client.
 */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (isNoSuchRun(error)) return 'no such run';
  if ((error.name === 'WorkflowUpdateFailedError' || error.name === 'QueryRejectedError') && error.cause instanceof Error && error.cause.message) return error.cause.message;
  return error.message;
}

const GRPC_DEADLINE_EXCEEDED = 4;

function isDeadlineExceeded(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as { code?: unknown }).code === GRPC_DEADLINE_EXCEEDED) return true;
  }
  return false;
}

export function registerApprovalCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  const approvals = program
    .command('approvals')
    .description('List the tool calls of a run that wait for a human decision.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--json', 'print them as JSON');
  addConnectionOptions(approvals).action(async (workflowId: string, flags: ConnectionFlags & { json?: boolean }) => {
    const pending = await withRun(context, flags, workflowId, (run) => run.approvals(), () => []);
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
      const inspecting = !flags.wrapUp && Object.keys(add).length === 0;
      await withRun(context, flags, workflowId, async (run) => {
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
      }, inspecting ? () => io.stdout(flags.json ? 'null\n' : 'not paused\n') : undefined);
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
      const result = await withRun(context, flags, workflowId, (run) => {
        return decision === 'approve' ? run.approve(approvalId, flags.by, flags.reason) : run.deny(approvalId, flags.by, flags.reason);
      });
      io.stdout(`${result.id} ${result.decision}\n`);
      // Too late: the run had already timed the approval out and refused the decision.
      context.exitCode = result.decision === 'expired' ? EXIT.failed : EXIT.ok;
    });
  }
}
