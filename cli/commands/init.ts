/** `orch init [DIR]`: a runnable project to start from (see cli/init/template.ts). */
import type { Command } from 'commander';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { escapeLine } from '../render-text.ts';

/** A resource name: lower-case letters, digits and dashes (as Kubernetes names). */
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function registerInitCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('init')
    .description('Write a runnable project: a two-agent system on a scripted offline mock model, an OpenAI override, a test.')
    .argument('[dir]', 'where (created if missing; must hold none of the files it writes)', '.')
    .option('--name <name>', 'the system\'s name (default: the directory\'s name)')
    .action(async (dir: string, flags: { name?: string }) => {
      const [{ existsSync }, { mkdir, writeFile }, path, { PROJECT_FILES }] = await Promise.all([
        import('node:fs'),
        import('node:fs/promises'),
        import('node:path'),
        import('../init/template.ts'),
      ]);
      const root = path.resolve(dir);
      const name = flags.name ?? path.basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
      if (!NAME.test(name)) throw new CliError(`--name: "${escapeLine(name)}" is not a resource name (lower-case letters, digits and dashes)`, EXIT.usage);
      // Nothing is overwritten: a project already there stays as it is.
      const taken = Object.keys(PROJECT_FILES).filter((file) => existsSync(path.join(root, file)));
      if (taken.length > 0) throw new CliError(`${escapeLine(root)} already has ${taken.join(', ')}; nothing was written (choose an empty directory)`);
      for (const [file, text] of Object.entries(PROJECT_FILES)) {
        const target = path.join(root, file);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text.replaceAll('{{name}}', name), { flag: 'wx' });
        io.stdout(`${escapeLine(path.join(dir, file))}\n`);
      }
      io.stderr(`orch: wrote project ${name}; run it: cd ${escapeLine(dir)} && npx orch run manifests\n`);
    });
}
