/**
 * Rate-limited model endpoints (ModelEndpoint `rate_limit.requests_per_second`). Their calls
 * go to a task queue of their own, which the Temporal server dispatches no faster than the
 * limit (`maxTaskQueueActivitiesPerSecond`), so the limit holds across every worker and run
 * on the deployment's task queue. Workers learn which queues to serve from the runs they
 * process: the workflow names the queue through the `orchModelQueues` sink before it
 * schedules a call there (replays included, so a worker that takes over a run serves it too).
 *
 * A call may wait in its queue while the only worker serving it dies. Nothing else would
 * then wake the run, so while a call waits the workflow names its queue again every
 * {@link REANNOUNCE_MS}: the worker that handles that wake-up starts serving the queue.
 */
import { CancellationScope, isCancellation, proxySinks, sleep, type Sinks } from '@temporalio/workflow';
import type { PlanModel } from '../contract/plan.ts';
import { MODEL_QUEUES_SINK } from '../contract/wire-names.ts';

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
  [MODEL_QUEUES_SINK]: {
    /** Asks the worker to serve `queue` (a no-op once it does). */
    serve(queue: string, requestsPerSecond: number): void;
  };
}

const modelQueuesSink = proxySinks<ModelQueueSinks>()[MODEL_QUEUES_SINK];

/** How often a call still waiting in a rate-limited queue names it again. */
export const REANNOUNCE_MS = 15_000;

/** Tells the worker the queue is needed; it starts serving it if it does not yet. */
function announceModelQueue(queue: ModelQueue): void {
  modelQueuesSink.serve(queue.name, queue.requestsPerSecond);
}

/** Runs `call` (scheduled on `queue`), making sure some live worker serves the queue until it ends. */
export async function callOnModelQueue<T>(queue: ModelQueue, call: () => Promise<T>): Promise<T> {
  announceModelQueue(queue);
  const reminder = new CancellationScope();
  const reminding = reminder
    .run(async () => {
      for (;;) {
        await sleep(REANNOUNCE_MS);
        announceModelQueue(queue);
      }
    })
    .catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });
  try {
    return await call();
  } finally {
    reminder.cancel();
    await reminding;
  }
}
