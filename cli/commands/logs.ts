/**
 * `orch logs`: a run's audit events (every call and decision) as they are written to its
 * history, for a run started anywhere; with `--follow`, until it ends.
 */
import type { Command } from 'commander';
import type { AuditEvent, AuditReader } from '../../client/audit.ts';
import { EXIT } from '../io.ts';
import { knownRun } from '../no-such-run.ts';
import type { CommandContext } from '../main.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';

export function registerLogsCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const logs = program
    .command('logs')
    .description('Print a run\'s audit events (calls, decisions, waits) from its history; --follow prints each as it happens, until the run ends.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--run-id <id>', 'a specific run of that workflow id')
    .option('-f, --follow', 'keep printing events as they happen, into later executions, until the run ends')
    .option('--json', 'one JSON object per event');
  addConnectionOptions(logs).action(async (workflowId: string, flags: ConnectionFlags & { runId?: string; follow?: boolean; json?: boolean }) => {
    const [{ auditReader }, { followHistory }] = await Promise.all([import('../../client/audit.ts'), import('../../client/follow-history.ts')]);
    await withOrchClient(io, flags, async (client) => {
      // From the run's first execution: a run that continued as new is logged whole.
      const described = await knownRun(workflowId, () => client.client.workflow.getHandle(workflowId).describe());
      const runId = flags.runId ?? (described.raw.workflowExecutionInfo?.firstRunId || described.runId);
      const abort = new AbortController();
      let interrupted = false;
      void io.interrupted?.then(() => {
        interrupted = true;
        abort.abort();
      });
      // One reader per execution, fed only what its history grew by: each event is read once.
      let reader = null as { runId: string; audit: AuditReader; shownOpen: Set<string> } | null;
      try {
        for await (const growth of followHistory(client.client, workflowId, runId, { follow: flags.follow === true, signal: abort.signal })) {
          if (reader?.runId !== growth.runId) reader = { runId: growth.runId, audit: auditReader({ runId: growth.runId }), shownOpen: new Set() };
          const settled = reader.audit.read(growth.events);
          // A call shows when it starts (once, while it runs), and again when it ends; running
          // means running where the history ends now, not at the end of a page read on the way.
          const running = growth.caughtUp ? reader.audit.open() : [];
          const shown = reader.shownOpen;
          const opened = running.filter((event) => !shown.has(openKey(event)));
          if (growth.caughtUp) reader.shownOpen = new Set(running.map(openKey));
          for (const event of [...settled, ...opened].sort((a, b) => a.eventId - b.eventId)) io.stdout(flags.json ? `${JSON.stringify(event)}\n` : renderLine(event));
        }
      } catch (error) {
        if (!interrupted) throw error;
      }
      if (interrupted) context.exitCode = EXIT.interrupted;
    });
  });
}

function openKey(event: AuditEvent): string {
  return `${event.eventId}:${event.kind}`;
}

function renderLine(event: AuditEvent): string {
  const cells = [event.time, event.kind, event.agent ?? '-', event.subject ?? '-', event.outcome, ...(event.code ? [event.code] : []), ...(event.reason ? [event.reason] : [])];
  return `${escapeLine(cells.join('  '))}\n`;
}
