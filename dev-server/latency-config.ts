/**
 * Dynamic config the embedded dev server starts with, tuned for latency on one machine.
 *
 * The history service reads its transfer and timer queues through rate limiters that allow
 * 20 reads a second (Temporal's defaults, sized for clusters of many shards). A dev server
 * has one shard, so once the limiter's burst is spent every workflow task and every
 * activity waits for the next read: ~40 ms a step. 1000 a second removes the wait and costs
 * nothing when idle (the readers are woken by new tasks; the limit only caps bursts).
 * Eager activity execution lets a worker that completes a workflow task start the
 * activities it scheduled at once, without a trip through matching. The README's
 * Deployment section gives the same settings for a self-hosted cluster.
 */
export const LATENCY_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  'system.enableActivityEagerExecution': true,
};

/** Temporal's own defaults for the same keys: what a server started without them runs with. */
export const TEMPORAL_DEFAULT_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'history.transferProcessorMaxPollRPS': 20,
  'history.timerProcessorMaxPollRPS': 20,
  'history.visibilityProcessorMaxPollRPS': 20,
  'system.enableActivityEagerExecution': false,
};

/**
 * Pragmas for the server's SQLite file. Write-ahead logging commits with one sequential
 * write to the log instead of rewriting pages through a rollback journal, and
 * `synchronous=FULL` (SQLite's default, stated so nothing weakens it) still syncs the log
 * on every commit: a committed step survives a crash of the process or of the machine.
 */
export const SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'full',
};
