/**
 * orch's workflow code with Temporal's OpenTelemetry workflow interceptors bundled in, for a
 * worker whose environment turns tracing on (worker/telemetry-config.ts). A prebuilt
 * `workflowBundle` cannot take `interceptors.workflowModules` (the worker ignores them, with
 * a warning): the interceptors must be bundled in. The default bundle stays without them, so a
 * worker with tracing off runs no tracing code in its workflows and schedules its calls
 * without trace headers. Built once per process, and cached on disk next to the default
 * bundle (a folder of its own, keyed by the workflow sources and the tracing packages' versions).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type Logger, type WorkflowBundleOption } from '@temporalio/worker';
import { readCachedBundle, workflowSourcesKey, writeCachedBundle } from './workflow-bundle-cache.ts';
import { WORKFLOW_BUNDLE_CACHE_DIR, WORKFLOWS_PATH } from './workflow-bundle.ts';

const CHECKOUT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The packages bundled in besides orch's own: their versions are part of the key. */
const TRACING_PACKAGES = ['@temporalio/interceptors-opentelemetry', '@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/sdk-trace-base', '@opentelemetry/resources'];

/** The package's prebuilt traced bundle (made at pack time, build/build-package.ts); absent in a source checkout. */
export const PREBUILT_TRACED_BUNDLE = fileURLToPath(new URL('../workflow-bundle-traced.js', import.meta.url));

let bundled: Promise<WorkflowBundleOption> | null = null;

async function tracingKey(modules: readonly string[]): Promise<string> {
  const hash = createHash('sha256').update(await workflowSourcesKey(CHECKOUT_ROOT));
  for (const module of modules) hash.update('\0').update(await readFile(module));
  for (const name of TRACING_PACKAGES) {
    const text = await readFile(path.join(CHECKOUT_ROOT, 'node_modules', name, 'package.json'), 'utf8').catch(() => '{}');
    hash.update(`\0${name}@${String((JSON.parse(text) as { version?: unknown }).version ?? 'absent')}`);
  }
  return hash.digest('hex');
}

/** The traced bundle with `interceptorModules` (Temporal's workflow interceptors, then orch's) in it. */
export function tracedWorkflowBundle(interceptorModules: readonly string[], logger?: Logger, cacheDir: string = path.join(WORKFLOW_BUNDLE_CACHE_DIR, 'traced')): Promise<WorkflowBundleOption> {
  bundled ??= (async () => {
    // Installed, the package ships it: no webpack at a worker's start.
    if (existsSync(PREBUILT_TRACED_BUNDLE)) return { codePath: PREBUILT_TRACED_BUNDLE };
    const key = await tracingKey(interceptorModules);
    const cached = await readCachedBundle(cacheDir, key);
    if (cached !== null) return { code: cached };
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [...interceptorModules], logger: logger ?? new DefaultLogger('WARN') });
    if ((await tracingKey(interceptorModules)) === key) await writeCachedBundle(cacheDir, key, code);
    return { code };
  })();
  bundled.catch(() => (bundled = null));
  return bundled;
}
