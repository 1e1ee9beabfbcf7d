/**
 * Does an activity's request belong to the run that scheduled it? The worker reads the Plan
 * from the run's own start event (what `orch run` or `OrchClient.start` put there; nothing
 * the scheduling code can change afterwards) and requires every part of the request that
 * decides what the activity does (the tool, its MCP server, the model endpoint, the agent
 * and the governance the policy re-check reads) to be that plan's, as orch's workflow builds
 * them. A workflow that merely borrows orch's workflow type name, or any code that schedules
 * orch's activities with a request of its own making, is refused. Pure.
 */
import { canonicalJson } from '../contract/canonical-json.ts';
import { PLAN_SCHEMA_VERSION, sameMcpToolName, type Plan, type PlanAgent } from '../contract/plan.ts';
import { withPlanDefaults } from '../contract/plan-defaults.ts';
import type { GateCheck, McpListRequest, ModelCallRequest, ToolCallRequest } from '../contract/activity-io.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';

export type PlanMatch = { matches: true } | { matches: false; reason: string };

const MATCH: PlanMatch = { matches: true };

function mismatch(reason: string): PlanMatch {
  return { matches: false, reason };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `record[key]` when it is the record's own entry: `__proto__` or `constructor` never name a plan entry. */
function own<T>(record: Record<string, T>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(record, key) ? record[key] : undefined;
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The plan a run was started with, as orch's workflow interprets it (with the defaults an
 * older plan lacks filled in), or null when the start input carries none. `orchRun` takes a
 * RunInput and `orchDelegate` a DelegationRequest: both hold it as `plan`, and a run that
 * continued as new carries it again in its own start event.
 */
export function startedPlan(args: readonly unknown[]): Plan | null {
  const input = args[0];
  if (!isRecord(input) || !isRecord(input.plan)) return null;
  const plan = input.plan;
  if (plan.schemaVersion !== PLAN_SCHEMA_VERSION) return null;
  for (const field of ['system', 'agents', 'graph', 'models', 'tools', 'governance'] as const) if (!isRecord(plan[field])) return null;
  try {
    return withPlanDefaults(plan as unknown as Plan);
  } catch {
    // A malformed plan fails orch's workflow too; here it only means "no plan".
    return null;
  }
}

/** The fields of an agent the workflow blanks in a gate (they are in the request once already). */
const GATE_BLANKED: ReadonlySet<string> = new Set(['prompt', 'description', 'outputSchema']);

function matchGate(gate: GateCheck | undefined, agentName: string, plan: Plan): PlanMatch {
  const agent = own(plan.agents, agentName);
  if (!agent) return mismatch(`agent ${agentName} is not in the run's plan`);
  if (!isRecord(gate)) return mismatch('the call carries no policy decision');
  if (gate.agent !== agentName) return mismatch('the decision it carries is for another agent');
  if (gate.system !== plan.system.name || gate.task !== (plan.task?.name ?? null)) return mismatch("the decision it carries names another system or task than the run's plan");
  if (!same(gate.governance, plan.governance)) return mismatch("the governance it carries is not the run's");
  const spec = gate.agentSpec as Partial<PlanAgent> | undefined;
  if (!isRecord(spec)) return mismatch('the decision it carries has no agent');
  const keys = new Set([...Object.keys(agent), ...Object.keys(spec)]);
  for (const key of keys) {
    if (GATE_BLANKED.has(key)) continue;
    if (!same(agent[key as keyof PlanAgent], spec[key as keyof PlanAgent])) return mismatch(`the agent it carries differs from the plan's agent ${agentName} (${key})`);
  }
  return MATCH;
}

/**
 * A `callTool` request against the plan: the plan's tool under its key (an MCP tool may name
 * the server's own spelling of its tool, as discovery found it), that tool's server, an
 * agent that has the tool, and the plan's gate.
 */
export function matchToolCall(request: ToolCallRequest, plan: Plan): PlanMatch {
  const declared = own(plan.tools, request.toolKey);
  if (!declared) return mismatch(`tool ${String(request.toolKey)} is not in the run's plan`);
  const tool = request.tool;
  if (!isRecord(tool)) return mismatch('the call carries no tool');
  const agent = own(plan.agents, request.agent);
  if (agent && !agent.tools.includes(request.toolKey!)) return mismatch(`agent ${request.agent} does not have tool ${request.toolKey}`);
  if (declared.mcp) {
    // The agent loop calls an MCP tool by the server's own spelling of it (workflows/agent-loop.ts).
    const called = isRecord(tool.mcp) ? tool.mcp.tool : undefined;
    if (typeof called !== 'string' || !sameMcpToolName(called, declared.mcp.tool)) return mismatch(`the MCP tool it calls is not tool ${request.toolKey} of the plan`);
    if (!same(tool, { ...declared, mcp: { ...declared.mcp, tool: called } })) return mismatch(`the tool it carries differs from the plan's tool ${request.toolKey}`);
    const server = own(plan.mcpServers, declared.mcp.server);
    if (!server || !same(request.mcpServer, server)) return mismatch(`the MCP server it carries differs from the plan's server ${declared.mcp.server}`);
  } else {
    if (!same(tool, declared)) return mismatch(`the tool it carries differs from the plan's tool ${request.toolKey}`);
    if (request.mcpServer !== null && request.mcpServer !== undefined) return mismatch(`tool ${request.toolKey} has no MCP server in the plan`);
  }
  return matchGate(request.gate, request.agent, plan);
}

/** A `callModel` request against the plan: one of the agent's models (its own or a fallback), and the plan's gate. */
export function matchModelCall(request: ModelCallRequest, plan: Plan): PlanMatch {
  const agent = own(plan.agents, request.agent);
  if (!agent) return mismatch(`agent ${String(request.agent)} is not in the run's plan`);
  const models = [agent.model, ...agent.fallbackModels].map((key) => own(plan.models, key)).filter((model) => model !== undefined);
  if (!models.some((model) => same(request.model, model))) return mismatch(`the model endpoint it carries is not one of agent ${request.agent}'s in the run's plan`);
  return matchGate(request.gate, request.agent, plan);
}

/** A `listMcpTools` request against the plan: one of its MCP servers. */
export function matchMcpList(request: McpListRequest, plan: Plan): PlanMatch {
  const server = isRecord(request.server) && isRecord(request.server.id) ? request.server : undefined;
  const key = server ? `${String(server.id.namespace)}/${String(server.id.name)}` : undefined;
  const planned = own(plan.mcpServers, key);
  if (!planned || !same(server, planned)) return mismatch("the MCP server it carries is not one of the run's plan");
  return MATCH;
}

/** A `callMemory` request against the plan: the Memory the agent's grant names, a tool the grant lists, and the plan's gate. */
export function matchMemoryCall(request: MemoryCallRequest, plan: Plan): PlanMatch {
  const agent = own(plan.agents, request.agent);
  if (!agent) return mismatch(`agent ${String(request.agent)} is not in the run's plan`);
  const grant = agent.memory;
  if (!grant || grant.memory !== request.memoryKey) return mismatch(`agent ${request.agent} has no memory ${String(request.memoryKey)} in the run's plan`);
  const memory = own(plan.memories ?? {}, request.memoryKey);
  if (!memory || !same(request.memory, memory)) return mismatch(`the memory it carries differs from the plan's memory ${request.memoryKey}`);
  const name = isRecord(request.call) ? request.call.name : undefined;
  if (typeof name !== 'string' || !(grant.tools as readonly string[]).includes(name)) return mismatch(`agent ${request.agent} is not granted memory tool ${String(name)}`);
  return matchGate(request.gate, request.agent, plan);
}
