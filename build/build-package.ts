/**
 * Builds what the npm package ships (`npm run build`, run by `npm pack` through `prepack`):
 * JavaScript and declarations in dist/ from `tsconfig.build.json`, and the workflow bundle
 * prebuilt from the compiled workflows, so a worker never runs webpack at start up, and the
 * manifest JSON Schema (dist/schema/manifest.json) for editors, from the compiled compiler.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2] });

// Declarations keep the sources' `.ts` specifiers; consumers resolve the emitted `.js`/`.d.ts`.
const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.\.?\/[^'"]+)\.ts(['"])/g;
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const path = join(dist, file);
  const text = readFileSync(path, 'utf8');
  const rewritten = text.replace(relativeTs, '$1$2.js$3');
  if (rewritten !== text) writeFileSync(path, rewritten);
}

// From dist, not the sources: the shipped schema is the one the shipped compiler describes.
const { manifestJsonSchema } = (await import(pathToFileURL(join(dist, 'compiler/json-schema-export.js')).href)) as typeof import('../compiler/json-schema-export.ts');
mkdirSync(join(dist, 'schema'), { recursive: true });
writeFileSync(join(dist, 'schema/manifest.json'), `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);

const { code } = await bundleWorkflowCode({
  workflowsPath: join(dist, 'workflows/index.js'),
  logger: new DefaultLogger('WARN'),
  // The worker reads the bundle's inline source map for workflow stack traces; the sources'
  // text in it would triple the shipped size, and the package ships the compiled files anyway.
  webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
});
writeFileSync(join(dist, 'workflow-bundle.js'), code);

// The traced bundle (worker/traced-workflow-bundle.ts), for workers whose OTEL environment turns
// tracing on: the same workflows with Temporal's and orch's workflow interceptors in it.
const { WORKFLOW_INTERCEPTOR_MODULES } = (await import(pathToFileURL(join(dist, 'worker/telemetry.js')).href)) as typeof import('../worker/telemetry.ts');
const traced = await bundleWorkflowCode({
  workflowsPath: join(dist, 'workflows/index.js'),
  workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
  logger: new DefaultLogger('WARN'),
  webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
});
writeFileSync(join(dist, 'workflow-bundle-traced.js'), traced.code);
// stderr: `npm pack --json` owns stdout.
console.error(`orch: built dist/ (workflow bundle ${(code.length / 1024).toFixed(0)} KiB)`);
