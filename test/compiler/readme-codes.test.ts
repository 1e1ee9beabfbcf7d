/** The README's table of diagnostic codes is the closed set in compiler/diagnostics.ts, no more, no less. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../compiler/diagnostics.ts';

/** The codes in the first column of the table under `### Diagnostics`, in order. */
function documentedCodes(readme: string): string[] {
  const start = readme.indexOf('\n### Diagnostics\n');
  const end = readme.indexOf('\n#', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]!);
}

describe('README diagnostics table', () => {
  it('lists every diagnostic code once, and only those', () => {
    const documented = documentedCodes(readFileSync('README.md', 'utf8'));
    expect(documented.length).toBeGreaterThan(0);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...DIAGNOSTIC_CODES].sort());
  });
});
