/**
 * Every TaskWebhook compiled to what a delivery handler needs: its verification settings and
 * the Plan of the Task template it runs. Built only from a resource graph without errors.
 */
import { createHash } from 'node:crypto';
import type { WebhookDefinition } from '../contract/webhooks.ts';
import type { Plan } from '../contract/plan.ts';
import { buildPlan, secretRef } from './build-plan.ts';
import { checkFallbackModels } from './check-fallbacks.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import type { ResourceRegistry } from './registry.ts';
import type { AgentSystemResource, TaskResource, TaskWebhookResource } from './resources.ts';
import { valueLocation } from './source-map.ts';

/**
 * The system's entry agents when it runs `task`, or the problems that stop it (a cycle that
 * this Task's max_turns leaves unbounded), checked apart from the system's own diagnostics.
 */
export type EntryAgentsFor = (system: AgentSystemResource, task: TaskResource) => { entryAgents: string[]; problems: Diagnostic[] };

/** Orloj's endpoint id: the first 12 bytes of sha256(`namespace/name`), in hex. */
export function webhookEndpointId(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 24);
}

function definition(hook: TaskWebhookResource, registry: ResourceRegistry, task: TaskResource, plan: Plan): WebhookDefinition {
  const { auth, idempotency, payload } = hook.spec;
  return {
    namespace: hook.namespace,
    name: hook.name,
    endpointId: webhookEndpointId(hook.namespace, hook.name),
    task: task.key,
    suspend: hook.spec.suspend,
    profile: auth.profile,
    secretRef: secretRef(registry, auth.secretRef, hook.namespace),
    signatureHeader: auth.signatureHeader,
    signaturePrefix: auth.signaturePrefix,
    timestampHeader: auth.timestampHeader,
    maxSkewSeconds: auth.maxSkewSeconds,
    eventIdHeader: idempotency.eventIdHeader,
    dedupeWindowSeconds: idempotency.dedupeWindowSeconds,
    inputKey: payload.inputKey,
    plan,
  };
}

/** Compiles each valid TaskWebhook; a problem is a diagnostic at its `task_ref` and the webhook is left out. */
export function compileWebhooks(registry: ResourceRegistry, entryAgentsFor: EntryAgentsFor, diagnostics: Diagnostic[]): WebhookDefinition[] {
  const webhooks: WebhookDefinition[] = [];
  const hooks = registry.all().filter((p): p is ParsedResource & { resource: TaskWebhookResource } => p.resource?.kind === 'TaskWebhook');
  for (const { resource: hook, source } of hooks) {
    const at = (message: string, code: Diagnostic['code'] = 'INVALID_VALUE') =>
      diagnostics.push({ code, severity: 'error', message, location: valueLocation(source, ['spec', 'task_ref']), path: ['spec', 'task_ref'] });
    // An unknown or invalid Task already has its own diagnostic.
    const task = registry.findValid('Task', hook.spec.taskRef, hook.namespace);
    if (!task) continue;
    if (task.spec.mode !== 'template') {
      // Orloj instantiates only templates; a `run` Task would also run on its own.
      at(`TaskWebhook ${hook.key} references Task ${task.key}, which is not a template: set its spec.mode to template`);
      continue;
    }
    const system = registry.findValid('AgentSystem', task.spec.system, task.namespace);
    if (!system) continue;
    const { entryAgents, problems } = entryAgentsFor(system, task);
    const plan = problems.some((d) => d.severity === 'error') ? null : buildPlan({ registry, system, task, entryAgents });
    if (plan) checkFallbackModels(plan, registry, problems);
    const [problem] = problems.filter((d) => d.severity === 'error');
    if (!plan || problem) {
      at(`TaskWebhook ${hook.key} cannot run Task ${task.key}: ${problem?.message ?? 'its system does not compile'}`, problem?.code);
      continue;
    }
    webhooks.push(definition(hook, registry, task, plan));
  }
  return webhooks;
}
