/**
 * Every TaskSchedule compiled to what `applySchedules` needs: its cron, time zone and policies,
 * and the Plan of the Task template it runs. Built only from a resource graph without errors.
 */
import type { ScheduleDefinition } from '../contract/schedules.ts';
import { planForTemplate, type EntryAgentsFor } from './compile-template-runs.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import type { ResourceRegistry } from './registry.ts';
import type { TaskScheduleResource } from './resources.ts';

/** Compiles each valid TaskSchedule; a problem is a diagnostic at its `task_ref` and the schedule is left out. */
export function compileTaskSchedules(registry: ResourceRegistry, entryAgentsFor: EntryAgentsFor, diagnostics: Diagnostic[]): ScheduleDefinition[] {
  const schedules: ScheduleDefinition[] = [];
  const items = registry.all().filter((p): p is ParsedResource & { resource: TaskScheduleResource } => p.resource?.kind === 'TaskSchedule');
  for (const { resource, source } of items) {
    const runner = { kind: 'TaskSchedule' as const, key: resource.key, namespace: resource.namespace, taskRef: resource.spec.taskRef, source };
    const compiled = planForTemplate(runner, registry, entryAgentsFor, diagnostics);
    if (!compiled) continue;
    const { spec } = resource;
    schedules.push({
      namespace: resource.namespace,
      name: resource.name,
      task: compiled.task.key,
      cron: spec.schedule,
      timeZone: spec.timeZone,
      suspend: spec.suspend,
      startingDeadlineSeconds: spec.startingDeadlineSeconds,
      concurrencyPolicy: spec.concurrencyPolicy,
      successfulHistoryLimit: spec.successfulHistoryLimit,
      failedHistoryLimit: spec.failedHistoryLimit,
      plan: compiled.plan,
    });
  }
  return schedules;
}
