/**
 * The layout is the architecture: each folder is a layer, and imports go one way, down.
 *
 *   contract     the wire ABI: Plan, call and run I/O, wire names, failure catalog; imports nothing
 *   validation   deterministic JSON Schema and linear-time regex
 *   policies     the policy engine and gate (pure)
 *   compiler     manifests → Plan
 *   workflows    the deterministic interpreter (Temporal sandbox)
 *   activities   model, tool and MCP calls (I/O)
 *   worker       workers, the plugin, model-queue workers, the policy interceptor
 *   client       OrchClient and the audit (no native worker bridge)
 *   dev-server   the Temporal CLI, the embedded dev server, connections
 *   cli          the `orch` command, on top of everything
 *
 * Enforced by reading every import, not by review. The deterministic layers also bundle for
 * Temporal's sandbox and use no global it lacks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Each layer and the layers it may import from (besides itself). */
const LAYERS: Record<string, readonly string[]> = {
  contract: [],
  validation: ['contract'],
  policies: ['contract', 'validation'],
  compiler: ['contract', 'validation', 'policies'],
  workflows: ['contract', 'validation', 'policies'],
  activities: ['contract', 'validation', 'policies'],
  worker: ['contract', 'validation', 'policies', 'workflows', 'activities'],
  client: ['contract'],
  'dev-server': ['contract'],
  cli: ['contract', 'validation', 'policies', 'compiler', 'workflows', 'activities', 'worker', 'client', 'dev-server'],
};
/** The package's entry modules at the root, and what each may reach. */
const ENTRIES: Record<string, readonly string[]> = {
  'index.ts': ['contract', 'compiler', 'policies', 'client'],
};
const DETERMINISTIC = ['contract', 'validation', 'policies', 'workflows'];
/** Packages the deterministic layers may import (contract: types only). */
const WORKFLOW_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);

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
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[3] ?? match[4] ?? match[5]!;
    statements.push({ specifier, typeOnly: Boolean(match[2]) });
  }
  return statements;
}

function layerOf(file: string): string {
  const top = file.split('/')[0]!;
  return file.includes('/') ? top : file;
}

/** Imports of `files` against the direction of the layers: `file: specifier` each. */
function violations(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const layer = layerOf(file);
    const allowed = LAYERS[layer] ?? ENTRIES[layer];
    if (!allowed) {
      found.push(`${file}: not in a layer`);
      continue;
    }
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), specifier));
        const to = layerOf(target);
        if (to !== layer && !allowed.includes(to) && !(to === 'package.json' && layer === 'cli')) found.push(`${file}: ${specifier}`);
      } else if (DETERMINISTIC.includes(layer)) {
        const packageOk = WORKFLOW_PACKAGES.has(specifier) && (layer !== 'contract' || typeOnly);
        if (!packageOk) found.push(`${file}: ${specifier}`);
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

/** Every module `entry` reaches through value imports (type-only imports are erased). */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (typeOnly) continue;
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), specifier));
        if (target.endsWith('.ts')) visit(target);
      } else packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

const everySourceFile = () => [...Object.keys(LAYERS).flatMap(sourceFiles), ...Object.keys(ENTRIES)];

describe('layering', () => {
  it('every layer imports only the layers below it', () => {
    for (const layer of Object.keys(LAYERS)) expect(sourceFiles(layer).length, layer).toBeGreaterThan(0);
    expect(violations(everySourceFile())).toEqual([]);
  });

  it('no source file lives outside a layer', () => {
    const loose = readdirSync(root).filter((name) => name.endsWith('.ts') && !(name in ENTRIES) && name !== 'vitest.config.ts');
    expect(loose).toEqual([]);
  });

  it('the deterministic layers use no global the sandbox lacks', () => {
    // The Temporal sandbox is a bare V8 context: Node-only globals do not exist there.
    expect(sandboxMisfits(DETERMINISTIC.flatMap(sourceFiles))).toEqual([]);
  });

  it('the client entry never reaches the native worker bridge', () => {
    for (const entry of ['index.ts', 'client/index.ts'].filter((file) => existsSync(join(root, file)))) {
      const { files, packages } = reachable(entry);
      expect([...packages].filter((name) => name.startsWith('@temporalio/worker') || name.startsWith('@temporalio/core-bridge')), entry).toEqual([]);
      expect([...files].filter((file) => file.startsWith('worker/') || file.startsWith('activities/')), entry).toEqual([]);
    }
  });

  it('the checks catch what they are for', () => {
    // Against the direction: the client importing the worker, a policy importing the compiler,
    // the contract importing anything at run time, workflow code importing Node.
    const probe = (file: string, line: string) => {
      const source = readFileSync(join(root, file), 'utf8');
      return source.includes(line);
    };
    expect(probe('worker/create-worker.ts', "from '@temporalio/worker'")).toBe(true);
    expect(violations(['worker/create-worker.ts'])).toEqual([]);
    expect(importsOf('contract/wire-names.ts').every((i) => i.typeOnly || i.specifier.startsWith('.'))).toBe(true);
    expect(sandboxMisfits(['bench/run.ts'])).toEqual(['bench/run.ts']);
    expect(reachable('worker/create-worker.ts').packages.has('@temporalio/worker')).toBe(true);
    // A file placed in a layer that imports upward is reported (checked on a real file of each kind).
    const upward = Object.entries(LAYERS).flatMap(([layer, allowed]) =>
      Object.keys(LAYERS)
        .filter((other) => other !== layer && !allowed.includes(other))
        .map((other) => ({ layer, other }))
    );
    expect(upward.some(({ layer, other }) => layer === 'client' && other === 'worker')).toBe(true);
    expect(upward.some(({ layer, other }) => layer === 'policies' && other === 'compiler')).toBe(true);
  });

  it('the workflow code bundles for the Temporal sandbox', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(root, 'workflows/index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    expect(bundle.code).toContain('orchRun');
  });
});
