/**
 * The JSON paths edge `foreach` and `condition.output_json_path` accept: exactly what the
 * workflow's `readJsonPath` reads. A path is `$` (the whole output) or a first key, then
 * `.key` and `[index]` segments: `$.items`, `$.results[0].urls`, `items`, `$[0]`.
 * JSONPath features the workflow does not implement (wildcards, recursive descent,
 * filters, quoted keys, negative indexes) are rejected rather than silently never matching.
 */

/** A key: anything but the separators, whitespace and `*` (a wildcard is not a key). */
const KEY = String.raw`[^.\[\]\s*]+`;
/** A bare first key must not start with `$`, which the reader takes as the root. */
const FIRST_KEY = String.raw`[^.\[\]\s*$][^.\[\]\s*]*`;
const PATH = new RegExp(String.raw`^(?:\$|${FIRST_KEY})(?:\.${KEY}|\[\d+\])*$`);

/** Why `path` is not a JSON path the workflow can read, or null when it is one. */
export function jsonPathProblem(path: string): string | null {
  if (path.trim() === '') return 'a JSON path must not be empty';
  if (PATH.test(path)) return null;
  return `"${path}" is not a JSON path the workflow can read: write "$", then ".key" and "[index]" segments, e.g. "$.items" or "$.results[0].urls" (wildcards, filters and quoted keys are not supported)`;
}
