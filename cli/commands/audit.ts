/** `orch audit`: a run's audit trail, derived from its workflow history. */
import { Option, type Command } from 'commander';
import type { AuditEvent } from '../../client/audit.ts';
import { fetchAuditTrail } from '../deferred.ts';
import { CliError } from '../io.ts';
import { renderColumns } from '../render-table.ts';
import type { CommandContext } from '../main.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';

type AuditFormat = 'jsonl' | 'table';

export function registerAuditCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const audit = program
    .command('audit')
    .description('Print the audit trail of a run: every call and decision, from its workflow history.')
    .argument('<workflow-id>', 'workflow id of the run')
    .option('--run-id <id>', 'a specific run of that workflow id')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'table']).default('table'));
  addConnectionOptions(audit).action(async (workflowId: string, flags: ConnectionFlags & { runId?: string; format: AuditFormat }) => {
    await withOrchClient(io, flags, async (client, target) => {
      let trail: AuditEvent[];
      try {
        trail = await fetchAuditTrail(client, workflowId, flags.runId);
      } catch (error) {
        if (isNotFound(error)) throw new CliError(`no run with workflow id ${workflowId}${flags.runId ? ` and run id ${flags.runId}` : ''} in namespace ${target.connection.namespace}`);
        throw error;
      }
      io.stdout(flags.format === 'jsonl' ? renderJsonl(trail) : renderTable(trail));
    });
  });
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // gRPC NOT_FOUND (5); INVALID_ARGUMENT (3) for a run id that is not a UUID.
  return code === 5 || code === 3 || /not found/i.test(error instanceof Error ? error.message : String(error));
}

export function renderJsonl(trail: readonly AuditEvent[]): string {
  return trail.map((event) => `${JSON.stringify(event)}\n`).join('');
}

const COLUMNS = ['time', 'kind', 'agent', 'subject', 'outcome', 'code', 'reason'] as const;

/** The table's reason column, cut to one readable line (`--format jsonl` has it whole). */
const REASON_WIDTH = 120;

export function renderTable(trail: readonly AuditEvent[]): string {
  const cell = (event: AuditEvent, column: (typeof COLUMNS)[number]): string => {
    const value = event[column] ?? '-';
    return column === 'reason' && value.length > REASON_WIDTH ? `${value.slice(0, REASON_WIDTH - 1)}…` : value;
  };
  return renderColumns(COLUMNS, trail.map((event) => COLUMNS.map((column) => cell(event, column))));
}
