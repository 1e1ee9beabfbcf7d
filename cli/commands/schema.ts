/** `orch schema` and `orch explain`: the manifest JSON Schema, whole or per kind, and one field of it. */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';

export function registerSchemaCommands(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('schema')
    .description('Print the JSON Schema of a manifest document (for editors: yaml-language-server, VS Code).')
    .option('--kind <kind>', 'only this kind\'s schema (e.g. Agent)')
    .option('--out <file>', 'write the schema to this file instead of stdout')
    .action(async (flags: { kind?: string; out?: string }) => {
      // Loaded here: the schema is built from the compiler's zod schemas, which `orch --help` never needs.
      const { KINDS, kindJsonSchema, manifestJsonSchema } = await import('../../compiler/json-schema-export.ts');
      const schema = flags.kind === undefined ? manifestJsonSchema() : kindJsonSchema(flags.kind);
      if (!schema) throw new CliError(`unknown kind "${flags.kind}" (known kinds: ${KINDS.join(', ')})`, EXIT.usage);
      const text = `${JSON.stringify(schema, null, 2)}\n`;
      if (flags.out === undefined) {
        io.stdout(text);
        return;
      }
      try {
        await writeFile(flags.out, text);
      } catch (error) {
        throw new CliError(`${flags.out}: ${(error as Error).message}`);
      }
    });

  program
    .command('explain')
    .description('Describe one manifest field: its type, what it means, and the fields below it.')
    .argument('<path>', 'a field path, kind first: Agent.spec.limits, AgentSystem.spec.graph')
    .option('--json', 'print the explanation as JSON')
    .action(async (path: string, flags: { json?: boolean }) => {
      const { KINDS, explainField } = await import('../../compiler/json-schema-export.ts');
      const found = explainField(path);
      if (!found) throw new CliError(notFound(path, explainField, KINDS));
      if (flags.json) {
        io.stdout(`${JSON.stringify(found)}\n`);
        return;
      }
      const lines = [`${found.path}: ${found.type}`];
      if (found.description) lines.push(found.description);
      if (found.fields.length > 0) lines.push('', 'fields:', ...found.fields.map((field) => `  ${field}`));
      io.stdout(`${lines.join('\n')}\n`);
    });
}

/** Names the longest prefix of `path` that exists, and what is below it, so the next try can succeed. */
function notFound(path: string, explain: (path: string) => { path: string; fields: string[] } | null, kinds: readonly string[]): string {
  const segments = path.split('.');
  for (let n = segments.length - 1; n > 0; n -= 1) {
    const prefix = explain(segments.slice(0, n).join('.'));
    if (!prefix) continue;
    const below = prefix.fields.length > 0 ? `; its fields: ${prefix.fields.join(', ')}` : '';
    return `no field "${path}": the nearest valid path is ${prefix.path}${below}`;
  }
  return `no field "${path}": a path starts with a kind (${kinds.join(', ')}), like Agent.spec.limits`;
}
