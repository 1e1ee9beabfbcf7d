/** `orch validate` and `orch compile`: check manifests, or print the Plan they compile to. */
import type { Command } from 'commander';
import { compile, validate, validateWithDiscovery } from '../deferred.ts';
import { hasErrors } from '../../compiler/diagnostics.ts';
import { EXIT } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { parseInputs } from '../parse-inputs.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { renderBounds } from '../render-bounds.ts';
import { anyLimit, runBounds } from '../../policies/bounds.ts';

export function registerValidateCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('validate')
    .description('Validate manifests: every resource and every agent system, with located diagnostics.')
    .argument('<paths...>', 'manifest files or directories')
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--json', 'print diagnostics as JSON')
    .option('--discover', 'also start each MCP server and check the tools agents reference exist (tools/list)')
    .action(async (paths: string[], options: { override: string[]; json?: boolean; discover?: boolean }) => {
      const { diagnostics, resources } = options.discover
        ? await validateWithDiscovery(paths, options.override, io.env)
        : await validate(paths, { overrides: options.override });
      const valid = !hasErrors(diagnostics);
      if (options.json) {
        io.stdout(`${JSON.stringify({ valid, diagnostics, resources: resources.counts })}\n`);
      } else {
        io.stderr(renderDiagnostics(diagnostics));
        if (valid) io.stdout(`valid: ${describeCounts(resources.counts)}\n`);
      }
      context.exitCode = valid ? EXIT.ok : EXIT.failed;
    });

  program
    .command('compile')
    .description('Compile manifests into the Plan a run executes, and print it as JSON.')
    .argument('<paths...>', 'manifest files or directories')
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--system <name>', 'the AgentSystem to compile')
    .option('--task <name>', 'the Task to compile (selects its system, input and max_turns)')
    .option('--input <key=value>', 'run input field (repeatable; JSON values allowed)', collect, [])
    .action(async (paths: string[], options: CompileFlags) => {
      const result = await compile(paths, compileOptions(options));
      io.stderr(renderDiagnostics(result.diagnostics));
      if (!result.plan) {
        context.exitCode = EXIT.failed;
        return;
      }
      if (anyLimit(result.plan)) io.stderr(renderBounds(runBounds(result.plan)));
      io.stdout(`${JSON.stringify(result.plan, null, 2)}\n`);
    });
}

export interface CompileFlags {
  override: string[];
  system?: string;
  task?: string;
  input: string[];
}

export function compileOptions(flags: CompileFlags) {
  return {
    overrides: flags.override,
    ...(flags.system ? { system: flags.system } : {}),
    ...(flags.task ? { task: flags.task } : {}),
    input: parseInputs(flags.input),
  };
}

function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return parts.length > 0 ? parts.join(', ') : 'no resources';
}
