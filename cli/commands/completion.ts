/**
 * `orch completion bash|zsh|fish`: a completion script for the shell, generated from the
 * commands and options the program declares, so it never falls behind them.
 */
import type { Command } from 'commander';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';

interface CommandWords {
  name: string;
  options: string[];
  subcommands: string[];
}

function wordsOf(program: Command): CommandWords[] {
  return program.commands.map((command) => ({
    name: command.name(),
    options: command.options.flatMap((option) => [option.short, option.long].filter((flag): flag is string => Boolean(flag))).concat('--help'),
    subcommands: command.commands.map((sub) => sub.name()),
  }));
}

function bash(commands: CommandWords[]): string {
  const cases = commands.map((command) => `    ${command.name}) words="${[...command.subcommands, ...command.options].join(' ')}" ;;`).join('\n');
  return `# orch completion for bash: eval "$(orch completion bash)"
_orch() {
  local current="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${commands.map((command) => command.name).join(' ')} --help --version"
  else
    case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$current"))
  # Paths complete as files when no word matches (manifests, overrides).
  if [ \${#COMPREPLY[@]} -eq 0 ]; then COMPREPLY=($(compgen -f -- "$current")); fi
}
complete -o filenames -F _orch orch
`;
}

function fish(commands: CommandWords[]): string {
  const lines = ['# orch completion for fish: orch completion fish | source', 'complete -c orch -f'];
  for (const command of commands) {
    lines.push(`complete -c orch -n '__fish_use_subcommand' -a '${command.name}'`);
    for (const sub of command.subcommands) lines.push(`complete -c orch -n '__fish_seen_subcommand_from ${command.name}' -a '${sub}'`);
    for (const option of command.options.filter((flag) => flag.startsWith('--'))) {
      lines.push(`complete -c orch -n '__fish_seen_subcommand_from ${command.name}' -l '${option.slice(2)}'`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerCompletionCommand(program: Command, context: CommandContext): void {
  program
    .command('completion')
    .description('Print a shell completion script: eval "$(orch completion bash)", zsh likewise, or orch completion fish | source.')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const commands = wordsOf(program);
      if (shell === 'bash') context.io.stdout(bash(commands));
      // zsh runs bash completion functions through bashcompinit.
      else if (shell === 'zsh') context.io.stdout(`# orch completion for zsh: eval "$(orch completion zsh)"\nautoload -U +X bashcompinit && bashcompinit\n${bash(commands)}`);
      else if (shell === 'fish') context.io.stdout(fish(commands));
      else throw new CliError(`shell "${shell}" is not one of bash, zsh, fish`, EXIT.usage);
    });
}
