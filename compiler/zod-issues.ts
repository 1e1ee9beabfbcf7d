/**
 * Turns zod issues into located diagnostics: unknown keys point at the key, wrong values at
 * the value, missing fields at the nearest key that is there.
 */
import { isScalar } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic, DiagnosticCode } from './diagnostics.ts';
import type { IssueParams } from './schemas/common.ts';
import { findPath, isAbsent, keyLocation, missingLocation, valueLocation, type ManifestPath, type SourceDocument } from './source-map.ts';

/** `spec.edges[0].to`, for messages. */
export function formatPath(path: ManifestPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

function spelledKey(source: SourceDocument, path: ManifestPath, fallback: string): string {
  const { keyNode } = findPath(source, path);
  return keyNode && isScalar(keyNode) ? String(keyNode.value) : fallback;
}

function cleanMessage(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}

/** Appends one diagnostic per zod issue; `basePath` is where the validated value sits in the document. */
export function reportZodIssues(issues: readonly z.core.$ZodIssue[], source: SourceDocument, basePath: ManifestPath, out: Diagnostic[]): void {
  for (const issue of issues) {
    const path: (string | number)[] = [...basePath, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    const where = formatPath(path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const spelled = spelledKey(source, keyPath, key);
        out.push({
          code: 'UNKNOWN_FIELD',
          severity: 'error',
          message: `unknown field "${spelled}" in ${where || 'the manifest'}; ${issue.message}`,
          location: keyLocation(source, keyPath),
          path: keyPath,
        });
      }
      continue;
    }
    if (issue.code === 'custom') {
      const params = issue.params as IssueParams | undefined;
      const code: DiagnosticCode = params?.code ?? 'INVALID_VALUE';
      const location = params?.at === 'key' ? keyLocation(source, path) : valueLocation(source, path);
      out.push({ code, severity: 'error', message: `${where}: ${issue.message}`, location, path });
      continue;
    }
    if (issue.code === 'invalid_type' && isAbsent(source, path)) {
      out.push({
        code: 'MISSING_FIELD',
        severity: 'error',
        message: `missing required field ${where}`,
        location: missingLocation(source, path),
        path,
      });
      continue;
    }
    const code: DiagnosticCode = issue.code === 'invalid_type' || issue.code === 'invalid_union' ? 'INVALID_TYPE' : 'INVALID_VALUE';
    out.push({ code, severity: 'error', message: `${where}: ${cleanMessage(issue.message)}`, location: valueLocation(source, path), path });
  }
}
