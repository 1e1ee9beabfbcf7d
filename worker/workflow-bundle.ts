/**
 * orch's workflow code for a worker. The package ships it prebuilt (dist/workflow-bundle.js,
 * made at pack time), so a worker starts without running webpack; a source checkout bundles
 * it once and keeps it in node_modules/.cache/orch (worker/workflow-bundle-cache.ts), keyed by
 * a digest of the workflow sources, so later processes start without webpack too.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type Logger, type WorkflowBundleOption } from '@temporalio/worker';
import { readCachedBundle, workflowSourcesKey, writeCachedBundle } from './workflow-bundle-cache.ts';

/** `.ts` in a source checkout, `.js` in the built package: this module's own extension. */
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** orch's workflows module, for workers that bundle their own workflows next to orch's. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${OWN_EXTENSION}`, import.meta.url));

/** Where the package's prebuilt bundle sits (absent in a source checkout). */
const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** The checkout's root, and where its bundle cache lives. */
const CHECKOUT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKFLOW_BUNDLE_CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/orch', import.meta.url));

let bundled: Promise<WorkflowBundleOption> | null = null;

/**
 * The workflow bundle: the prebuilt one when the package ships it, else the checkout's cached
 * one, else built (and cached) once per process, so every worker the process creates (a test
 * suite, a multi-queue service) shares it.
 */
export function workflowBundle(logger?: Logger): Promise<WorkflowBundleOption> {
  bundled ??= existsSync(PREBUILT_BUNDLE) ? Promise.resolve({ codePath: PREBUILT_BUNDLE }) : cachedOrBuilt(logger ?? new DefaultLogger('WARN'));
  return bundled;
}

/** A checkout's bundle from `cacheDir` when its key and digest match, else a fresh build written there. */
export async function cachedOrBuilt(logger: Logger, cacheDir: string = WORKFLOW_BUNDLE_CACHE_DIR): Promise<{ code: string }> {
  const key = await workflowSourcesKey(CHECKOUT_ROOT);
  const cached = await readCachedBundle(cacheDir, key);
  if (cached !== null) return { code: cached };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger });
  // Sources edited while webpack ran would file this bundle under a key it does not match.
  if ((await workflowSourcesKey(CHECKOUT_ROOT)) === key) await writeCachedBundle(cacheDir, key, code);
  return { code };
}
