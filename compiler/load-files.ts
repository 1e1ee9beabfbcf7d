/**
 * Reads manifest files and directories into YAML documents. Never throws: a missing file,
 * an unreadable one or broken YAML becomes a located diagnostic and loading goes on.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import { checkYamlTree } from './check-yaml-tree.ts';
import type { Diagnostic, Severity, SourceLocation } from './diagnostics.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';
import type { SourceDocument } from './source-map.ts';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface LoadedFiles {
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
  /** Every file and path visited, in order: diagnostics are sorted by it. */
  files: string[];
}

function isManifestName(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Joins without normalizing, so locations keep the user's spelling of the path. */
function joinPath(dir: string, name: string): string {
  return dir.endsWith(sep) || dir.endsWith('/') ? `${dir}${name}` : `${dir}${sep}${name}`;
}

function fileStart(file: string) {
  return { file, line: 1, column: 1 };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * After this many syntax problems in one document the rest are counted, not listed: yaml's
 * recovery from one broken line can report thousands that say nothing more.
 */
const MAX_YAML_PROBLEMS = 50;

/** Reports yaml's errors and warnings for one document, located; returns whether it had errors. */
function reportYamlProblems(doc: Document.Parsed, locate: (offset: number) => SourceLocation, diagnostics: Diagnostic[]): boolean {
  const problems: { problem: YAMLError; severity: Severity }[] = [
    ...doc.errors.map((problem) => ({ problem, severity: 'error' as const })),
    ...doc.warnings.map((problem) => ({ problem, severity: 'warning' as const })),
  ];
  let reported = 0;
  let exhausted = false;
  for (const { problem, severity } of problems) {
    const location = locate(Math.max(problem.pos[0], 0));
    if (problem.code === 'RESOURCE_EXHAUSTION') {
      // yaml's composer recursed past the stack: nesting far beyond the bound; say that, once.
      if (!exhausted) diagnostics.push({ code: 'NESTING_TOO_DEEP', severity: 'error', message: `maps and lists nest more than ${MAX_NESTING_DEPTH} levels deep here`, location });
      exhausted = true;
      continue;
    }
    reported += 1;
    if (reported <= MAX_YAML_PROBLEMS) {
      diagnostics.push({ code: 'YAML_SYNTAX', severity, message: problem.message, location });
    } else if (reported === MAX_YAML_PROBLEMS + 1) {
      const more = problems.length - MAX_YAML_PROBLEMS;
      diagnostics.push({ code: 'YAML_SYNTAX', severity: 'error', message: `${more} more YAML problems in this document, from here on`, location });
    }
  }
  return doc.errors.length > 0;
}

/**
 * Parses one file's text into its documents (multi-document YAML; JSON is YAML too). A
 * document with an error is reported and left out: it would only produce follow-on noise.
 */
export function parseManifestText(file: string, text: string, fromOverride: boolean, diagnostics: Diagnostic[]): SourceDocument[] {
  const lineCounter = new LineCounter();
  let parsed: Document.Parsed[];
  try {
    // Duplicate keys are checked by checkYamlTree: yaml's own check is quadratic in a map's
    // size. Errors are located here, not prettified: yaml copies the whole line per error.
    parsed = [...parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false })];
  } catch (error) {
    // yaml reports its problems as errors on the document; this is only a safety net.
    diagnostics.push({ code: 'YAML_SYNTAX', severity: 'error', message: `cannot parse ${file}: ${errorMessage(error)}`, location: fileStart(file) });
    return [];
  }
  const locate = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const documents: SourceDocument[] = [];
  for (const doc of parsed) {
    if (reportYamlProblems(doc, locate, diagnostics) || doc.contents === null) continue;
    const tree = checkYamlTree(doc, locate, diagnostics);
    if (!tree.ok) continue;
    documents.push({ file, doc, lineCounter, fromOverride, aliasTargets: tree.aliasTargets });
  }
  return documents;
}

async function readManifest(file: string, fromOverride: boolean, diagnostics: Diagnostic[]): Promise<SourceDocument[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    diagnostics.push({ code: 'FILE_UNREADABLE', severity: 'error', message: `cannot read ${file}: ${errorMessage(error)}`, location: fileStart(file) });
    return [];
  }
  return parseManifestText(file, text, fromOverride, diagnostics);
}

interface Walk {
  /** Manifest files to read, in load order. */
  files: string[];
  /** Every path visited, for ordering diagnostics. */
  visited: string[];
  diagnostics: Diagnostic[];
  /** Resolved paths already visited: a file reached twice (a directory and a file in it) is read once. */
  seen: Set<string>;
}

function firstVisit(state: Walk, identity: string): boolean {
  if (state.seen.has(identity)) return false;
  state.seen.add(identity);
  return true;
}

/** A path the user named, or a symlink met while walking: it may not exist, or be a directory. */
async function visitPath(path: string, state: Walk, explicit: boolean): Promise<void> {
  state.visited.push(path);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    state.diagnostics.push(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? { code: 'FILE_NOT_FOUND', severity: 'error', message: `no such file or directory: ${path}`, location: fileStart(path) }
        : { code: 'FILE_UNREADABLE', severity: 'error', message: `cannot read ${path}: ${errorMessage(error)}`, location: fileStart(path) },
    );
    return;
  }
  // Resolving links makes a link and its target count once, and ends link cycles.
  const identity = await realpath(path).catch(() => resolve(path));
  if (!firstVisit(state, identity)) return;
  if (isDirectory) await visitDirectory(path, state);
  // A file named explicitly is read whatever its extension; inside directories only manifests are.
  else if (explicit || isManifestName(path)) state.files.push(path);
}

async function visitDirectory(path: string, state: Walk): Promise<void> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    state.diagnostics.push({ code: 'FILE_UNREADABLE', severity: 'error', message: `cannot read directory ${path}: ${errorMessage(error)}`, location: fileStart(path) });
    return;
  }
  // Sorted by code point so every machine loads (and reports) in the same order.
  const sorted = entries
    .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of sorted) {
    const child = joinPath(path, entry.name);
    if (entry.isSymbolicLink()) {
      await visitPath(child, state, false);
    } else if (entry.isDirectory()) {
      state.visited.push(child);
      if (firstVisit(state, resolve(child))) await visitDirectory(child, state);
    } else if (entry.isFile() && isManifestName(entry.name)) {
      state.visited.push(child);
      if (firstVisit(state, resolve(child))) state.files.push(child);
    }
  }
}

/** Loads every manifest under `paths` (files or directories, recursively), in a stable order. */
export async function loadFiles(paths: readonly string[], fromOverride: boolean): Promise<LoadedFiles> {
  const state: Walk = { files: [], visited: [], diagnostics: [], seen: new Set() };
  for (const path of paths) await visitPath(path, state, true);
  // Reads run in parallel; results are kept in walk order so the outcome is deterministic.
  const perFile = await Promise.all(
    state.files.map(async (file) => {
      const diagnostics: Diagnostic[] = [];
      const documents = await readManifest(file, fromOverride, diagnostics);
      return { documents, diagnostics };
    }),
  );
  return {
    documents: perFile.flatMap((f) => f.documents),
    diagnostics: [...state.diagnostics, ...perFile.flatMap((f) => f.diagnostics)],
    files: state.visited,
  };
}
