/**
 * Runs an activity function inside a Temporal activity context without a worker or a
 * server: `Context.current()`, heartbeats, cancellation and `info` all work.
 *
 * The same surface as `MockActivityEnvironment` from `@temporalio/testing` (which this
 * project does not install: its `createLocal()` downloads a server these machines cannot
 * reach): `new MockActivityEnvironment(info?)`, `run(fn, ...args)`, `cancel(reason?)`,
 * and a `'heartbeat'` event per heartbeat with its details.
 */
import { EventEmitter } from 'node:events';
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { CancelledFailure, noopMetricMeter, type Logger, type LogLevel, type LogMetadata } from '@temporalio/common';

/** One log entry the activity wrote through `Context.current().log`. */
export interface RecordedLog {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** The activity info tests get unless they override it. */
export const defaultActivityInfo: Info = {
  taskToken: new Uint8Array([0, 1, 2, 3]),
  base64TaskToken: 'AAECAw==',
  activityId: 'test-activity-1',
  activityType: 'unknown',
  activityNamespace: 'default',
  attempt: 1,
  isLocal: false,
  workflowExecution: { workflowId: 'test-workflow', runId: 'test-run' },
  workflowNamespace: 'default',
  workflowType: 'orchRun',
  scheduledTimestampMs: 0,
  scheduleToCloseTimeoutMs: 60_000,
  startToCloseTimeoutMs: 60_000,
  currentAttemptScheduledTimestampMs: 0,
  heartbeatTimeoutMs: 10_000,
  heartbeatDetails: undefined,
  taskQueue: 'test',
  namespace: 'default',
  inWorkflow: true,
};

/** A fake activity environment: see the module comment. */
export class MockActivityEnvironment extends EventEmitter {
  readonly context: Context;
  /** Every heartbeat's details, in order. */
  readonly heartbeats: unknown[] = [];
  /** Every log entry written through the context logger. */
  readonly logs: RecordedLog[] = [];
  readonly #abort = new AbortController();
  #rejectCancelled: (reason: unknown) => void = () => {};

  constructor(info: Partial<Info> = {}) {
    super();
    const cancelled = new Promise<never>((_resolve, reject) => {
      this.#rejectCancelled = reject;
    });
    // Nobody may await `cancelled`; do not let its rejection go unhandled.
    cancelled.catch(() => {});
    const logs = this.logs;
    const log = (level: LogLevel) => (message: string, meta?: LogMetadata) => {
      logs.push({ level, message, ...(meta ? { meta } : {}) });
    };
    const logger: Logger = {
      log: (level, message, meta) => log(level)(message, meta),
      trace: log('TRACE'),
      debug: log('DEBUG'),
      info: log('INFO'),
      warn: log('WARN'),
      error: log('ERROR'),
    };
    this.context = new Context(
      { ...defaultActivityInfo, ...info },
      cancelled,
      this.#abort.signal,
      (details?: unknown) => {
        this.heartbeats.push(details);
        this.emit('heartbeat', details);
      },
      undefined,
      logger,
      noopMetricMeter,
      {}
    );
  }

  /** Runs `fn` as the activity, with this environment's context current. */
  run<P extends unknown[], R>(fn: (...args: P) => Promise<R>, ...args: P): Promise<R> {
    return asyncLocalStorage.run(this.context, () => fn(...args));
  }

  /** Requests cancellation, as the worker does: aborts the signal with a CancelledFailure. */
  cancel(reason = 'CANCELLED'): void {
    const failure = new CancelledFailure(reason);
    this.#rejectCancelled(failure);
    this.#abort.abort(failure);
  }
}
