/**
 * Rate-limited model endpoints (ModelEndpoint `rate_limit.requests_per_second`). Their calls
 * go to a task queue of their own, which the Temporal server dispatches no faster than the
 * limit (`maxTaskQueueActivitiesPerSecond`), so the limit holds across every worker and run
 * on the deployment's task queue. Workers learn which queues to serve from the runs they
 * process: the workflow names the queue through the `orchModelQueues` sink before it
 * schedules a call there (replays included, so a worker that takes over a run serves it too).
 */
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { PlanModel } from '../compiler/plan.ts';

export interface ModelQueue {
  name: string;
  requestsPerSecond: number;
}

/** The queue of `model`'s calls for a run on `taskQueue`, or null when the endpoint has no limit. */
export function modelQueueOf(taskQueue: string, model: PlanModel): ModelQueue | null {
  if (!model.rateLimit) return null;
  return { name: `${taskQueue}/model/${model.id.namespace}/${model.id.name}`, requestsPerSecond: model.rateLimit.requestsPerSecond };
}

export interface ModelQueueSinks extends Sinks {
  orchModelQueues: {
    /** Asks the worker to serve `queue` (a no-op once it does). */
    serve(queue: string, requestsPerSecond: number): void;
  };
}

const { orchModelQueues } = proxySinks<ModelQueueSinks>();

/** Tells the worker the queue is needed; it starts serving it if it does not yet. */
export function announceModelQueue(queue: ModelQueue): void {
  orchModelQueues.serve(queue.name, queue.requestsPerSecond);
}
