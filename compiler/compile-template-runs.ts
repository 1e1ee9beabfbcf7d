/**
 * What TaskSchedules and TaskWebhooks share: each names a Task template (`task_ref`) and runs
 * that template's Plan when triggered. Orloj instantiates only templates (its schedule
 * controller rejects a `run` Task, which would otherwise also run on its own), so both kinds
 * get the same located error at `task_ref`, and the same Plan `compile --task` builds.
 */
import type { Plan } from '../contract/plan.ts';
import { buildPlan } from './build-plan.ts';
import { checkFallbackModels } from './check-fallbacks.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ResourceRegistry } from './registry.ts';
import type { AgentSystemResource, TaskResource } from './resources.ts';
import type { SourceDocument } from './source-map.ts';
import { valueLocation } from './source-map.ts';

/**
 * The system's entry agents when it runs `task`, or the problems that stop it (a cycle that
 * this Task's max_turns leaves unbounded), checked apart from the system's own diagnostics.
 */
export type EntryAgentsFor = (system: AgentSystemResource, task: TaskResource) => { entryAgents: string[]; problems: Diagnostic[] };

export interface TemplateRunner {
  kind: 'TaskSchedule' | 'TaskWebhook';
  key: string;
  namespace: string;
  taskRef: string;
  source: SourceDocument;
}

/** The template Task and its Plan, or null with a diagnostic at the runner's `task_ref`. */
export function planForTemplate(
  runner: TemplateRunner,
  registry: ResourceRegistry,
  entryAgentsFor: EntryAgentsFor,
  diagnostics: Diagnostic[],
): { task: TaskResource; plan: Plan } | null {
  const at = (message: string, code: Diagnostic['code'] = 'INVALID_VALUE') =>
    diagnostics.push({ code, severity: 'error', message, location: valueLocation(runner.source, ['spec', 'task_ref']), path: ['spec', 'task_ref'] });
  // An unknown or invalid Task already has its own diagnostic.
  const task = registry.findValid('Task', runner.taskRef, runner.namespace);
  if (!task) return null;
  if (task.spec.mode !== 'template') {
    at(`${runner.kind} ${runner.key} references Task ${task.key}, which is not a template: set its spec.mode to template`);
    return null;
  }
  const system = registry.findValid('AgentSystem', task.spec.system, task.namespace);
  if (!system) return null;
  const { entryAgents, problems } = entryAgentsFor(system, task);
  const plan = problems.some((d) => d.severity === 'error') ? null : buildPlan({ registry, system, task, entryAgents });
  if (plan) checkFallbackModels(plan, registry, problems);
  const [problem] = problems.filter((d) => d.severity === 'error');
  if (!plan || problem) {
    at(`${runner.kind} ${runner.key} cannot run Task ${task.key}: ${problem?.message ?? 'its system does not compile'}`, problem?.code);
    return null;
  }
  return { task, plan };
}
