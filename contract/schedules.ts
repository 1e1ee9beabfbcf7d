/**
 * A compiled TaskSchedule: what `compileSchedules` produces and `applySchedules` turns into a
 * Temporal Schedule. Plain data, so a service can compile in one place and apply in another.
 */
import type { Plan } from './plan.ts';

/** What a trigger does while an earlier run of the same schedule is still going. */
export type ScheduleConcurrencyPolicy = 'forbid' | 'allow' | 'replace';

export interface ScheduleDefinition {
  /** The TaskSchedule's namespace and name; together they name the Temporal Schedule. */
  namespace: string;
  name: string;
  /** `namespace/name` of the Task template each run is built from. */
  task: string;
  /** 5-field cron expression, as written. */
  cron: string;
  /** IANA time zone the cron expression is read in. */
  timeZone: string;
  /** Paused: no scheduled runs (a manual trigger still starts one). */
  suspend: boolean;
  /** How late a missed scheduled run may still start; later ones are skipped. */
  startingDeadlineSeconds: number;
  concurrencyPolicy: ScheduleConcurrencyPolicy;
  /** Kept from the manifest for fidelity; Temporal keeps its own recent-run history. */
  successfulHistoryLimit: number;
  failedHistoryLimit: number;
  /** The Plan of the Task template: every scheduled run runs exactly this. */
  plan: Plan;
}
