/**
 * `orch server [start]`: the local Temporal dev server, in the foreground until Ctrl-C, or
 * with `--detach` in the background (the one `orch run` starts and reuses).
 * `orch server status` and `orch server stop`: that background server.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { statePaths } from '../../dev-server/state-dir.ts';
import { backgroundServerStatus, ensureLocalServer, startDevServer } from '../deferred.ts';
import { CliError } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { port } from '../option-parsers.ts';
import { registerServerControlCommands } from './server-control.ts';

interface StartFlags {
  port: number;
  uiPort: number;
  dbFile?: string;
  inMemory?: boolean;
  detach?: boolean;
}

export function registerServerCommand(program: Command, context: CommandContext): void {
  const server = program.command('server').description('The local Temporal dev server: start (the default), status, stop.');
  server
    .command('start', { isDefault: true })
    .description('Run a local Temporal dev server with orch search attributes: in the foreground until interrupted, or in the background.')
    .option('--port <port>', 'frontend gRPC port (0: any free port)', port('--port'), 7233)
    .option('--ui-port <port>', 'Web UI port (0: any free port)', port('--ui-port'), 8233)
    .option('--db-file <file>', 'SQLite file (default $ORCH_HOME/temporal.db)')
    .option('--in-memory', 'keep nothing on disk')
    .option('--detach', 'start it in the background, as `orch run` does, and return (`orch server stop` stops it)')
    .action((flags: StartFlags, command: Command) =>
      // Without --port, "the background server, wherever it listens"; with it, that port.
      flags.detach ? startInBackground(context, flags, command.getOptionValueSource('port') === 'cli') : runInForeground(context, flags)
    );
  registerServerControlCommands(server, context);
}

function dbFileOption(flags: StartFlags): { dbFile?: string | null } {
  return flags.inMemory ? { dbFile: null } : flags.dbFile ? { dbFile: flags.dbFile } : {};
}

async function runInForeground(context: CommandContext, flags: StartFlags): Promise<void> {
  const { io } = context;
  // Two servers on one SQLite file corrupt it: the background server's database is not shared.
  const background = await backgroundServerStatus({ env: io.env });
  const dbFile = flags.inMemory ? null : path.resolve(flags.dbFile ?? statePaths(background.orchHome).dbFile);
  if (background.server && dbFile !== null && background.server.dbFile === dbFile) {
    throw new CliError(
      `the background Temporal dev server (pid ${background.server.pid}, ${background.server.address}) uses ${dbFile}; stop it with \`orch server stop\`, or pass --db-file or --in-memory`
    );
  }
  const server = await startDevServer({
    env: io.env,
    port: flags.port,
    uiPort: flags.uiPort,
    ...dbFileOption(flags),
    log: (message: string) => io.stderr(`${message}\n`),
  });
  io.stdout(`Temporal dev server at ${server.address}${server.uiUrl ? `, Web UI ${server.uiUrl}` : ''}\n`);
  io.stdout(`Use it from elsewhere with --address ${server.address} (or TEMPORAL_ADDRESS=${server.address}). Ctrl-C stops it.\n`);
  await Promise.race([io.interrupted, new Promise((resolve) => server.process.once('exit', resolve))]);
  await server.stop();
}

async function startInBackground(context: CommandContext, flags: StartFlags, portGiven: boolean): Promise<void> {
  const { io } = context;
  const handle = await ensureLocalServer({
    env: io.env,
    detached: true,
    ...(portGiven ? { port: flags.port } : {}),
    uiPort: flags.uiPort,
    ...dbFileOption(flags),
    log: (message: string) => io.stderr(`${message}\n`),
  });
  const ui = handle.uiUrl ? `, Web UI ${handle.uiUrl}` : '';
  if (handle.started) {
    io.stdout(`started a Temporal dev server at ${handle.address}${ui} (pid ${handle.server?.process.pid}); \`orch server stop\` stops it\n`);
    return;
  }
  const status = await backgroundServerStatus({ env: io.env });
  const ours = status.state === 'running' && status.server?.address === handle.address;
  io.stdout(`a Temporal server already runs at ${handle.address}${ui}${ours ? ` (pid ${status.server?.pid})` : ' (not started by orch; stop it where it runs)'}\n`);
}
