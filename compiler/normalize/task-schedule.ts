/**
 * TaskSchedule defaults (Orloj's): time zone UTC, a 300 s starting deadline, concurrency
 * forbid, history limits 10 and 3. The cron expression and the time zone are checked here,
 * where the source is at hand: a bad cron field is reported at its own column.
 */
import { isScalar } from 'yaml';
import type { Diagnostic, SourceLocation } from '../diagnostics.ts';
import { cronProblem } from '../cron.ts';
import type { TaskScheduleSpec } from '../resources.ts';
import type { TaskScheduleSpecInput } from '../schemas/task-schedule.ts';
import { findPath, valueLocation, type SourceDocument } from '../source-map.ts';

const DEFAULT_STARTING_DEADLINE_SECONDS = 300;
const DEFAULT_SUCCESSFUL_HISTORY_LIMIT = 10;
const DEFAULT_FAILED_HISTORY_LIMIT = 3;

/**
 * Where character `offset` of the string at `path` is: exact for a one-line plain or quoted
 * scalar written without escapes (what a cron expression is); else the value's start.
 */
function locationInside(source: SourceDocument, path: readonly string[], offset: number): SourceLocation {
  const { node } = findPath(source, path);
  const start = valueLocation(source, path);
  if (!node || !isScalar(node) || !node.range || typeof node.value !== 'string') return start;
  const quote = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : node.type === 'PLAIN' ? 0 : -1;
  const end = source.lineCounter.linePos(node.range[1]);
  // Block scalars, escapes and values spanning lines keep the value's start.
  if (quote < 0 || end.line !== start.line || end.col - start.column !== node.value.length + 2 * quote) return start;
  return { ...start, column: start.column + quote + offset };
}

/** The IANA zone a name means, or a reason it is not one the server will load. */
function timeZoneProblem(zone: string): string | null {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `"${zone}" is not an IANA time zone (e.g. UTC, America/Chicago, Europe/Berlin)`;
  }
  // Intl matches names in any case; the Temporal server loads zone files by their exact name.
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) return `"${zone}" is spelt "${resolved}"`;
  if (/^[+-]|:/.test(zone)) return `"${zone}" is an offset, not an IANA time zone`;
  return null;
}

export function normalizeTaskSchedule(input: TaskScheduleSpecInput, source: SourceDocument, out: Diagnostic[]): TaskScheduleSpec | null {
  let valid = true;
  const schedule = input.schedule.trim();
  const cron = cronProblem(schedule);
  if (cron) {
    valid = false;
    // The schema trimmed the value; offsets count from the text as written.
    const lead = input.schedule.length - input.schedule.trimStart().length;
    out.push({ code: 'INVALID_CRON', severity: 'error', message: `spec.schedule "${schedule}": ${cron.message}`, location: locationInside(source, ['spec', 'schedule'], lead + cron.offset), path: ['spec', 'schedule'] });
  }
  const timeZone = input.time_zone?.trim() || 'UTC';
  const zone = timeZoneProblem(timeZone);
  if (zone) {
    valid = false;
    out.push({ code: 'UNKNOWN_TIME_ZONE', severity: 'error', message: `spec.time_zone: ${zone}`, location: valueLocation(source, ['spec', 'time_zone']), path: ['spec', 'time_zone'] });
  }
  if (!valid) return null;
  return {
    taskRef: input.task_ref,
    schedule,
    timeZone,
    suspend: input.suspend ?? false,
    // Orloj reads 0 as "not set".
    startingDeadlineSeconds: input.starting_deadline_seconds || DEFAULT_STARTING_DEADLINE_SECONDS,
    concurrencyPolicy: input.concurrency_policy ?? 'forbid',
    successfulHistoryLimit: input.successful_history_limit || DEFAULT_SUCCESSFUL_HISTORY_LIMIT,
    failedHistoryLimit: input.failed_history_limit || DEFAULT_FAILED_HISTORY_LIMIT,
  };
}
