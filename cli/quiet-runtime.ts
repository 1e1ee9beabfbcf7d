/**
 * Temporal's runtime logs every worker state change at INFO, and activity or workflow
 * failures at WARN with stack traces and task tokens. The CLI reports outcomes itself, so
 * it keeps the runtime at WARN and prints each warning as one line: what failed, where, why.
 * ORCH_DEBUG=1 restores the full log. The runtime is process-global and installed once.
 */
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry } from '@temporalio/worker';

let installed = false;

function describeEntry(entry: LogEntry): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const where = [meta.activityType, meta.workflowType, meta.workflowId].filter((v) => typeof v === 'string');
  const error = meta.error ?? meta.failure;
  const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : null;
  return `temporal ${entry.level.toLowerCase()}: ${entry.message}${where.length ? ` (${where.join(', ')})` : ''}${reason ? `: ${reason.split('\n')[0]}` : ''}`;
}

/**
 * One line per warning. With `dropOutcomes`, failures of calls and runs are left out: the
 * command reports them itself as the run's outcome, with their failure type.
 */
export function oneLineLogFunction(write: (line: string) => void, dropOutcomes: boolean): (entry: LogEntry) => void {
  return (entry) => {
    if (dropOutcomes && (entry.message === 'Activity failed' || entry.message === 'Workflow failed')) return;
    write(`${describeEntry(entry)}\n`);
  };
}

export function installQuietRuntime(env: NodeJS.ProcessEnv = process.env, options: { dropOutcomes?: boolean; level?: 'WARN' | 'ERROR' } = {}): void {
  if (installed) return;
  installed = true;
  const level = options.level ?? 'WARN';
  const logger = env.ORCH_DEBUG
    ? new DefaultLogger('DEBUG')
    : new DefaultLogger(level, oneLineLogFunction((line) => process.stderr.write(line), options.dropOutcomes ?? false));
  try {
    // Native (core) warnings go through the same logger: on stderr, one line each, never
    // ahead of `--json` output on stdout.
    // The CLI owns Ctrl-C (CliIo.interrupted): it stops waiting, then its worker. Temporal's own
    // handlers would stop the worker first, under the command's feet.
    Runtime.install({ logger, shutdownSignals: [], ...(env.ORCH_DEBUG ? {} : { telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } } }) });
  } catch {
    // Already installed by the host process (a library user, a test): keep theirs.
  }
}
