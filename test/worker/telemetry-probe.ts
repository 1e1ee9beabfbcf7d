/**
 * Configures a worker with orch's plugin in this process, the environment given as JSON in
 * argv[2], and prints as JSON every module URL resolved meanwhile (a Node module hook sees each
 * one) and what the plugin added: evidence of what telemetry loads and adds, on and off.
 */
import { registerHooks } from 'node:module';
import type { WorkerOptions } from '@temporalio/worker';

const resolved = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.add(result.url);
    return result;
  },
});

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const { orchPlugin } = await import('../../worker/plugin.ts');
// A bundle of the worker's own: the plugin leaves it as it is, so no webpack runs here.
const given = { taskQueue: 'telemetry-probe', workflowBundle: { code: '' }, connection: {} } as unknown as WorkerOptions;
const configured = await orchPlugin({ env }).configureWorker!(given);
const summary = {
  activityInterceptors: configured.interceptors?.activity?.length ?? 0,
  sinks: Object.keys(configured.sinks ?? {}).sort(),
  workflowBundle: configured.workflowBundle === given.workflowBundle,
};
process.stdout.write(`${JSON.stringify({ summary, modules: [...resolved] })}\n`);
process.exit(0);
