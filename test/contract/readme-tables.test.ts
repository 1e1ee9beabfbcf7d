/**
 * The README's reference tables are the contract, no more, no less: diagnostic codes and
 * failure codes against the failure catalog (contract/failures.ts), category and retry column
 * included; environment variables against contract/env-vars.ts, and that list against every
 * ORCH_*, TEMPORAL_* and ORLOJ_* name the source mentions. A code or a variable added without
 * its row, or a row left behind by a rename, fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../contract/env-vars.ts';
import { codesIn, FAILURE_CATALOG, type FailureCode } from '../../contract/failures.ts';

const readme = readFileSync('README.md', 'utf8');

/** The text under `heading` up to the next heading. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n#', start + heading.length + 2);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The body rows of the first table after `header` in `text`, as cells. */
function tableRows(text: string, header: string): string[][] {
  const start = text.indexOf(`\n${header}\n`);
  expect(start, header).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of text.slice(start + 1).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
  }
  return rows;
}

/** A cell holding one code: `CODE` in backticks. */
function codeOf(cell: string): string {
  const match = /^`([A-Z][A-Z0-9_]*)`$/.exec(cell);
  expect(match, cell).not.toBeNull();
  return match![1]!;
}

function expectOncePerCode(documented: string[], expected: readonly string[]): void {
  expect(documented.length).toBeGreaterThan(0);
  expect(documented.filter((code, i) => documented.indexOf(code) !== i), 'documented twice').toEqual([]);
  expect(documented.filter((code) => !expected.includes(code)), 'documented, not in the contract').toEqual([]);
  expect(expected.filter((code) => !documented.includes(code)), 'in the contract, not documented').toEqual([]);
}

describe('README diagnostics table', () => {
  it('lists every diagnostic code once, and only those', () => {
    const rows = tableRows(section('### Diagnostics'), '| Code | Severity | Meaning |');
    expectOncePerCode(rows.map(([code]) => codeOf(code!)), codesIn('diagnostic'));
    for (const [code, severity] of rows) expect(['error', 'warning'], code).toContain(severity);
  });
});

describe('README failures table', () => {
  const rows = tableRows(section('### Failures'), '| Code | Category | Retried | Meaning |');

  it('lists every other code of the catalog once, and only those', () => {
    const others = (Object.keys(FAILURE_CATALOG) as FailureCode[]).filter((code) => FAILURE_CATALOG[code].category !== 'diagnostic');
    expectOncePerCode(rows.map(([code]) => codeOf(code!)), others);
  });

  it('gives each its category and whether it is retried, as the catalog does', () => {
    for (const [cell, category, retried] of rows) {
      const entry = FAILURE_CATALOG[codeOf(cell!) as FailureCode];
      expect({ code: cell, category, retried }).toEqual({ code: cell, category: entry.category, retried: entry.retryable ? 'yes' : 'no' });
    }
  });
});

/** Every `.ts` source file: not the tests, installed packages or build output. */
function sourceFiles(dir = '.'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'test', 'dist', '.orch', '.git'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Names the sources declare (`const ORCH_SEARCH_ATTRIBUTES`), and an Error's own `code`s: constants, not variables. */
function declaredNames(sources: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    for (const m of source.matchAll(/\b(?:const|let|function|class|type|interface)\s+([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
    for (const m of source.matchAll(/\bcode = '([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]!);
  }
  return names;
}

/**
 * The ORCH_*, TEMPORAL_* and ORLOJ_* names in `source` that could be environment variables:
 * not codes of the catalog, not `declared` names. A name cut short by `${…}`, `<…>` or `*` is a
 * prefix, ending in `_`.
 */
function envNamesIn(source: string, declared: ReadonlySet<string>): string[] {
  return [...source.matchAll(/(?<![A-Za-z0-9_])(?:ORCH|TEMPORAL|ORLOJ)_[A-Z0-9_]*/g)]
    .map((m) => m[0])
    .filter((name) => !(name in FAILURE_CATALOG) && !declared.has(name));
}

/** Whether the list covers `name`: the same name, a pattern (`ORCH_SECRET_<NAME>`) it fits, or one a prefix starts. */
function listed(name: string): boolean {
  return ENV_VARS.some(({ name: known }) => {
    const fixed = known.split('<')[0]!;
    return known === name || (known.includes('<') && name.startsWith(fixed)) || (name.endsWith('_') && known.startsWith(name));
  });
}

describe('README environment table', () => {
  const rows = tableRows(section('## CLI'), '| variable | meaning |');

  it('lists every variable of contract/env-vars.ts once, and only those', () => {
    const documented = rows.flatMap(([names]) => [...names!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    expectOncePerCode(documented, ENV_VARS.map((v) => v.name));
  });

  it('the list has every variable the source mentions, and each has a meaning', () => {
    const files = sourceFiles().map((file) => ({ file, source: readFileSync(file, 'utf8') }));
    const declared = declaredNames(files.map((f) => f.source));
    const unlisted = new Set<string>();
    for (const { file, source } of files) for (const name of envNamesIn(source, declared)) if (!listed(name)) unlisted.add(`${name} (${file})`);
    expect([...unlisted], 'read but not in contract/env-vars.ts and the README').toEqual([]);
    for (const { name, meaning } of ENV_VARS) expect(meaning.length, name).toBeGreaterThan(10);
  });

  it('the source scan sees variables, not other names', () => {
    const source = "const ORCH_THING = 1; env.ORCH_DEBUG; `ORCH_SECRET_${name}`; readonly code = 'ORCH_FORBIDDEN'; 'TOOL_TIMEOUT'; 'TEMPORAL_CLI_MISSING'";
    expect(envNamesIn(source, declaredNames([source]))).toEqual(['ORCH_DEBUG', 'ORCH_SECRET_']);
    expect(['ORCH_DEBUG', 'ORCH_SECRET_', 'ORCH_SECRET_GITHUB_TOKEN', 'TEMPORAL_TLS_'].every(listed)).toBe(true);
    expect(['ORCH_NEVER_READ', 'TEMPORAL_PROFILE_X'].some(listed)).toBe(false);
  });
});
