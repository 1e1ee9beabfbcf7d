/**
 * Every TaskWebhook compiled to what a delivery handler needs: its verification settings and
 * the Plan of the Task template it runs. Built only from a resource graph without errors.
 */
import { createHash } from 'node:crypto';
import type { WebhookDefinition } from '../contract/webhooks.ts';
import type { Plan } from '../contract/plan.ts';
import { secretRef } from './build-plan.ts';
import { planForTemplate, type EntryAgentsFor } from './compile-template-runs.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import type { ResourceRegistry } from './registry.ts';
import type { TaskResource, TaskWebhookResource } from './resources.ts';

export type { EntryAgentsFor } from './compile-template-runs.ts';
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
    const runner = { kind: 'TaskWebhook' as const, key: hook.key, namespace: hook.namespace, taskRef: hook.spec.taskRef, source };
    const compiled = planForTemplate(runner, registry, entryAgentsFor, diagnostics);
    if (compiled) webhooks.push(definition(hook, registry, compiled.task, compiled.plan));
  }
  return webhooks;
}
