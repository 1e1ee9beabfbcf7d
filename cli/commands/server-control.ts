/** `orch server status` and `orch server stop`: the background dev server `orch run` started. */
import type { Command } from 'commander';
import type { BackgroundServerStatus } from '../../dev-server/index.ts';
import { backgroundServerStatus, stopBackgroundServer } from '../deferred.ts';
import { EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { escapeLine } from '../render-text.ts';

function renderStatus(status: BackgroundServerStatus): string {
  const server = status.server;
  if (!server) {
    return `no background Temporal dev server is running (ORCH_HOME ${status.orchHome}); \`orch run\` or \`orch server start --detach\` starts one\n`;
  }
  const rows: Array<[string, string]> = [
    ['state', status.state === 'running' ? 'running' : 'not answering (its process runs, its frontend does not answer)'],
    ['address', server.address],
    ['Web UI', server.uiUrl ?? '-'],
    ['namespace', server.namespace],
    ['pid', String(server.pid)],
    ['database', server.dbFile ?? '(in memory)'],
    ['log', server.logFile],
    ['started', server.startedAt],
    ['ORCH_HOME', status.orchHome],
  ];
  return rows.map(([label, value]) => `${label.padEnd(10)} ${escapeLine(value)}\n`).join('');
}

function statusJson(status: BackgroundServerStatus): string {
  const { server } = status;
  return `${JSON.stringify({ running: status.state === 'running', state: status.state, orchHome: status.orchHome, ...(server ?? {}) })}\n`;
}

export function registerServerControlCommands(server: Command, context: CommandContext): void {
  const { io } = context;
  server
    .command('status')
    .description(`Whether the background dev server \`orch run\` started is running (exit 0), or not (exit ${EXIT.notRunning}).`)
    .option('--json', 'print it as one JSON object')
    .action(async (flags: { json?: boolean }) => {
      const status = await backgroundServerStatus({ env: io.env });
      io.stdout(flags.json ? statusJson(status) : renderStatus(status));
      context.exitCode = status.state === 'running' ? EXIT.ok : EXIT.notRunning;
    });

  server
    .command('stop')
    .description('Stop the background dev server `orch run` started: SIGTERM, then SIGKILL after 10 s.')
    .action(async () => {
      const result = await stopBackgroundServer({ env: io.env });
      if (!result.stopped) {
        io.stdout(`no background Temporal dev server is running (ORCH_HOME ${result.orchHome}); nothing to stop\n`);
        return;
      }
      const how = result.forced ? ', killed after it ignored SIGTERM for 10 s' : '';
      io.stdout(`stopped the Temporal dev server at ${result.stopped.address} (pid ${result.stopped.pid}${how})\n`);
    });
}
