/**
 * A run's history as it grows: Temporal's long poll (`waitNewEvent`) answers as soon as new
 * events are written, so a follower sees each one within a round trip, without re-reading what
 * it has. A run that continues as new is followed into its next execution.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryGrowth {
  runId: string;
  /** The events of this execution written since the last growth (all of them the first time). */
  events: HistoryEvent[];
  /** The execution has ended (and, when it continued as new, the next one follows). */
  closed: boolean;
  /** These are its latest events: no more were written when they were read. */
  caughtUp: boolean;
}

const PAGE_SIZE = 1000;

/** `EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW` */
const CONTINUED_AS_NEW = 28;

/**
 * Yields what the execution's history grows by, each time it grows, and then the executions it
 * continued into, until the run ends (`follow`) or what is written so far has been read; or
 * `signal` aborts. Holds no more than one page.
 */
export async function* followHistory(client: Client, workflowId: string, runId: string, options: { follow: boolean; signal?: AbortSignal }): AsyncGenerator<HistoryGrowth> {
  let current = runId;
  for (;;) {
    let last: HistoryEvent | undefined;
    let nextPageToken: Uint8Array | undefined;
    for (;;) {
      const request = () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution: { workflowId, runId: current },
          ...(nextPageToken ? { nextPageToken } : {}),
          waitNewEvent: options.follow,
          maximumPageSize: PAGE_SIZE,
        });
      const page = options.signal ? await client.withAbortSignal(options.signal, request) : await request();
      const fresh = page.history?.events ?? [];
      last = fresh.at(-1) ?? last;
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      const closed = nextPageToken === undefined && (!options.follow || isClose(last));
      // A full page may have more behind it; a short one (or the last) is where the history ends for now.
      const caughtUp = nextPageToken === undefined || fresh.length < PAGE_SIZE;
      if (fresh.length > 0 || closed) yield { runId: current, events: fresh, closed, caughtUp };
      if (closed) break;
    }
    const continued = last;
    const next = continued?.eventType === CONTINUED_AS_NEW ? continued.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId : undefined;
    // An execution that continued as new is complete: go on into the next either way.
    if (!next) return;
    current = next;
  }
}

/** Event types 2, 3, 4, 21, 27, 28: completed, failed, timed out, canceled, terminated, continued as new. */
function isClose(event: HistoryEvent | undefined): boolean {
  return event !== undefined && [2, 3, 4, 21, 27, 28].includes(Number(event.eventType));
}
