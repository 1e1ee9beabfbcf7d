/**
 * The worker side of rate-limited model endpoints (see workflows/model-queues.ts): one
 * activity-only worker per endpoint queue a run has asked for, polling with the endpoint's
 * server-enforced rate (`maxTaskQueueActivitiesPerSecond`), started on first demand and
 * stopped with the worker that started it.
 */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { InjectedSinks } from '@temporalio/worker';
import type { ModelQueueSinks } from '../workflows/model-queues.ts';
import { MODEL_QUEUES_SINK } from '../contract/wire-names.ts';

export interface ModelQueueWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  /**
   * Options every queue worker shares: activities (callModel), interceptors, heartbeat throttle,
   * and the data converter of the worker they serve (activity payloads, and the run's start
   * event the policy interceptor reads, are encoded with it).
   */
  workerOptions: Pick<WorkerOptions, 'activities' | 'interceptors' | 'maxHeartbeatThrottleInterval' | 'dataConverter' | 'maxConcurrentActivityTaskExecutions' | 'identity'>;
  /** Where failures to serve a queue are reported. */
  onError?: (queue: string, error: unknown) => void;
}

export class ModelQueueWorkers {
  private readonly serving = new Map<string, { running: Promise<void>; worker: Promise<Worker | null> }>();
  private stopped = false;
  private readonly options: ModelQueueWorkersOptions;

  constructor(options: ModelQueueWorkersOptions) {
    this.options = options;
  }

  /** Serves `queue` at `requestsPerSecond` from now on; a no-op when already served (the first limit stays). */
  serve(queue: string, requestsPerSecond: number): void {
    if (this.stopped || this.serving.has(queue)) return;
    const worker = Worker.create({
      connection: this.options.connection,
      namespace: this.options.namespace,
      taskQueue: queue,
      ...this.options.workerOptions,
      maxTaskQueueActivitiesPerSecond: requestsPerSecond,
    }).catch((error: unknown) => {
      this.options.onError?.(queue, error);
      this.serving.delete(queue); // the next call for this queue tries again
      return null;
    });
    const running = worker.then((w) => w?.run()).catch((error: unknown) => this.options.onError?.(queue, error));
    this.serving.set(queue, { running, worker });
  }

  /** Drains and stops every queue worker. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    const entries = [...this.serving.values()];
    await Promise.all(
      entries.map(async ({ worker, running }) => {
        const created = await worker;
        if (created && created.getState() === 'RUNNING') created.shutdown();
        await running;
      })
    );
  }

  /** The `orchModelQueues` sink the workflow announces its queues through; called during replay too. */
  sinks(): InjectedSinks<ModelQueueSinks> {
    return {
      [MODEL_QUEUES_SINK]: {
        serve: { fn: (_info, queue, requestsPerSecond) => this.serve(queue, requestsPerSecond), callDuringReplay: true },
      },
    };
  }
}
