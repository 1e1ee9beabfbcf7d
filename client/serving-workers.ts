/**
 * Whether any worker serves a routed run (contract/routing.ts) before it is started: Temporal's
 * DescribeTaskQueue lists the pollers of the route's queue. A run nobody serves would sit on
 * a queue no worker polls, showing nothing (no workflow code runs until a matching worker
 * does), so orch refuses it at start with NO_MATCHING_WORKER, naming its requirements and
 * the queue, instead of letting it wait in silence.
 *
 * The server lists a poller for a few minutes after its last poll, so a worker that died just
 * now still counts: the run then waits for it (or another) on its queue, which is where a run
 * of a worker that crashed mid-run waits too.
 */
import type { Client } from '@temporalio/client';
import { describeRequirements, type PlanRequirements } from '../contract/routing.ts';

/** `TASK_QUEUE_KIND_NORMAL`, `TASK_QUEUE_TYPE_WORKFLOW` (temporal.api.enums.v1): a routed run's workflow tasks go to the route's queue. */
const NORMAL_KIND = 1;
const WORKFLOW_TYPE = 1;

const NO_MATCHING_WORKER = Symbol.for('orch.NoMatchingWorkerError');

/** A run with requirements that no worker polls the queue of. */
export class NoMatchingWorkerError extends Error {
  readonly code = 'NO_MATCHING_WORKER';
  readonly taskQueue: string;
  readonly requirements: PlanRequirements;
  readonly [NO_MATCHING_WORKER] = true;

  constructor(taskQueue: string, requirements: PlanRequirements) {
    const wanted = describeRequirements(requirements);
    super(
      `no worker serves requirements ${wanted}: nothing polls task queue "${taskQueue}"; start one whose capabilities match, e.g. \`orch worker --capabilities ${wanted.replace(/, /g, ',').replace('model=', 'models=')}\``
    );
    this.name = 'NoMatchingWorkerError';
    this.taskQueue = taskQueue;
    this.requirements = requirements;
  }

  static is(error: unknown): error is NoMatchingWorkerError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[NO_MATCHING_WORKER] === true;
  }
}

/** What asking for pollers needs of a client: a `Client`, or its `workflow` part. */
type PollerSource = Pick<Client, 'workflowService'> & { options: { namespace: string } };

/** The identities of the workers polling `taskQueue` for workflow tasks. */
export async function queuePollers(client: PollerSource, taskQueue: string): Promise<string[]> {
  const described = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: NORMAL_KIND },
    taskQueueType: WORKFLOW_TYPE,
  });
  return (described.pollers ?? []).map((poller) => poller.identity ?? '');
}

/**
 * Resolves once some worker polls `taskQueue`, waiting up to `graceMs` for one that is just
 * starting (`orch run`'s own worker starts polling as the run starts); else throws
 * {@link NoMatchingWorkerError}.
 */
export async function requireServingWorker(client: Client, taskQueue: string, requirements: PlanRequirements, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    if ((await queuePollers(client, taskQueue)).length > 0) return;
    if (Date.now() >= deadline) throw new NoMatchingWorkerError(taskQueue, requirements);
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(deadline - Date.now(), 1))));
  }
}
