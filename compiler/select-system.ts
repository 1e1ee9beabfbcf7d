/**
 * Which AgentSystem `compile` builds: the `task` option's system, else the `system` option,
 * else the only runnable Task, else the only AgentSystem.
 */
import type { Diagnostic, SourceLocation } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import { parseReference, type ResourceRegistry } from './registry.ts';
import type { AgentSystemResource, TaskResource } from './resources.ts';
import { valueLocation } from './source-map.ts';

export interface Selection {
  system: AgentSystemResource;
  task: TaskResource | null;
}

export interface SelectionOptions {
  system?: string | undefined;
  task?: string | undefined;
}

function byName(registry: ResourceRegistry, kind: 'Task' | 'AgentSystem', ref: string): ParsedResource[] {
  const { namespace, name } = parseReference(ref);
  const matches = registry.all().filter((p) => p.header.kind === kind && p.header.name === name && (namespace === null || p.header.namespace === namespace));
  // A bare name that exists in several namespaces resolves to `default` if it is there.
  if (namespace === null && matches.length > 1) {
    const inDefault = matches.filter((p) => p.header.namespace === 'default');
    if (inDefault.length === 1) return inDefault;
  }
  return matches;
}

function names(items: readonly ParsedResource[]): string {
  return items.map((p) => `${p.header.kind} ${p.header.key}`).join(', ');
}

/** Picks the system to compile, or reports NO_SYSTEM / AMBIGUOUS_SYSTEM and returns null. */
export function selectSystem(registry: ResourceRegistry, options: SelectionOptions, fallback: SourceLocation, diagnostics: Diagnostic[]): Selection | null {
  const fail = (code: 'NO_SYSTEM' | 'AMBIGUOUS_SYSTEM', message: string, location: SourceLocation = fallback) => {
    diagnostics.push({ code, severity: 'error', message, location });
    return null;
  };
  const fromTask = (entry: ParsedResource): Selection | null => {
    // An invalid Task or one whose system does not resolve already has its own diagnostic.
    if (entry.resource?.kind !== 'Task') return null;
    const task = entry.resource;
    const system = registry.findValid('AgentSystem', task.spec.system, task.namespace);
    return system ? { system, task } : null;
  };

  for (const kind of ['Task', 'AgentSystem'] as const) {
    const wanted = kind === 'Task' ? options.task : options.system;
    if (wanted === undefined) continue;
    const matches = byName(registry, kind, wanted);
    const [only] = matches;
    if (!only) return fail('NO_SYSTEM', `no ${kind} named "${wanted}" in the given manifests`);
    if (matches.length > 1) return fail('AMBIGUOUS_SYSTEM', `"${wanted}" names several resources: ${names(matches)}; use namespace/name`, only.header.nameLocation);
    if (kind === 'Task') return fromTask(only);
    return only.resource?.kind === 'AgentSystem' ? { system: only.resource, task: null } : null;
  }

  const runTasks = registry.all().filter((p) => p.resource?.kind === 'Task' && p.resource.spec.mode === 'run');
  const [onlyTask] = runTasks;
  if (onlyTask && runTasks.length === 1) return fromTask(onlyTask);
  const systems = registry.all().filter((p) => p.header.kind === 'AgentSystem');
  const [onlySystem] = systems;
  if (!onlySystem) {
    // A file that could not be read or parsed may hold the system; its own error says enough.
    if (diagnostics.some((d) => d.severity === 'error' && (d.code === 'FILE_NOT_FOUND' || d.code === 'FILE_UNREADABLE' || d.code === 'YAML_SYNTAX'))) return null;
    return fail('NO_SYSTEM', 'no AgentSystem in the given manifests');
  }
  const templates = registry.all().filter((p) => p.resource?.kind === 'Task' && p.resource.spec.mode === 'template');
  const [firstTemplate] = templates;
  if (systems.length === 1 && runTasks.length === 0 && firstTemplate) {
    // Running the system bare would quietly drop the template's input: say what is there instead.
    diagnostics.push({
      code: 'TASK_IS_TEMPLATE',
      severity: 'error',
      message: `no runnable Task: ${names(templates)} ${templates.length === 1 ? 'is a template' : 'are templates'} (mode: template), which a TaskSchedule or TaskWebhook instantiates; run one with the task option, or the system without a Task with the system option`,
      location: valueLocation(firstTemplate.source, ['spec', 'mode']),
      path: ['spec', 'mode'],
    });
    return null;
  }
  if (systems.length === 1) return onlySystem.resource?.kind === 'AgentSystem' ? { system: onlySystem.resource, task: null } : null;
  const candidates = runTasks.length > 1 ? [...runTasks, ...systems] : systems;
  return fail('AMBIGUOUS_SYSTEM', `several candidates to compile (${names(candidates)}); choose one with the task or system option`, candidates[0]?.header.nameLocation);
}
