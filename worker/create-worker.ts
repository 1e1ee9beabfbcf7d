/** `createOrchWorker`: a dedicated worker that runs orch's workflow and activities. */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker, type TLSConfig, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.ts';
import { defaultTaskQueue } from '../contract/wire-names.ts';
import { HEARTBEAT_THROTTLE, orchPlugin } from './plugin.ts';
import type { OrchRoutingOptions } from './route-workers.ts';

/** `capabilities` and `knownRequirements` (worker/route-workers.ts): which routed runs it also serves. */
export interface OrchWorkerOptions extends ActivityDeps, OrchRoutingOptions {
  /** A connection to Temporal; by default one is opened from the options below. */
  connection?: NativeConnection;
  /**
   * `host:port` of the Temporal frontend, used when no connection is given. Unset, Temporal's
   * own configuration applies (`TEMPORAL_ADDRESS`, `TEMPORAL_PROFILE`, the TOML config file),
   * else 127.0.0.1:7233.
   */
  address?: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  namespace?: string;
  taskQueue?: string;
  /** Extra Temporal worker options (concurrency limits, identity, plugins, …). */
  workerOptions?: Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'>>;
  /**
   * Run workflow code on this thread rather than in a worker thread of its own. Starting that
   * thread loads the Temporal SDK a second time (~300 ms), which a worker serving one run
   * (`orch run`'s) should not wait for; a worker serving many keeps the thread, so workflow
   * tasks do not queue behind activities on one core. Either way a workflow task that runs
   * longer than 5 s is stopped (Temporal's deadlock detector).
   */
  workflowsInThisThread?: boolean;
}

/**
 * Temporal's `debugMode` is what runs workflows in the worker's own thread, and it also lifts the
 * limit on how long a workflow task may run; the limit is set back to the SDK's default. The SDK
 * reads `isolateExecutionTimeout` from the options it is given but does not declare it
 * (test/worker/create-worker.test.ts checks that it still applies).
 */
const IN_THIS_THREAD = { debugMode: true, isolateExecutionTimeout: '5s' } as Partial<WorkerOptions>;

/**
 * A worker that runs orch's workflow and activities. Runs carry their Plan, so the worker
 * needs no manifests to run them; it needs the Secret values it should resolve (`secrets`)
 * beyond the environment, and where it may send them: `manifests` (what it loaded, e.g.
 * `compile(...).manifests`: their endpoints and their Secrets' `destinations`) and
 * `ORCH_SECRET_<NAME>_DESTINATIONS`. A secret bound to nothing is sent nowhere.
 */
export async function createOrchWorker(options: OrchWorkerOptions = {}): Promise<Worker> {
  const ownsConnection = options.connection === undefined;
  const configured = options.connection || options.address ? null : loadClientConnectConfig();
  const connection =
    options.connection ??
    (await NativeConnection.connect({
      ...configured?.connectionOptions,
      ...(options.address ? { address: options.address } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    }));
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? configured?.namespace ?? 'default',
    taskQueue: options.taskQueue ?? defaultTaskQueue(process.env),
    ...(options.workflowsInThisThread ? IN_THIS_THREAD : {}),
    ...options.workerOptions,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    plugins: [...(options.workerOptions?.plugins ?? []), orchPlugin(options)],
  }).catch(async (error: unknown) => {
    // A worker that cannot be created leaves no connection of ours open behind it.
    if (ownsConnection) await connection.close();
    throw error;
  });
  if (!ownsConnection) return worker;
  // Once the worker has drained (and the plugin has stopped what it started), close the
  // connection it opened.
  const run = worker.run.bind(worker);
  worker.run = async () => {
    try {
      await run();
    } finally {
      await connection.close();
    }
  };
  return worker;
}
