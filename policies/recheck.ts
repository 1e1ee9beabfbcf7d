/**
 * The worker's half of the gate: before an orch activity runs, the decision the workflow took
 * is taken again from what the activity carries (agent, model or tool, governance). Missing
 * or different means the call does not run. Pure: the worker's interceptor calls it.
 *
 * A tool is judged by what the activity will actually call: the HTTP endpoint in its tool, or
 * the MCP server it carries and the server-side tool name (the one discovery found), so a
 * call that names one tool and carries another's server or endpoint is judged as the other.
 * The plan it rebuilds holds only that tool; ToolPermissions written for another spelling of
 * the same tool reach it through the identities the compiler put on them (`toolIdentities`,
 * `identityOperationClasses`), which the governance the activity carries keeps, so the worker
 * takes the workflow's decision without the plan's other tools.
 */
import type { GateCheck, ModelCallRequest, ToolCallRequest } from '../contract/activity-io.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';
import type { Plan } from '../contract/plan.ts';
import { evaluateMemoryCall, evaluateModelCall, evaluateToolCall } from './engine.ts';

export type RecheckResult = { allowed: true } | { allowed: false; reason: string };

/** The smallest plan the engine needs to decide one call. */
function planFor(gate: GateCheck, extra: Pick<Plan, 'models' | 'tools'> & Partial<Pick<Plan, 'mcpServers' | 'memories'>>): Plan {
  return {
    schemaVersion: 1,
    hash: '',
    system: { namespace: gate.agentSpec.id.namespace, name: gate.system, labels: {} },
    task: gate.task === null ? null : { namespace: gate.agentSpec.id.namespace, name: gate.task, labels: {} },
    input: null,
    maxTurns: 0,
    retry: { maxAttempts: 1, backoffMs: 0 },
    messageRetry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0, jitter: 'none', nonRetryable: [] },
    agents: { [gate.agent]: gate.agentSpec },
    graph: {},
    entryAgents: [],
    mcpServers: {},
    governance: gate.governance,
    ...extra,
  };
}

export function recheckModelCall(request: ModelCallRequest): RecheckResult {
  const gate = request.gate;
  if (!gate || gate.agent !== request.agent) return { allowed: false, reason: 'the call carries no policy decision from an orch workflow' };
  const key = gate.agentSpec.model;
  const decision = evaluateModelCall(planFor(gate, { models: { [key]: request.model }, tools: {} }), { agent: gate.agent, modelKey: key });
  return decision.verdict === 'allow' ? { allowed: true } : { allowed: false, reason: decision.reason };
}

export function recheckToolCall(request: ToolCallRequest): RecheckResult {
  const gate = request.gate;
  if (!gate || gate.agent !== request.agent || !request.toolKey) {
    return { allowed: false, reason: 'the call carries no policy decision from an orch workflow' };
  }
  const { tool, mcpServer } = request;
  // The server the activity will connect to stands under the key the tool names, so the
  // engine's identity of the tool is that server's (what it runs) and not the plan's.
  const mcpServers = tool?.mcp && mcpServer ? { [tool.mcp.server]: mcpServer } : {};
  const decision = evaluateToolCall(planFor(gate, { models: {}, tools: { [request.toolKey]: tool }, mcpServers }), {
    agent: gate.agent,
    toolKey: request.toolKey,
  });
  if (decision.verdict === 'allow') return { allowed: true };
  if (decision.verdict === 'approval_required' && gate.approval) return { allowed: true };
  return { allowed: false, reason: decision.reason };
}

/** A built-in memory tool call: the grant and rules, taken again with the Memory the activity carries. */
export function recheckMemoryCall(request: MemoryCallRequest): RecheckResult {
  const gate = request.gate;
  const grant = gate?.agentSpec.memory;
  if (!gate || gate.agent !== request.agent || !grant || grant.memory !== request.memoryKey) {
    return { allowed: false, reason: 'the call carries no policy decision from an orch workflow' };
  }
  const decision = evaluateMemoryCall(planFor(gate, { models: {}, tools: {}, memories: { [request.memoryKey]: request.memory } }), {
    agent: gate.agent,
    tool: request.call?.name,
  });
  if (decision.verdict === 'allow') return { allowed: true };
  if (decision.verdict === 'approval_required' && gate.approval) return { allowed: true };
  return { allowed: false, reason: decision.reason };
}
