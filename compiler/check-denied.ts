/**
 * What the policies deny whatever the model asks is known before a run starts: a tool an
 * agent lists that the gate refuses for it (TOOL_ALWAYS_DENIED), an agent's own model outside
 * an applicable policy's `allowed_models` (AGENT_MODEL_DENIED). Warnings at the agent's entry:
 * the run behaves as the gate says (a refusal told to the model, or POLICY_DENIED), and
 * manifests that exercise a denial on purpose still compile. The gate does not read a call's
 * arguments, so its verdict on a tool is the verdict on every call of it; a tool that needs
 * approval is permitted.
 */
import { checkModelCall, checkToolCall } from '../policies/gate.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { Plan } from '../contract/plan.ts';
import { toolTargetKey, type ResourceRegistry } from './registry.ts';
import { valueLocation } from './source-map.ts';

export function checkAlwaysDenied(plan: Plan, registry: ResourceRegistry, diagnostics: Diagnostic[]): void {
  for (const [name, agent] of Object.entries(plan.agents)) {
    const parsed = registry.find('Agent', `${agent.id.namespace}/${agent.id.name}`, agent.id.namespace);
    if (parsed?.resource?.kind !== 'Agent') continue;
    const model = checkModelCall(plan, name, agent.model);
    if (!model.allowed) {
      const path = ['spec', 'model_ref'];
      diagnostics.push({ code: 'AGENT_MODEL_DENIED', severity: 'warning', message: `agent ${name} cannot call its model: ${model.reason}`, location: valueLocation(parsed.source, path), path });
    }
    parsed.resource.spec.tools.forEach((ref, index) => {
      // A Tool, or an MCP server's tool (`server--tool`), as the plan keys it.
      const target = registry.findTool(ref, agent.id.namespace);
      const key = target ? toolTargetKey(target) : undefined;
      if (key === undefined || !agent.tools.includes(key)) return;
      const decision = checkToolCall(plan, name, key);
      if (decision.allowed || decision.verdict === 'approval_required') return;
      const path = ['spec', 'tools', index];
      diagnostics.push({ code: 'TOOL_ALWAYS_DENIED', severity: 'warning', message: `agent ${name} lists tool "${ref}", which every call of is refused: ${decision.reason}`, location: valueLocation(parsed.source, path), path });
    });
  }
}
