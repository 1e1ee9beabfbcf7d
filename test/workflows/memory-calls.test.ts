/**
 * The agent loop with the built-in memory tools, over plain-function effects: offered with
 * their schemas only when granted, invalid arguments and refused calls never reach callMemory,
 * and each call counts as a tool call for budgets.
 */
import { describe, expect, it } from 'vitest';
import type { ModelCallRequest, ToolCall } from '../../contract/activity-io.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { Plan, PlanMemory } from '../../contract/plan.ts';
import type { Effects } from '../../workflows/effects.ts';
import { inertEffects } from '../helpers/inert-effects.ts';
import { runPlan } from '../../workflows/interpreter.ts';
import { CallFailure } from '../../workflows/run-failure.ts';
import { agent, globalPolicy, planOf } from '../helpers/plan-builder.ts';

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
const store: PlanMemory = { id: { namespace: 'default', name: 'notes' }, type: 'keyword', provider: 'in-memory', embeddingModel: null, maxEntries: 10, maxBytes: 1000 };

/** A model that asks for `script[step - 1]` and then answers; memory calls are recorded and succeed. */
function scripted(script: ToolCall[][]) {
  const models: ModelCallRequest[] = [];
  const memory: MemoryCallRequest[] = [];
  const effects: Effects = {
    async callModel(request) {
      models.push(request);
      const toolCalls = script[request.step - 1] ?? [];
      return { text: toolCalls.length ? '' : 'done', toolCalls, finishReason: toolCalls.length ? 'tool-calls' : 'stop', usage, modelId: 'mock-1' };
    },
    async callTool() {
      throw new CallFailure('TOOL_NOT_FOUND', 'no plan tools here');
    },
    async callMemory(request) {
      memory.push(request);
      return { output: { status: 'ok', key: 'k' }, isError: false, durationMs: 1, truncated: false };
    },
    ...inertEffects(),
  };
  return { effects, models, memory };
}

function planWith(overrides: Partial<Plan> = {}): Plan {
  return planOf([agent('scribe', { memory: { memory: 'default/notes', tools: ['memory.write', 'memory.read'] } })], [], { memories: { 'default/notes': store }, ...overrides });
}

const write = (id: string, input: unknown): ToolCall => ({ id, name: 'memory.write', input: input as ToolCall['input'] });

describe('memory tools in the agent loop', () => {
  it('are offered with their schemas and run as callMemory with the plan\'s Memory and the gate', async () => {
    const { effects, models, memory } = scripted([[write('c1', { key: 'k', value: 'v' })]]);
    const result = await runPlan(planWith(), 'go', effects);
    expect(models[0]!.tools.map((t) => t.name)).toEqual(['memory.write', 'memory.read']);
    expect(models[0]!.tools[0]!.inputSchema).toMatchObject({ required: ['key'] });
    expect(memory).toHaveLength(1);
    expect(memory[0]).toMatchObject({ agent: 'scribe', memoryKey: 'default/notes', memory: store, call: { name: 'memory.write' }, gate: { agent: 'scribe' } });
    expect(models[1]!.messages.at(-1)).toMatchObject({ role: 'tool', toolName: 'memory.write', output: { status: 'ok', key: 'k' }, isError: false });
    expect(result.usage.total).toMatchObject({ toolCalls: 1, toolErrors: 0 });
  });

  it('invalid arguments and ungranted tools are refused before anything runs', async () => {
    const { effects, models, memory } = scripted([[write('c1', { key: 42 }), { id: 'c2', name: 'memory.list', input: {} }]]);
    await runPlan(planWith(), 'go', effects);
    expect(memory).toEqual([]);
    const [invalid, undeclared] = models[1]!.messages.slice(-2) as unknown as Array<{ output: { error: string } }>;
    expect(invalid!.output.error).toBe('INVALID_ARGUMENTS');
    expect(undeclared!.output.error).toBe('TOOL_NOT_DECLARED');
  });

  it('a blocked memory.write under on_violation feedback is told to the model, not run', async () => {
    const policy = globalPolicy('no-writes', { blockedTools: ['memory.write'], onViolation: 'feedback' });
    const { effects, models, memory } = scripted([[write('c1', { key: 'k', value: 'v' })]]);
    await runPlan(planWith({ governance: { policies: [policy], roles: {}, toolPermissions: [] } }), 'go', effects);
    expect(memory).toEqual([]);
    expect(models[1]!.messages.at(-1)).toMatchObject({ isError: true, output: { error: 'POLICY_DENIED', rule: 'blocked_tools' } });
  });

  it('count as tool calls: past max_tool_calls_per_run the run fails with BUDGET_EXCEEDED', async () => {
    const policy = globalPolicy('one-call', { maxToolCallsPerRun: 1 });
    const { effects, memory } = scripted([[write('c1', { key: 'a', value: '1' })], [write('c2', { key: 'b', value: '2' })]]);
    await expect(runPlan(planWith({ governance: { policies: [policy], roles: {}, toolPermissions: [] } }), 'go', effects)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(memory).toHaveLength(1);
  });

  it('an embedding model\'s tokens (a memory call\'s usage) are the run\'s: counted, priced, and against max_tokens_per_run', async () => {
    const embedding = { inputTokens: 40, outputTokens: 0, totalTokens: 40 };
    const priced: PlanMemory = { ...store, provider: 'pgvector', embedding: { ...planOf([agent('x')], []).models['default/mock']!, pricing: { inputPerMillion: 1_000_000, outputPerMillion: 0 } } };
    const embedded = (plan: Plan) => {
      const run = scripted([[write('c1', { key: 'a', value: '1' })], [write('c2', { key: 'b', value: '2' })]]);
      run.effects.callMemory = async (request) => {
        run.memory.push(request);
        return { output: { status: 'ok', key: 'k' }, isError: false, durationMs: 1, truncated: false, usage: embedding };
      };
      return { ...run, result: runPlan(plan, 'go', run.effects) };
    };
    const counted = embedded(planWith({ memories: { 'default/notes': priced } }));
    const result = await counted.result;
    expect(result.usage.total).toMatchObject({ modelCalls: 3, toolCalls: 2, inputTokens: 3 * 10 + 2 * 40, totalTokens: 3 * 15 + 2 * 40 });
    expect(result.usage.total.costUsd).toBeCloseTo(2 * 40, 6);
    // 15 + 15 + 40 (first call) = 70 tokens before the third model call: past a budget of 60, the run stops.
    const policy = globalPolicy('tokens', { maxTokensPerRun: 60 });
    const capped = embedded(planWith({ memories: { 'default/notes': priced }, governance: { policies: [policy], roles: {}, toolPermissions: [] } }));
    await expect(capped.result).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(capped.memory.length).toBeLessThan(2);
  });

  it('an agent without a grant is offered none', async () => {
    const { effects, models } = scripted([]);
    await runPlan(planOf([agent('plain')], [], { memories: { 'default/notes': store } }), 'go', effects);
    expect(models[0]!.tools).toEqual([]);
  });
});
