/** `orch server`: the embedded Temporal dev server (SQLite under .orch/, Web UI), in the foreground. */
import type { Command } from 'commander';
import { port } from '../option-parsers.ts';
import { startDevServer } from '../../dev-server/temporal-server.ts';
import type { CommandContext } from '../main.ts';

export function registerServerCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('server')
    .description('Run a local Temporal dev server with orch search attributes until interrupted.')
    .option('--port <port>', 'frontend gRPC port', port('--port'), 7233)
    .option('--ui-port <port>', 'Web UI port', port('--ui-port'), 8233)
    .option('--db-file <file>', 'SQLite file (default .orch/temporal.db)')
    .option('--in-memory', 'keep nothing on disk')
    .action(async (flags: { port: number; uiPort: number; dbFile?: string; inMemory?: boolean }) => {
      const server = await startDevServer({
        env: io.env,
        port: flags.port,
        uiPort: flags.uiPort,
        ...(flags.inMemory ? { dbFile: null } : flags.dbFile ? { dbFile: flags.dbFile } : {}),
        log: (message: string) => io.stderr(`${message}\n`),
      });
      io.stdout(`Temporal dev server at ${server.address}${server.uiUrl ? `, Web UI ${server.uiUrl}` : ''}\n`);
      io.stdout(`Use it from elsewhere with TEMPORAL_ADDRESS=${server.address}. Ctrl-C stops it.\n`);
      await Promise.race([io.interrupted, new Promise((resolve) => server.process.once('exit', resolve))]);
      await server.stop();
    });
}
