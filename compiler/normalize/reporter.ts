/** How normalization reports problems it finds across fields: by path, located by the caller. */
import type { DiagnosticCode, Severity } from '../diagnostics.ts';
import type { ManifestPath } from '../source-map.ts';

/**
 * `at` picks the node: the entry's `key`, its `value`, or for a `missing` field the key of
 * the nearest entry that exists. Paths start at the document root (`['spec', ...]`).
 */
export type Reporter = (
  code: DiagnosticCode,
  message: string,
  path: ManifestPath,
  at?: 'key' | 'value' | 'missing',
  severity?: Severity,
) => void;

/** Trims, drops empties and removes case-insensitive repeats, keeping first spellings (Orloj's rule for roles, permissions, allowed_tools). */
export function dedupeCaseInsensitive(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    const folded = value.toLowerCase();
    if (value === '' || seen.has(folded)) continue;
    seen.add(folded);
    out.push(value);
  }
  return out;
}
