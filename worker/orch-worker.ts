/**
 * Workers: `createOrchWorker` for a dedicated orch worker, `orchPlugin` to add orch's
 * workflow and activities to a Temporal worker you already run.
 */
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type Logger,
  type TLSConfig,
  type WorkerOptions,
  type WorkerPlugin,
} from '@temporalio/worker';
import { createActivityRuntime, type ActivityDeps } from '../activities/index.ts';
import { createPolicyInterceptor } from './policy-interceptor.ts';
import { ModelQueueWorkers } from './model-queue-workers.ts';
import { defaultTaskQueue } from '../contract/wire-names.ts';

export { DEFAULT_TASK_QUEUE, defaultTaskQueue } from '../contract/wire-names.ts';


export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundlePromise: Promise<{ code: string }> | null = null;

/**
 * The workflow bundle, built once per process: every worker the process creates shares it,
 * so a test suite or a multi-queue service pays the bundling cost once.
 */
export function workflowBundle(logger?: Logger): Promise<{ code: string }> {
  bundlePromise ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: logger ?? new DefaultLogger('WARN'),
  }).then(({ code }) => ({ code }));
  return bundlePromise;
}

export interface OrchWorkerOptions extends ActivityDeps {
  /** A connection to Temporal; by default one is opened to `address`. */
  connection?: NativeConnection;
  /** `host:port` of the Temporal frontend, used when no connection is given. */
  address?: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  namespace?: string;
  taskQueue?: string;
  /** Extra Temporal worker options (concurrency limits, identity, …). */
  workerOptions?: Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'>>;
}

/**
 * Heartbeats are how a call learns it was cancelled (an agent timeout, a cancelled run): send
 * them every second, not every 0.8 × heartbeat timeout, so a cancelled model call stops
 * spending tokens within a second.
 */
const HEARTBEAT_THROTTLE = '1 second';

/**
 * A worker that runs orch's workflow and activities. Runs carry their Plan, so the worker
 * needs no manifests to run them; it needs the Secret values it should resolve (`secrets`)
 * beyond the environment, and where it may send them: `manifests` (what it loaded, e.g.
 * `compile(...).manifests`: their endpoints and their Secrets' `destinations`) and
 * `ORCH_SECRET_<NAME>_DESTINATIONS`. A secret bound to nothing is sent nowhere.
 */
export async function createOrchWorker(options: OrchWorkerOptions = {}): Promise<Worker> {
  const ownsConnection = options.connection === undefined;
  const connection =
    options.connection ??
    (await NativeConnection.connect({
      address: options.address ?? '127.0.0.1:7233',
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    }));
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? defaultTaskQueue(process.env),
    workflowBundle: await workflowBundle(),
    ...options.workerOptions,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    plugins: [...(options.workerOptions?.plugins ?? []), orchPlugin(options)],
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

/**
 * A worker plugin that registers orch's workflow and activities on an existing Temporal
 * worker: `Worker.create({ ..., plugins: [orchPlugin()] })`. A worker that brings neither
 * `workflowsPath` nor `workflowBundle` gets orch's workflows; one that brings its own must
 * re-export orch's (`WORKFLOWS_PATH`) from its workflows module. `deps.manifests` says where
 * the worker's secrets may go (see {@link createOrchWorker}).
 */
export function orchPlugin(deps: ActivityDeps = {}): WorkerPlugin {
  const runtime = createActivityRuntime(deps);
  // One per plugin: it remembers the plans of the runs whose calls it verified.
  const policyInterceptor = createPolicyInterceptor();
  let modelQueues: ModelQueueWorkers | null = null;
  return {
    name: 'orch',
    configureWorker(options) {
      // The second enforcement point: every model and tool call is verified against its run's
      // start event and re-checked on the worker.
      const interceptors = { ...options.interceptors, activity: [policyInterceptor, ...(options.interceptors?.activity ?? [])] };
      const maxHeartbeatThrottleInterval = options.maxHeartbeatThrottleInterval ?? HEARTBEAT_THROTTLE;
      modelQueues = new ModelQueueWorkers({
        connection: options.connection!,
        namespace: options.namespace ?? 'default',
        workerOptions: {
          activities: { callModel: runtime.activities.callModel },
          interceptors,
          maxHeartbeatThrottleInterval,
          ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
        },
        onError: (queue, error) => Runtime.instance().logger.error(`orch: cannot serve model queue ${queue}: ${String(error)}`),
      });
      return {
        ...options,
        ...(options.workflowsPath || options.workflowBundle ? {} : { workflowsPath: WORKFLOWS_PATH }),
        maxHeartbeatThrottleInterval,
        activities: { ...(options.activities ?? {}), ...runtime.activities },
        interceptors,
        sinks: { ...options.sinks, ...modelQueues.sinks() },
      };
    },
    // Stop the rate-limited queues' workers and the MCP servers the activities started once
    // the worker has drained.
    async runWorker(worker, next) {
      try {
        await next(worker);
      } finally {
        await modelQueues?.shutdown();
        await runtime.close();
      }
    },
  };
}
