/** The README's CLI reference names every command the program declares, and no other. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## CLI\n'), readme.indexOf('\n### Connecting to Temporal\n'));

describe('README CLI reference', () => {
  it('has a row naming each command (and its subcommands), and none that does not exist', () => {
    const program = buildProgram({ io: { stdout: () => {}, stderr: () => {}, env: {}, isTTY: false }, exitCode: 0 });
    const declared = program.commands.flatMap((command) => [command.name(), ...command.commands.map((sub) => `${command.name()} ${sub.name()}`)]);
    const rows = section.split('\n').filter((line) => line.startsWith('| `orch '));
    // `orch server [start]`: a subcommand that is also the default is written in brackets.
    const documented = new Set(
      rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`orch ([a-z-]+)(?: \[?([a-z-]+)\]?)?/g)].map((match) => (match[2] ? `${match[1]} ${match[2]}` : match[1]!)))
    );
    for (const name of declared) {
      expect([...documented].some((entry) => entry === name || entry.startsWith(`${name} `)), `orch ${name}`).toBe(true);
    }
    const known = new Set(declared.flatMap((name) => [name, name.split(' ')[0]!]));
    for (const entry of documented) expect(known.has(entry) || known.has(entry.split(' ')[0]!), `README documents orch ${entry}`).toBe(true);
  });
});
