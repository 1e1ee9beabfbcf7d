/**
 * orch's workflow code for a worker. The package ships it prebuilt (dist/workflow-bundle.js,
 * made at pack time), so a worker starts without running webpack; a source checkout bundles
 * it once per process instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type Logger, type WorkflowBundleOption } from '@temporalio/worker';

/** `.ts` in a source checkout, `.js` in the built package: this module's own extension. */
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** orch's workflows module, for workers that bundle their own workflows next to orch's. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${OWN_EXTENSION}`, import.meta.url));

/** Where the package's prebuilt bundle sits (absent in a source checkout). */
const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

let bundled: Promise<WorkflowBundleOption> | null = null;

/**
 * The workflow bundle: the prebuilt one when the package ships it, else built once per
 * process, so every worker the process creates (a test suite, a multi-queue service) shares it.
 */
export function workflowBundle(logger?: Logger): Promise<WorkflowBundleOption> {
  bundled ??= existsSync(PREBUILT_BUNDLE)
    ? Promise.resolve({ codePath: PREBUILT_BUNDLE })
    : bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: logger ?? new DefaultLogger('WARN') }).then(({ code }) => ({ code }));
  return bundled;
}
