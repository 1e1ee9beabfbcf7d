/** TaskSchedule: runs a Task template on a cron schedule (Orloj `docs/pages/reference/resources/task.md`, "Task Schedules"). */
import { z } from 'zod';
import { fields, nonEmptyText, oneOf, reference } from './common.ts';

export const CONCURRENCY_POLICIES = ['forbid', 'allow', 'replace'] as const;

export const taskScheduleSpecSchema = fields({
  task_ref: reference,
  schedule: nonEmptyText,
  time_zone: nonEmptyText.optional(),
  suspend: z.boolean().optional(),
  starting_deadline_seconds: z.number().int().min(0).optional(),
  concurrency_policy: oneOf(CONCURRENCY_POLICIES).optional(),
  successful_history_limit: z.number().int().min(0).optional(),
  failed_history_limit: z.number().int().min(0).optional(),
});

export type TaskScheduleSpecInput = z.output<typeof taskScheduleSpecSchema>;
