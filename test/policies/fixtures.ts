/** Plan pieces for policy-engine tests: tools, AgentPolicies and ToolPermissions with Orloj's defaults. */
import type { Plan, PlanAgent, PlanMcpServer, PlanPolicy, PlanTool, PlanToolPermission } from '../../contract/plan.ts';
import { agent, globalPolicy, planOf, tool } from '../helpers/plan-builder.ts';

export { tool } from '../helpers/plan-builder.ts';

/** An MCP-generated tool, named as Orloj names it: `<server>--<tool>` with `_` as `-`. */
export function mcpTool(server: string, toolName: string): PlanTool {
  const name = `${server}--${toolName.replace(/_/g, '-')}`;
  return tool(name, { type: 'mcp', endpoint: null, mcp: { server: `default/${server}`, tool: toolName, discovered: false } });
}

/** A scoped AgentPolicy with every limit unset (matches nothing until given targets). */
export function policy(name: string, overrides: Partial<PlanPolicy> = {}): PlanPolicy {
  return globalPolicy(name, { applyMode: 'scoped', ...overrides });
}

export function toolPermission(name: string, toolRef: string, overrides: Partial<PlanToolPermission> = {}): PlanToolPermission {
  return {
    id: { namespace: 'default', name },
    toolRef,
    action: 'invoke',
    requiredPermissions: [],
    matchMode: 'all',
    applyMode: 'global',
    targetAgents: [],
    operationRules: [],
    ...overrides,
  };
}

export interface World {
  tools?: PlanTool[];
  agents?: PlanAgent[];
  policies?: PlanPolicy[];
  roles?: Record<string, string[]>;
  toolPermissions?: PlanToolPermission[];
  task?: string | null;
}

/**
 * A one-system plan (`default/test-system`, task `default/test-task` unless told otherwise).
 * Without `agents`, one agent `worker` offered every tool.
 */
export function world(spec: World = {}): Plan {
  const tools = spec.tools ?? [tool('search')];
  const keyed = Object.fromEntries(tools.map((t) => [`${t.id.namespace}/${t.id.name}`, t]));
  const agents = spec.agents ?? [agent('worker', { tools: Object.keys(keyed) })];
  const task = spec.task === undefined ? 'test-task' : spec.task;
  return planOf(agents, [], {
    tools: keyed,
    task: task === null ? null : { namespace: 'default', name: task, labels: {} },
    governance: {
      policies: spec.policies ?? [],
      roles: Object.fromEntries(Object.entries(spec.roles ?? {}).map(([key, permissions]) => [key, { permissions }])),
      toolPermissions: spec.toolPermissions ?? [],
    },
  });
}

export { agent };

/** A stdio McpServer running the write-file fixture, then `overrides`. */
export function mcpServer(name: string, overrides: Partial<PlanMcpServer> = {}): PlanMcpServer {
  return {
    id: { namespace: 'default', name },
    transport: 'stdio',
    command: 'node',
    args: ['write-file-server.mjs', '/data'],
    env: [],
    endpoint: null,
    auth: null,
    toolFilter: [],
    idleTimeoutMs: 60_000,
    reconnect: { maxAttempts: 1, backoffMs: 0 },
    ...overrides,
  };
}
