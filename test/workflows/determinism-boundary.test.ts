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

function violations(folder: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(folder)) {
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

describe('determinism boundary', () => {
  it('workflows/ and policies/ import only workflow-safe modules', () => {
    expect(sourceFiles('workflows').length).toBeGreaterThan(3);
    expect(violations('workflows')).toEqual([]);
    expect(violations('policies')).toEqual([]);
  });

  it('workflow code uses no global the sandbox lacks', () => {
    // The Temporal sandbox is a bare V8 context: Node-only globals do not exist there.
    const missing = /\b(structuredClone|setImmediate|queueMicrotask|process|Buffer|require)\s*\(/;
    const offenders = [...sourceFiles('workflows'), ...sourceFiles('policies')].filter((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .some((line) => !line.trim().startsWith('*') && !line.trim().startsWith('//') && missing.test(line))
    );
    expect(offenders).toEqual([]);
  });

  it('the import check catches a forbidden import', () => {
    expect(importsOf('worker.ts').some((i) => i.specifier === '@temporalio/worker')).toBe(true);
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
