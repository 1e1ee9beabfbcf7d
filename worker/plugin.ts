/**
 * `orchPlugin()`: orch's workflow and activities on a Temporal worker you already run,
 * through the SDK's worker plugin interface.
 *
 * A plugin object may serve several workers (`Worker.create` twice with the same plugins
 * list): each worker gets its own activity runtime (MCP connections), policy interceptor and
 * rate-limited model-queue workers, found again in `runWorker` through the activity function
 * registered for it, and stopped with that worker only. The plugin closes nothing it did not
 * open: never the connection.
 */
import { Runtime, type InjectedSinks, type ReplayWorkerOptions, type Worker, type WorkerOptions, type WorkerPlugin } from '@temporalio/worker';
import { createActivityRuntime, type ActivityDeps, type ActivityRuntimeHandle } from '../activities/index.ts';
import { ACTIVITY_TYPES, MODEL_QUEUES_SINK } from '../contract/wire-names.ts';
import type { ModelQueueSinks } from '../workflows/model-queues.ts';
import { ModelQueueWorkers } from './model-queue-workers.ts';
import { extraRouteQueues, runWithRouteWorkers, withConcurrencyLimit, type OrchRoutingOptions } from './route-workers.ts';
import { createPolicyInterceptor } from './policy-interceptor.ts';
import { workflowBundle } from './workflow-bundle.ts';
import { loadWorkerTelemetry, type WorkerTelemetry } from './telemetry-config.ts';

/**
 * Heartbeats are how a call learns it was cancelled (an agent timeout, a cancelled run): send
 * them every second, not every 0.8 × heartbeat timeout, so a cancelled model call stops
 * spending tokens within a second.
 */
export const HEARTBEAT_THROTTLE = '1 second';

/** What one worker was given, stopped when that worker stops. */
interface WorkerState {
  runtime: ActivityRuntimeHandle;
  modelQueues: ModelQueueWorkers;
  /** The options orch configured it with, and the route queues polled next to it (route-workers.ts). */
  configured: WorkerOptions;
  routeQueues: string[];
  /** Traces and metrics, when the worker's environment asks for them (worker/telemetry-config.ts). */
  telemetry: WorkerTelemetry | null;
}

/** A worker that brings no workflow code of its own runs orch's. */
async function withWorkflowCode<T extends Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>>(options: T): Promise<T> {
  if (options.workflowsPath || options.workflowBundle) return options;
  return { ...options, workflowBundle: await workflowBundle() };
}

/**
 * With tracing on, workflow code runs Temporal's OpenTelemetry workflow interceptors: orch's in
 * a bundle of its own with them inside (a prebuilt bundle cannot take `workflowModules`), a
 * worker's own `workflowsPath` through `interceptors.workflowModules`. A worker's own prebuilt
 * bundle is left as it is (its workflow spans are then not made).
 */
async function withTracedWorkflowCode(options: WorkerOptions, telemetry: WorkerTelemetry): Promise<WorkerOptions> {
  if (options.workflowBundle) return options;
  if (options.workflowsPath) {
    const modules = options.interceptors?.workflowModules ?? [];
    return { ...options, interceptors: { ...options.interceptors, workflowModules: [...modules, ...telemetry.workflowInterceptorModules] } };
  }
  const { tracedWorkflowBundle } = await import('./traced-workflow-bundle.ts');
  return { ...options, workflowBundle: await tracedWorkflowBundle(telemetry.workflowInterceptorModules) };
}

/** Replay runs no activities: the model-queue sink does nothing there. */
const REPLAY_SINKS: InjectedSinks<ModelQueueSinks> = {
  [MODEL_QUEUES_SINK]: { serve: { fn: () => undefined, callDuringReplay: false } },
};

class OrchPlugin implements WorkerPlugin {
  readonly name = 'orch';
  /** Keyed by the worker's registered `callModel`, which is this plugin's and unique per worker. */
  private readonly workers = new WeakMap<object, WorkerState>();
  private readonly deps: ActivityDeps & OrchRoutingOptions;

  constructor(deps: ActivityDeps & OrchRoutingOptions) {
    this.deps = deps;
  }

  async configureWorker(given: WorkerOptions): Promise<WorkerOptions> {
    const options = withConcurrencyLimit(given, this.deps);
    // Off unless the environment names an OTLP endpoint; then Temporal's activity span (and
    // orch's attributes inside it) wraps everything, the policy check included.
    const telemetry = await loadWorkerTelemetry(this.deps.env ?? process.env);
    const runtime = createActivityRuntime(this.deps);
    // The second enforcement point: every model and tool call is verified against its run's
    // start event and re-checked on the worker. One per worker: it caches that worker's plans.
    const interceptors = {
      ...options.interceptors,
      activity: [...(telemetry?.activityInterceptors ?? []), createPolicyInterceptor(), ...(options.interceptors?.activity ?? [])],
    };
    const maxHeartbeatThrottleInterval = options.maxHeartbeatThrottleInterval ?? HEARTBEAT_THROTTLE;
    const modelQueues = new ModelQueueWorkers({
      connection: options.connection!,
      namespace: options.namespace ?? 'default',
      workerOptions: {
        activities: { [ACTIVITY_TYPES.callModel]: runtime.activities.callModel },
        interceptors,
        maxHeartbeatThrottleInterval,
        ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
        // The bound of max_concurrent_tasks (route-workers.ts), and the worker's name in history.
        ...(options.maxConcurrentActivityTaskExecutions ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions } : {}),
        ...(options.identity ? { identity: options.identity } : {}),
      },
      onError: (queue, error) => Runtime.instance().logger.error(`orch: cannot serve model queue ${queue}: ${String(error)}`),
    });
    const withCode = {
      ...options,
      maxHeartbeatThrottleInterval,
      activities: { ...(options.activities ?? {}), ...runtime.activities },
      interceptors,
      sinks: { ...options.sinks, ...modelQueues.sinks(), ...telemetry?.sinks },
    };
    const configured = await (telemetry ? withTracedWorkflowCode(withCode, telemetry) : withWorkflowCode(withCode));
    const routeQueues = extraRouteQueues(options.taskQueue, this.deps);
    this.workers.set(runtime.activities.callModel, { runtime, modelQueues, configured, routeQueues, telemetry });
    return configured;
  }

  configureReplayWorker(options: ReplayWorkerOptions): Promise<ReplayWorkerOptions> {
    return withWorkflowCode({ ...options, sinks: { ...REPLAY_SINKS, ...options.sinks } });
  }

  // Once the worker has drained, stop the model-queue workers and the MCP servers its
  // activities started.
  async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    const state = this.workers.get(worker.options.activities.get(ACTIVITY_TYPES.callModel) ?? {});
    try {
      await (state ? runWithRouteWorkers(worker, next, state.configured, state.routeQueues) : next(worker));
    } finally {
      if (state) {
        await state.modelQueues.shutdown();
        await state.runtime.close();
        // Flushes the spans and metrics still buffered: a worker that stops exports what it saw.
        await state.telemetry?.shutdown();
      }
    }
  }
}

/**
 * A worker plugin that registers orch's workflow and activities on an existing Temporal
 * worker: `Worker.create({ ..., plugins: [orchPlugin()] })`. A worker that brings neither
 * `workflowsPath` nor `workflowBundle` gets orch's prebuilt workflows; one that brings its own
 * must re-export orch's (`orch/workflows`) from its workflows module. `deps.manifests` says
 * where the worker's secrets may go (see `createOrchWorker`).
 */
export function orchPlugin(deps: ActivityDeps & OrchRoutingOptions = {}): WorkerPlugin {
  return new OrchPlugin(deps);
}
