/**
 * The reproducers of defects found from outside (test/fixtures/repro/<case>/): manifests with
 * `${NAME}` placeholders, rendered for a test with the URLs of its own local servers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const REPRO = join(import.meta.dirname, '..', 'fixtures', 'repro');

/** Renders `case/file` with `vars` (every `${NAME}` must be given) and returns the rendered file's path. */
export function renderRepro(file: string, vars: Record<string, string> = {}): string {
  const source = readFileSync(join(REPRO, file), 'utf8');
  const rendered = source.replace(/\$\{([A-Z_]+)\}/g, (_match, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${file} needs \${${name}}`);
    return value;
  });
  const out = join(mkdtempSync(join(tmpdir(), 'orch-repro-')), basename(file));
  writeFileSync(out, rendered);
  return out;
}
