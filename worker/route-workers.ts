/**
 * The worker side of routing (contract/routing.ts): a worker with capabilities polls its own
 * task queue and, next to it, every route queue those capabilities satisfy, each with one
 * more Temporal worker built from the same options (workflows, activities, interceptors,
 * sinks, identity), started and stopped with the first.
 *
 * `max_concurrent_tasks` is Orloj's bound on the runs a worker claims at once. A Temporal run
 * is never claimed by one worker (any worker of its queue takes its next workflow task or
 * call), so no worker option bounds runs; what a worker does hold is the work of those runs,
 * its model, tool, memory and MCP calls. The bound maps to `maxConcurrentActivityTaskExecutions`
 * of each of its queues: at most that many calls at once per queue, so a run (one queue) never
 * has more than that many calls in flight on this worker. Not one bound over all its queues:
 * Temporal reserves a slot before each poll, so a shared pool would let the idle pollers of
 * one queue hold every slot and starve the others. Workflow tasks are not bounded: they only
 * decide what to call next and hold no slot for long.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { ROUTE_SEPARATOR, routeQueuesFor, type PlanRequirements, type WorkerCapabilities } from '../contract/routing.ts';

/** The routing options of `createOrchWorker` and `orchPlugin`. */
export interface OrchRoutingOptions {
  /**
   * What this worker offers (Orloj `Worker` spec). Set: it also polls the route queue of every
   * combination of requirements these satisfy (see contract/routing.ts). Unset: it polls only
   * its task queue, serving runs without requirements.
   */
  capabilities?: WorkerCapabilities;
  /**
   * Requirements of runs it may be asked to serve (the Tasks of its manifests): it polls the
   * route of each one its capabilities satisfy. This is how a worker that lists no
   * `supportedModels` (any model, as in Orloj) learns which model requirements exist.
   */
  knownRequirements?: readonly PlanRequirements[];
}

/** The route queues beyond `options.taskQueue` that a worker with these routing options polls. */
export function extraRouteQueues(taskQueue: string, routing: OrchRoutingOptions): string[] {
  if (!routing.capabilities) return [];
  // A base that already holds a route's separator would make routes ambiguous (contract/routing.ts).
  if (taskQueue.includes(ROUTE_SEPARATOR)) throw new Error(`task queue "${taskQueue}" contains "${ROUTE_SEPARATOR}", which names routes: a worker with capabilities needs another`);
  return routeQueuesFor(taskQueue, routing.capabilities, routing.knownRequirements ?? []).filter((queue) => queue !== taskQueue);
}

/** `max_concurrent_tasks` as a slot limit, unless the options already set one (or a tuner). */
export function withConcurrencyLimit<T extends Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'tuner'>>(options: T, routing: OrchRoutingOptions): T {
  const limit = routing.capabilities?.maxConcurrentTasks;
  if (limit === undefined || options.tuner !== undefined || options.maxConcurrentActivityTaskExecutions !== undefined) return options;
  return { ...options, maxConcurrentActivityTaskExecutions: Math.max(1, Math.floor(limit)) };
}

/**
 * Runs `main` (whose `run` is `next`) together with one worker per route queue, built from
 * `options` (the options orch configured `main` with). `main` starts polling at once, as it
 * would without routes (so it can be shut down at once too); the route workers join it as they
 * are created. Once `main` stops, they drain and stop; should one of them fail (or fail to be
 * created), `main` is shut down too and the failure is thrown, so a worker never goes on quietly
 * without a route it was asked to serve.
 */
export async function runWithRouteWorkers(main: Worker, next: (w: Worker) => Promise<void>, options: WorkerOptions, queues: readonly string[]): Promise<void> {
  const mainRunning = next(main);
  if (queues.length === 0) return mainRunning;
  let failure: unknown = null;
  const stopMain = (error: unknown) => {
    failure ??= error;
    if (main.getState() === 'RUNNING') main.shutdown();
  };
  const routeWorkers: Worker[] = [];
  const running: Promise<void>[] = [];
  const starting = Promise.all(
    queues.map(async (taskQueue) => {
      // Without plugins: orch's configuration is already in `options`, and is not applied twice.
      const worker = await Worker.create({ ...options, taskQueue, plugins: [] });
      routeWorkers.push(worker);
      running.push(worker.run().catch(stopMain));
      // Run even when `main` stopped meanwhile, then stopped at once: a created worker holds the connection until it ran.
      if (main.getState() !== 'RUNNING' && worker.getState() === 'RUNNING') worker.shutdown();
    })
  ).catch(stopMain);
  try {
    await mainRunning;
  } finally {
    await starting;
    for (const worker of routeWorkers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(running);
  }
  if (failure) throw failure;
}
