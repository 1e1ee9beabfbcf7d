/**
 * The determinism boundary, enforced by tests rather than reviews: the workflow code bundles
 * for Temporal's sandbox, and nothing in workflows/ or policies/ imports Node, the network
 * side (`ai`, `yaml`, MCP, the worker/client/activity SDKs) or any other package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);
/** Files outside the deterministic folders that workflow code may import values from: they import nothing. */
const ALLOWED_VALUE_FILES = new Set(['compiler/plan.ts']);

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

interface ImportStatement {
  specifier: string;
  typeOnly: boolean;
}

function importsOf(file: string): ImportStatement[] {
  const source = readFileSync(join(root, file), 'utf8');
  const statements: ImportStatement[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[3] ?? match[4] ?? match[5]!;
    statements.push({ specifier, typeOnly: Boolean(match[2]) });
  }
  return statements;
}

/** Imports of `files` that workflow code may not make: `file: specifier` each. */
function violations(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), specifier));
        const deterministic = target.startsWith('workflows/') || target.startsWith('policies/');
        if (!deterministic && !typeOnly && !ALLOWED_VALUE_FILES.has(target)) found.push(`${file}: ${specifier}`);
      } else if (!ALLOWED_PACKAGES.has(specifier)) {
        found.push(`${file}: ${specifier}`);
      }
    }
  }
  return found;
}

/** Files whose code (not comments) uses a global the sandbox lacks, called or not (`process.env`, `Buffer.from`). */
function sandboxMisfits(files: readonly string[]): string[] {
  const called = /\b(structuredClone|setImmediate|queueMicrotask|require)\s*\(/;
  const used = /\b(process|Buffer)\b\s*[.(]/;
  return files.filter((file) =>
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .some((line) => !line.trim().startsWith('*') && !line.trim().startsWith('//') && (called.test(line) || used.test(line)))
  );
}

describe('determinism boundary', () => {
  it('workflows/ and policies/ import only workflow-safe modules', () => {
    expect(sourceFiles('workflows').length).toBeGreaterThan(3);
    expect(violations(sourceFiles('workflows'))).toEqual([]);
    expect(violations(sourceFiles('policies'))).toEqual([]);
  });

  it('workflow code uses no global the sandbox lacks', () => {
    // The Temporal sandbox is a bare V8 context: Node-only globals do not exist there.
    expect(sandboxMisfits([...sourceFiles('workflows'), ...sourceFiles('policies')])).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    // worker.ts imports the worker SDK and Node; bench/run.ts uses process.env; a type-only import passes.
    expect(violations(['worker.ts'])).toEqual(expect.arrayContaining(['worker.ts: node:url', 'worker.ts: @temporalio/worker']));
    expect(sandboxMisfits(['bench/run.ts'])).toEqual(['bench/run.ts']);
    expect(importsOf('workflows/orch-run.ts').some((i) => i.specifier === '../activities/types.ts' && i.typeOnly)).toBe(true);
  });

  it('the workflow code bundles for the Temporal sandbox', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(root, 'workflows/index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    expect(bundle.code).toContain('orchRun');
  });
});
