/**
 * A fallback model an agent may never call is a mistake in the manifests, not something to
 * find out at run time: every `fallback_model_refs` entry is checked against the
 * `allowed_models` of the policies that apply to the agent in the compiled plan.
 */
import { checkModelCall } from '../policies/gate.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { Plan } from '../contract/plan.ts';
import type { ResourceRegistry } from './registry.ts';
import { valueLocation } from './source-map.ts';

export function checkFallbackModels(plan: Plan, registry: ResourceRegistry, diagnostics: Diagnostic[]): void {
  for (const [name, agent] of Object.entries(plan.agents)) {
    const parsed = registry.find('Agent', `${agent.id.namespace}/${agent.id.name}`, agent.id.namespace);
    if (parsed?.resource?.kind !== 'Agent') continue;
    parsed.resource.spec.fallbackModelRefs.forEach((ref, index) => {
      const key = registry.findValid('ModelEndpoint', ref, agent.id.namespace)?.key;
      if (key === undefined || !(key in plan.models)) return;
      const decision = checkModelCall(plan, name, key);
      if (decision.allowed) return;
      const path = ['spec', 'fallback_model_refs', index];
      diagnostics.push({
        code: 'MODEL_NOT_ALLOWED',
        severity: 'error',
        message: `fallback model "${ref}" of agent ${name} can never be called: ${decision.reason}`,
        location: valueLocation(parsed.source, path),
        path,
      });
    });
  }
}
