/**
 * `orch` command line. `main(argv, io)` returns the exit code, so tests call it in-process.
 * Exit codes: 0 success, 1 a failed run or diagnostics, 2 usage, 3 no server running
 * (`orch server status`), 130 interrupted.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT, type CliIo } from './io.ts';
import { orchVersion } from './version.ts';
import { escapeLine } from './render-text.ts';
import { registerRunCommands } from './commands/run.ts';
import { registerValidateCommands } from './commands/validate.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerServerCommand } from './commands/server.ts';
import { registerToolsCommand } from './commands/tools.ts';
import { registerApprovalCommands } from './commands/approvals.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerRunsCommand } from './commands/runs.ts';
import { registerSchedulesCommand } from './commands/schedules.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerControlCommands } from './commands/control.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerDryRunCommand } from './commands/dry-run.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerSchemaCommands } from './commands/schema.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerCompletionCommand } from './commands/completion.ts';

export interface CommandContext {
  io: CliIo;
  /** Set by a command's action; commander itself only knows success or throw. */
  exitCode: number;
}

/** Collects a repeatable option (`--input a=1 --input b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(context: CommandContext): Command {
  const program = new Command('orch')
    .description('Durable, governed orchestration for multi-agent AI systems, on Temporal.')
    .version(orchVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout(text),
      writeErr: (text) => context.io.stderr(text),
    });
  registerRunCommands(program, context);
  registerValidateCommands(program, context);
  registerWorkerCommand(program, context);
  registerServerCommand(program, context);
  registerToolsCommand(program, context);
  registerApprovalCommands(program, context);
  registerAuditCommand(program, context);
  registerRunsCommand(program, context);
  registerControlCommands(program, context);
  registerReplayCommand(program, context);
  registerDryRunCommand(program, context);
  registerLogsCommand(program, context);
  registerSchemaCommands(program, context);
  registerInitCommand(program, context);
  // Last: its script lists every command declared before it.
  registerCompletionCommand(program, context);
  registerSchedulesCommand(program, context);
  registerServeCommand(program, context);
  // Subcommands (and theirs: `orch server stop`) inherit exit and output handling so their usage errors exit 2 too.
  const inherit = (parent: Command): void => {
    for (const command of parent.commands) {
      command.exitOverride().configureOutput(program.configureOutput());
      inherit(command);
    }
  };
  inherit(program);
  return program;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const context: CommandContext = { io, exitCode: EXIT.ok };
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      // Help shown in place of a missing command (`orch`, `orch help bogus`) is a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr(`${escapeLine(`orch: ${error.message}`)}\n`);
      return error.exitCode;
    }
    // Anything else is a bug or an environment failure: one clear line, no stack trace.
    // Messages may quote what a server or a manifest said: escaped, so they stay one line.
    io.stderr(`${escapeLine(`orch: ${error instanceof Error ? error.message : String(error)}`)}\n`);
    if (io.env.ORCH_DEBUG) io.stderr(`${error instanceof Error ? error.stack : ''}\n`);
    return EXIT.failed;
  }
}
