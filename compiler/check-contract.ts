/**
 * A `tool_sequence` entry the agent can never call makes its execution contract impossible
 * to meet: under `non_retryable_error` the agent is bound to fail. Orloj finds out at run
 * time; orch says so when it compiles. Entries are matched to the agent's tools the way the
 * workflow matches them (workflows/execution-contract.ts): by every name a tool goes by,
 * folded as policy folds names. An entry that only looks like one of them (a Cyrillic `о`)
 * is refused, as look-alikes of blocked tools are (CONFUSABLE_TOOL_NAME); one that names no
 * tool of the agent is a CONTRACT_TOOL_NOT_OFFERED warning.
 */
import { isScalar } from 'yaml';
import { delegateToolName, type Plan } from '../contract/plan.ts';
import { compareToolNames, delegateFacts, lookAlikeCodePoints, toolFacts, toolNameKey } from '../policies/tool-identity.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ResourceRegistry } from './registry.ts';
import { findPath, valueLocation, type ManifestPath, type SourceDocument } from './source-map.ts';

/** The names each tool the agent is offered goes by: plan tools, memory tools, delegations. */
function offeredNames(plan: Plan, agent: string): { name: string; names: string[] }[] {
  const spec = plan.agents[agent]!;
  const tools = spec.tools.map((key) => {
    const tool = plan.tools[key]!;
    return { name: tool.name, names: toolFacts(key, tool, tool.mcp ? plan.mcpServers[tool.mcp.server] : undefined).names };
  });
  const memory = (spec.memory?.tools ?? []).map((name) => ({ name, names: [] }));
  const delegates = (plan.graph[agent]?.delegates ?? []).map((d) => ({ name: delegateToolName(d), names: delegateFacts(d, plan.agents[d]!.id).names }));
  return [...tools, ...memory, ...delegates];
}

/** A bound on the entries searched, should a list be absurdly long. */
const MAX_ENTRIES = 10_000;

/** Where `entry` is written in the agent's `tool_sequence` (entries are normalized: trimmed, deduplicated). */
function entryPath(source: SourceDocument, entry: string): ManifestPath {
  // Paths are canonical (snake_case); the source map finds the key in any spelling.
  for (let index = 0; index < MAX_ENTRIES; index++) {
    const node = findPath(source, ['spec', 'execution', 'tool_sequence', index]).node;
    if (!node) return ['spec', 'execution', 'tool_sequence'];
    if (isScalar(node) && String(node.value).trim() === entry) return ['spec', 'execution', 'tool_sequence', index];
  }
  return ['spec', 'execution', 'tool_sequence'];
}

export function checkExecutionContracts(plan: Plan, registry: ResourceRegistry, diagnostics: Diagnostic[]): void {
  for (const [name, agent] of Object.entries(plan.agents)) {
    if (!agent.contract) continue;
    const parsed = registry.find('Agent', `${agent.id.namespace}/${agent.id.name}`, agent.id.namespace);
    if (parsed?.resource?.kind !== 'Agent') continue;
    const offered = offeredNames(plan, name);
    for (const entry of agent.contract.toolSequence) {
      const key = toolNameKey(entry);
      const bare = toolNameKey(entry.slice(entry.indexOf('/') + 1));
      const compare = (tool: { name: string; names: string[] }, with_: typeof key) => [tool.name, ...tool.names].map((n) => compareToolNames(n, with_));
      if (offered.some((tool) => compare(tool, key).includes('same'))) continue;
      const alike = offered.find((tool) => [...compare(tool, key), ...compare(tool, bare)].includes('confusable'));
      const path = entryPath(parsed.source, entry);
      const location = valueLocation(parsed.source, path);
      if (alike) {
        const odd = lookAlikeCodePoints(entry);
        diagnostics.push({
          code: 'CONFUSABLE_TOOL_NAME',
          severity: 'error',
          message: `tool_sequence entry "${entry}" of agent ${name} looks like its tool "${alike.name}" but is not the same name${odd.length > 0 ? ` (it has ${odd.join(', ')})` : ''}: the contract could never be met; write it the same way`,
          location,
          path: [...path],
        });
      } else {
        diagnostics.push({
          code: 'CONTRACT_TOOL_NOT_OFFERED',
          severity: 'warning',
          message: `tool_sequence entry "${entry}" of agent ${name} names no tool the agent is offered (${offered.map((t) => t.name).join(', ') || 'none'}): its execution contract can never be met`,
          location,
          path: [...path],
        });
      }
    }
  }
}
