/** Builds Plans in code, for interpreter tests that should not depend on the compiler. */
import type { Plan, PlanAgent, PlanEdge, PlanModel, PlanPolicy, PlanTool } from '../../contract/plan.ts';

export const MOCK_MODEL: PlanModel = {
  id: { namespace: 'default', name: 'mock' },
  provider: 'mock',
  baseUrl: null,
  model: 'mock-1',
  options: {},
  secretRef: null,
  pricing: null,
  rateLimit: null,
  mock: null,
};

export function agent(name: string, overrides: Partial<PlanAgent> = {}): PlanAgent {
  return {
    id: { namespace: 'default', name },
    description: '',
    prompt: `You are ${name}.`,
    model: 'default/mock',
    fallbackModels: [],
    tools: [],
    allowedTools: [],
    roles: [],
    maxSteps: 10,
    timeoutMs: null,
    outputSchema: null,
    toolUseBehavior: 'run_llm_again',
    source: `${name}.yaml:1:1`,
    ...overrides,
  };
}

/** A plan over `agents` with `edges` as [from, to] pairs; entry agents are those with no incoming edge. */
export function planOf(
  agents: PlanAgent[],
  edges: Array<[string, string] | [string, string, Partial<PlanEdge>]>,
  overrides: Partial<Plan> = {}
): Plan {
  const graph: Plan['graph'] = {};
  for (const a of agents) graph[a.id.name] = { edges: [], join: null, delegates: [] };
  for (const [from, to, extra] of edges) graph[from]!.edges.push({ to, condition: null, labels: {}, ...extra, foreach: extra?.foreach ?? null });
  const targets = new Set(edges.map(([, to]) => to));
  const entryAgents = agents.map((a) => a.id.name).filter((name) => !targets.has(name));
  return {
    schemaVersion: 1,
    hash: 'sha256:test',
    system: { namespace: 'default', name: 'test-system', labels: {} },
    task: null,
    input: { topic: 'testing' },
    maxTurns: 0,
    retry: { maxAttempts: 1, backoffMs: 0 },
    messageRetry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 86_400_000, jitter: 'full', nonRetryable: [] },
    agents: Object.fromEntries(agents.map((a) => [a.id.name, a])),
    graph,
    entryAgents: entryAgents.length > 0 ? entryAgents : [agents[0]!.id.name],
    models: { 'default/mock': MOCK_MODEL },
    tools: {},
    mcpServers: {},
    governance: { policies: [], roles: {}, toolPermissions: [] },
    ...overrides,
  };
}

/** A global AgentPolicy with every limit unset, then `overrides`. */
export function globalPolicy(name: string, overrides: Partial<PlanPolicy> = {}): PlanPolicy {
  return {
    id: { namespace: 'default', name },
    applyMode: 'global',
    targetSystems: [],
    targetTasks: [],
    targetAgents: [],
    allowedModels: [],
    blockedTools: [],
    maxTokensPerRun: null,
    maxCostUsdPerRun: null,
    maxToolCallsPerRun: null,
    maxModelCallsPerRun: null,
    onViolation: null,
    onBudgetExhausted: null,
    maxChildDepth: null,
    maxChildTasks: null,
    ...overrides,
  };
}

/** An HTTP tool with Orloj's defaults, then `overrides`. */
export function tool(name: string, overrides: Partial<PlanTool> = {}): PlanTool {
  return {
    id: { namespace: 'default', name },
    name,
    type: 'http',
    endpoint: `http://127.0.0.1:1/${name}`,
    description: name,
    inputSchema: null,
    capabilities: [],
    operationClasses: ['read'],
    riskLevel: 'low',
    timeoutMs: 30_000,
    retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 30_000, jitter: 'none' },
    auth: null,
    mcp: null,
    ...overrides,
  };
}
