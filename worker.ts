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
import { createActivityRuntime, type ActivityDeps } from './activities/index.ts';
import { policyInterceptor } from './activities/policy-interceptor.ts';
import { ModelQueueWorkers } from './model-queue-workers.ts';

/** The task queue orch uses unless told otherwise (`--task-queue`, `ORCH_TASK_QUEUE`). */
export const DEFAULT_TASK_QUEUE = 'orch';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export function defaultTaskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env.ORCH_TASK_QUEUE || DEFAULT_TASK_QUEUE;
}

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
 * A worker that runs orch's workflow and activities. Runs carry their Plan, so the worker
 * needs no manifests; only Secret values it should resolve (`secrets`) beyond the environment.
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
  const runtime = createActivityRuntime(options);
  const namespace = options.namespace ?? 'default';
  const activityOptions = {
    activities: runtime.activities,
    // Heartbeats are how a call learns it was cancelled (an agent timeout, a cancelled run):
    // send them every second, not every 0.8 × heartbeat timeout, so a cancelled model call
    // stops spending tokens within a second.
    maxHeartbeatThrottleInterval: '1 second',
    // The second enforcement point: every model and tool call is re-checked on the worker.
    interceptors: {
      ...options.workerOptions?.interceptors,
      activity: [policyInterceptor, ...(options.workerOptions?.interceptors?.activity ?? [])],
    },
  } satisfies Partial<WorkerOptions>;
  const modelQueues = new ModelQueueWorkers({
    connection,
    namespace,
    workerOptions: { ...activityOptions, activities: { callModel: runtime.activities.callModel } },
    onError: (queue, error) => Runtime.instance().logger.error(`orch: cannot serve model queue ${queue}: ${String(error)}`),
  });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: options.taskQueue ?? defaultTaskQueue(),
    workflowBundle: await workflowBundle(),
    ...options.workerOptions,
    ...activityOptions,
    sinks: { ...options.workerOptions?.sinks, ...modelQueues.sinks() },
  });
  // Once the worker has drained: stop the rate-limited queues' workers and the MCP servers
  // it started, and close the connection if it was ours to open.
  const run = worker.run.bind(worker);
  worker.run = async () => {
    try {
      await run();
    } finally {
      await modelQueues.shutdown();
      await runtime.close();
      if (ownsConnection) await connection.close();
    }
  };
  return worker;
}

/**
 * A worker plugin that registers orch's workflow and activities on an existing Temporal
 * worker: `Worker.create({ ..., plugins: [orchPlugin()] })`. The worker must not set its own
 * `workflowsPath`; use `workflowsPath` exports from your own module alongside orch's instead.
 */
export function orchPlugin(deps: ActivityDeps = {}): WorkerPlugin {
  const runtime = createActivityRuntime(deps);
  let modelQueues: ModelQueueWorkers | null = null;
  return {
    name: 'orch',
    configureWorker(options) {
      const interceptors = { ...options.interceptors, activity: [policyInterceptor, ...(options.interceptors?.activity ?? [])] };
      modelQueues = new ModelQueueWorkers({
        connection: options.connection!,
        namespace: options.namespace ?? 'default',
        workerOptions: { activities: { callModel: runtime.activities.callModel }, interceptors, maxHeartbeatThrottleInterval: '1 second' },
        onError: (queue, error) => Runtime.instance().logger.error(`orch: cannot serve model queue ${queue}: ${String(error)}`),
      });
      return {
        ...options,
        workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH,
        maxHeartbeatThrottleInterval: options.maxHeartbeatThrottleInterval ?? '1 second',
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
