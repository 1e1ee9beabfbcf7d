/** Shared helpers for compiler tests: fixture paths and diagnostic matching by code and location. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Diagnostic, DiagnosticCode } from '../../compiler/diagnostics.ts';

/** A fixture directory or file, relative to the repository root (vitest's working directory). */
export function fixture(name: string): string {
  return `test/fixtures/manifests/${name}`;
}

/** The Orloj corpus, vendored unmodified (with its LICENSE and NOTICE) as test input. */
export const ORLOJ_CORPUS = 'test/fixtures/orloj-manifests';

export interface ExpectedDiagnostic {
  code: DiagnosticCode;
  file: string;
  line: number;
  column: number;
}

/** Asserts that a diagnostic with this code sits exactly at this location. */
export function expectDiagnostic(diagnostics: readonly Diagnostic[], expected: ExpectedDiagnostic): Diagnostic {
  const found = diagnostics.find(
    (d) =>
      d.code === expected.code &&
      d.location?.file === expected.file &&
      d.location.line === expected.line &&
      d.location.column === expected.column,
  );
  expect(
    found,
    `expected ${expected.code} at ${expected.file}:${expected.line}:${expected.column}, got:\n${diagnostics
      .map((d) => `${d.code} ${d.location?.file}:${d.location?.line}:${d.location?.column}`)
      .join('\n')}`,
  ).toBeDefined();
  return found!;
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

export function codesOf(diagnostics: readonly Diagnostic[]): DiagnosticCode[] {
  return diagnostics.map((d) => d.code);
}

/** Writes `files` (name → text) into a fresh temp directory; returns the path of each, by name. */
export function writeManifests(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-compiler-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], text);
  }
  return paths;
}
