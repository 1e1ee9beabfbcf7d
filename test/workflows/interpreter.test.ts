import { describe, expect, it } from 'vitest';
import type { McpToolDescription, ModelCallRequest, ModelCallResult, ToolCallRequest } from '../../contract/activity-io.ts';
import type { PlanPolicy, PlanTool } from '../../contract/plan.ts';
import { PlanInterpreter, runPlan, requiredArrivals } from '../../workflows/interpreter.ts';
import { CallFailure, RunFailure } from '../../workflows/run-failure.ts';
import type { Effects } from '../../workflows/effects.ts';
import { agent, globalPolicy, planOf, tool } from '../helpers/plan-builder.ts';

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };

/** Timers for the pure interpreter: real (short) sleeps, and a timeout that rejects like the glue's. */
const timeEffects = {
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5))),
  withTimeout: <T,>(ms: number, fn: () => Promise<T>) =>
    Promise.race([fn(), new Promise<T>((_, reject) => setTimeout(() => reject(new CallFailure('AGENT_TIMEOUT', 'timed out')), ms))]),
};

/** Effects that answer every model call with `<agent> saw: <inbox>` and log each call. */
function recordingEffects(reply?: (request: ModelCallRequest) => Partial<ModelCallResult>) {
  const calls: Array<{ kind: 'model' | 'tool'; agent: string; summary: string; request: ModelCallRequest | ToolCallRequest }> = [];
  const effects: Effects = {
    async callModel(request, options) {
      calls.push({ kind: 'model', agent: request.agent, summary: options.summary, request });
      const first = request.messages[0];
      const text = `${request.agent} saw: ${first?.role === 'user' ? first.content : ''}`;
      return { text, toolCalls: [], finishReason: 'stop', usage, modelId: 'mock-1', ...reply?.(request) };
    },
    async callTool(request, options) {
      calls.push({ kind: 'tool', agent: request.agent, summary: options.summary, request });
      return { output: { echoed: request.call.input }, isError: false, durationMs: 3, truncated: false };
    },
    async listMcpTools() {
      return [];
    },
    awaitApproval: async () => ({ decision: 'approved', decidedBy: 'test', reason: null }),
    awaitBudget: async () => ({ action: 'wrap_up', decidedBy: 'test' }),
    ...timeEffects,
    async delegate(request) {
      // A child run, in-process: the delegate's one activation against the same effects.
      const child = new PlanInterpreter(request.plan, request.task, effects, undefined, { depth: request.depth });
      const { output, activations } = await child.runSingle(request.agent);
      return { output, usage: child.ledger.snapshot(), activations };
    },
  };
  return { effects, calls };
}

const searchTool: PlanTool = tool('search', { description: 'search the web' });

describe('runPlan', () => {
  it('runs a pipeline in order, handing each agent its upstream output labelled by source', async () => {
    const plan = planOf([agent('planner'), agent('research'), agent('writer')], [
      ['planner', 'research'],
      ['research', 'writer'],
    ]);
    const { effects, calls } = recordingEffects();
    const result = await runPlan(plan, plan.input, effects);

    expect(calls.map((c) => c.agent)).toEqual(['planner', 'research', 'writer']);
    const inbox = (i: number) => ((calls[i]!.request as ModelCallRequest).messages[0] as { content: string }).content;
    expect(inbox(0)).toContain('"topic": "testing"');
    expect(inbox(1)).toContain('Output of planner:\nplanner saw:');
    expect(inbox(1)).toContain('"topic": "testing"');
    expect(inbox(2)).toContain('Output of research:\nresearch saw:');
    expect(result.output).toMatch(/^writer saw:/);
    expect(result.usage.total).toEqual({ inputTokens: 30, outputTokens: 15, totalTokens: 45, modelCalls: 3, toolCalls: 0, toolErrors: 0, costUsd: 0 });
    expect(Object.keys(result.usage.byAgent)).toEqual(['planner', 'research', 'writer']);
    expect(calls.every((c) => c.summary.startsWith(c.agent))).toBe(true);
  });

  it('runs the agent loop: model, requested tools, model again, until a text answer', async () => {
    const plan = planOf([agent('research', { tools: ['default/search'] })], [], { tools: { 'default/search': searchTool } });
    const { effects, calls } = recordingEffects((request) =>
      request.step === 1
        ? { text: '', toolCalls: [{ id: 'c1', name: 'search', input: { q: 'temporal' } }], finishReason: 'tool-calls' }
        : {}
    );
    const result = await runPlan(plan, 'go', effects);

    expect(calls.map((c) => `${c.kind}:${c.agent}`)).toEqual(['model:research', 'tool:research', 'model:research']);
    const second = calls[2]!.request as ModelCallRequest;
    expect(second.step).toBe(2);
    expect(second.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(second.messages[2]).toMatchObject({ role: 'tool', toolCallId: 'c1', output: { echoed: { q: 'temporal' } } });
    expect(result.usage.total.toolCalls).toBe(1);
    expect(result.activations[0]).toMatchObject({ agent: 'research', steps: 2, stoppedBy: 'answer' });
  });

  it('stops the loop at maxSteps', async () => {
    const plan = planOf([agent('looper', { tools: ['default/search'], maxSteps: 3 })], [], { tools: { 'default/search': searchTool } });
    const { effects, calls } = recordingEffects(() => ({
      text: 'again',
      toolCalls: [{ id: 'c', name: 'search', input: {} }],
    }));
    const result = await runPlan(plan, 'go', effects);
    expect(calls.filter((c) => c.kind === 'model')).toHaveLength(3);
    expect(result.activations[0]).toMatchObject({ steps: 3, stoppedBy: 'max_steps' });
  });

  it('tells the model about a tool it was not given instead of calling anything', async () => {
    const plan = planOf([agent('solo')], []);
    const { effects, calls } = recordingEffects((request) =>
      request.step === 1 ? { toolCalls: [{ id: 'x', name: 'rm_rf', input: {} }] } : {}
    );
    await runPlan(plan, 'go', effects);
    expect(calls.filter((c) => c.kind === 'tool')).toHaveLength(0);
    const second = calls[1]!.request as ModelCallRequest;
    expect(second.messages[2]).toMatchObject({ role: 'tool', toolName: 'rm_rf', isError: true });
  });

  /** An agent that may call `search`, under `policy`. */
  const searchPlanUnder = (policy: PlanPolicy) =>
    planOf([agent('research', { tools: ['default/search'] })], [], {
      tools: { 'default/search': searchTool },
      governance: { roles: {}, toolPermissions: [], policies: [policy] },
    });

  it('never schedules a tool a policy blocks, and fails the run with POLICY_DENIED', async () => {
    const plan = searchPlanUnder(globalPolicy('no-search', { blockedTools: ['search'] }));
    const { effects, calls } = recordingEffects(() => ({ toolCalls: [{ id: 'c', name: 'search', input: {} }] }));
    const failure = await runPlan(plan, 'go', effects).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunFailure);
    expect(failure).toMatchObject({ code: 'POLICY_DENIED', agent: 'research' });
    expect(calls.filter((c) => c.kind === 'tool')).toHaveLength(0);
  });

  it('on_violation feedback: the model gets a structured denial instead of the run failing', async () => {
    const plan = searchPlanUnder(globalPolicy('no-search', { blockedTools: ['Search'], onViolation: 'feedback' }));
    const { effects, calls } = recordingEffects((r) => (r.step === 1 ? { toolCalls: [{ id: 'c', name: 'search', input: {} }] } : {}));
    const result = await runPlan(plan, 'go', effects);
    expect(calls.filter((c) => c.kind === 'tool')).toHaveLength(0);
    const second = calls[1]!.request as ModelCallRequest;
    expect(second.messages[2]).toMatchObject({
      role: 'tool',
      isError: true,
      output: { error: 'POLICY_DENIED', policy: 'AgentPolicy default/no-search', rule: 'blocked_tools' },
    });
    expect(result.activations[0]).toMatchObject({ steps: 2 });
  });

  it('fans out in parallel and joins with wait_for_all', async () => {
    const plan = planOf([agent('lead'), agent('a'), agent('b'), agent('editor')], [
      ['lead', 'a'],
      ['lead', 'b'],
      ['a', 'editor'],
      ['b', 'editor'],
    ]);
    let inFlight = 0;
    let maxInFlight = 0;
    const { effects, calls } = recordingEffects();
    const slow: Effects = {
      ...effects,
      async callModel(request, options) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return effects.callModel(request, options);
      },
    };
    const result = await runPlan(plan, 'go', slow);
    expect(maxInFlight).toBe(2);
    expect(calls.map((c) => c.agent).filter((a) => a === 'editor')).toHaveLength(1);
    expect(result.activations.at(-1)).toMatchObject({ agent: 'editor', from: ['a', 'b'] });
  });

  it('bounds a cycle by maxTurns and marks where the turn limit ended the branch', async () => {
    const plan = planOf([agent('manager'), agent('research')], [
      ['manager', 'research'],
      ['research', 'manager'],
    ], { maxTurns: 4 });
    const { effects, calls } = recordingEffects();
    const result = await runPlan(plan, 'go', effects);
    expect(calls.map((c) => c.agent)).toEqual(['manager', 'research', 'manager', 'research']);
    expect(result.activations.at(-1)).toMatchObject({ turnLimitReached: true });
  });

  it('follows conditional edges and the default edge', async () => {
    const plan = planOf([agent('critic'), agent('publisher'), agent('fallback')], [
      ['critic', 'publisher', { condition: { outputContains: 'APPROVED' } }],
      ['critic', 'fallback', { condition: { default: true } }],
    ]);
    const approved = recordingEffects((r) => (r.agent === 'critic' ? { text: 'APPROVED' } : {}));
    await runPlan(plan, 'go', approved.effects);
    expect(approved.calls.map((c) => c.agent)).toEqual(['critic', 'publisher']);
    const rejected = recordingEffects((r) => (r.agent === 'critic' ? { text: 'nope' } : {}));
    await runPlan(plan, 'go', rejected.effects);
    expect(rejected.calls.map((c) => c.agent)).toEqual(['critic', 'fallback']);
  });

  it('fails the run naming the agent when an effect fails, keeping usage so far', async () => {
    const plan = planOf([agent('planner'), agent('writer')], [['planner', 'writer']]);
    const { effects } = recordingEffects();
    const failing: Effects = {
      ...effects,
      callModel: (request, options) =>
        request.agent === 'writer' ? Promise.reject(new Error('provider down')) : effects.callModel(request, options),
    };
    const interpreter = new PlanInterpreter(plan, 'go', failing);
    const failure = await interpreter.run().catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'AGENT_FAILED', agent: 'writer' });
    // The planner's call stays on the ledger.
    expect(interpreter.ledger.snapshot().total.modelCalls).toBe(1);
    expect(interpreter.ledger.snapshot().byAgent.planner?.modelCalls).toBe(1);
  });

  it('feeds invalid arguments back to the model without calling the tool; it counts as a step', async () => {
    const schemaTool = { ...searchTool, inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } };
    const plan = planOf([agent('research', { tools: ['default/search'] })], [], { tools: { 'default/search': schemaTool } });
    const { effects, calls } = recordingEffects((request) =>
      request.step === 1 ? { toolCalls: [{ id: 'c1', name: 'search', input: { query: 42 } }] } : {}
    );
    const result = await runPlan(plan, 'go', effects);
    expect(calls.filter((c) => c.kind === 'tool')).toHaveLength(0);
    const second = calls[1]!.request as ModelCallRequest;
    expect(second.messages[2]).toMatchObject({ role: 'tool', isError: true, output: { error: 'INVALID_ARGUMENTS', issues: [{ path: '$.q' }] } });
    expect(result.activations[0]).toMatchObject({ steps: 2 });
    expect(result.usage.total.toolCalls).toBe(0);
  });

  it('reports a tool that failed for good to the model and carries on', async () => {
    const plan = planOf([agent('research', { tools: ['default/search'] })], [], { tools: { 'default/search': searchTool } });
    const { effects, calls } = recordingEffects((request) =>
      request.step === 1 ? { toolCalls: [{ id: 'c1', name: 'search', input: {} }] } : {}
    );
    const failing: Effects = { ...effects, callTool: () => Promise.reject(new CallFailure('TOOL_UNAVAILABLE', 'stub is down')) };
    const result = await runPlan(plan, 'go', failing);
    const second = calls[1]!.request as ModelCallRequest;
    expect(second.messages[2]).toMatchObject({ role: 'tool', isError: true, output: { error: 'TOOL_UNAVAILABLE' } });
    expect(result.usage.total).toMatchObject({ toolCalls: 1, toolErrors: 1 });
  });

  it('discovers an MCP server once per run and tells the model what it found', async () => {
    const mcpTool = (name: string): PlanTool => ({
      ...searchTool,
      id: { namespace: 'default', name: `everything--${name}` },
      name: `everything--${name}`,
      type: 'mcp',
      endpoint: null,
      description: '',
      inputSchema: null,
      mcp: { server: 'default/everything', tool: name, discovered: false },
    });
    const plan = planOf([agent('a', { tools: ['default/everything--echo'] }), agent('b', { tools: ['default/everything--get-sum'] })], [], {
      tools: { 'default/everything--echo': mcpTool('echo'), 'default/everything--get-sum': mcpTool('get-sum') },
      mcpServers: {
        'default/everything': {
          id: { namespace: 'default', name: 'everything' },
          transport: 'stdio',
          command: 'mcp-server-everything',
          args: [],
          env: [],
          endpoint: null,
          auth: null,
          toolFilter: [],
          idleTimeoutMs: 300_000,
          reconnect: { maxAttempts: 3, backoffMs: 2000 },
        },
      },
    });
    const { effects, calls } = recordingEffects();
    let listings = 0;
    const discovering: Effects = {
      ...effects,
      async listMcpTools(): Promise<McpToolDescription[]> {
        listings++;
        return [
          { name: 'echo', description: 'Echoes back the input', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
          { name: 'get_sum', description: 'Adds two numbers', inputSchema: { type: 'object' } },
        ];
      },
    };
    await runPlan(plan, 'go', discovering);
    expect(listings).toBe(1);
    const declared = calls.map((c) => (c.request as ModelCallRequest).tools[0]);
    expect(declared).toEqual([
      { name: 'everything--echo', description: 'Echoes back the input', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
      { name: 'everything--get-sum', description: 'Adds two numbers', inputSchema: { type: 'object' } },
    ]);

    const missing = { ...discovering, listMcpTools: async () => [] };
    await expect(runPlan(plan, 'go', missing)).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND' });
  });

  it('computes Orloj quorum requirements', () => {
    expect(requiredArrivals(null, 3)).toBe(3);
    expect(requiredArrivals({ mode: 'quorum', quorumCount: 2, quorumPercent: 0, onFailure: 'deadletter' }, 3)).toBe(2);
    expect(requiredArrivals({ mode: 'quorum', quorumCount: 0, quorumPercent: 50, onFailure: 'deadletter' }, 3)).toBe(2);
    expect(requiredArrivals({ mode: 'quorum', quorumCount: 0, quorumPercent: 0, onFailure: 'deadletter' }, 3)).toBe(3);
    expect(requiredArrivals({ mode: 'quorum', quorumCount: 9, quorumPercent: 0, onFailure: 'deadletter' }, 3)).toBe(3);
  });
});
