/**
 * Orloj's execution contract over plain-function effects: the checker on its own, then the
 * agent loop that enforces it (a scripted model, tools that record their calls).
 */
import { describe, expect, it } from 'vitest';
import type { ModelCallRequest, ToolCall, ToolCallRequest } from '../../contract/activity-io.ts';
import type { Plan, PlanExecutionContract } from '../../contract/plan.ts';
import type { Effects } from '../../workflows/effects.ts';
import { inertEffects } from '../helpers/inert-effects.ts';
import { ExecutionContract } from '../../workflows/execution-contract.ts';
import { runPlan } from '../../workflows/interpreter.ts';
import { agent, planOf, tool } from '../helpers/plan-builder.ts';

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };

function contractOf(overrides: Partial<PlanExecutionContract> = {}): PlanExecutionContract {
  return { toolSequence: ['lookup', 'fetch'], requiredOutputMarkers: ['DONE:'], duplicateToolCallPolicy: 'short_circuit', onContractViolation: 'non_retryable_error', ...overrides };
}

describe('ExecutionContract', () => {
  const tools = [
    { name: 'lookup', names: ['default/lookup'] },
    { name: 'fetch', names: [] },
    { name: 'other', names: [] },
  ];

  it('tracks the sequence as a set and is complete once every tool succeeded and one output holds every marker', () => {
    const contract = new ExecutionContract('a', contractOf(), tools);
    expect(contract.remaining()).toEqual(['lookup', 'fetch']);
    contract.recordSuccess('fetch');
    expect(contract.remaining()).toEqual(['lookup']);
    expect(contract.completeWith('DONE: yes')).toBe(false);
    contract.recordSuccess('lookup');
    expect(contract.completeWith('DONE: yes')).toBe(true);
    expect(contract.completeWith('done: yes')).toBe(false);
    expect(contract.completeWith('   ')).toBe(false);
  });

  it('without markers, a blank output completes once the tools are done (as Orloj)', () => {
    const contract = new ExecutionContract('a', contractOf({ toolSequence: ['lookup'], requiredOutputMarkers: [] }), tools);
    expect(contract.completeWith('')).toBe(false);
    contract.recordSuccess('lookup');
    expect(contract.completeWith('')).toBe(true);
  });

  it('a tool outside the sequence is a violation naming the agent, the rule, what was expected and what was done', () => {
    const contract = new ExecutionContract('worker', contractOf(), tools);
    expect(contract.outsideSequence(1, 'lookup')).toBeNull();
    const finding = contract.outsideSequence(2, 'other')!;
    expect(finding).toMatchObject({ kind: 'violation', rule: 'tool_not_in_sequence', step: 2, tool: 'other', actual: 'called other' });
    expect(finding.expected).toContain('"lookup", "fetch"');
    expect(finding.message).toBe('execution contract broken by worker at step 2 (tool_not_in_sequence): expected a tool of tool_sequence ["lookup", "fetch"]; called other');
    // A tool the agent is not offered is not the contract's to judge (TOOL_NOT_DECLARED is).
    expect(contract.outsideSequence(1, 'unknown')).toBeNull();
  });

  it('entries match as policy matches names: folded spellings are the tool, look-alikes are not', () => {
    const cyrillic = 'lооkup'; // two Cyrillic о
    const contract = new ExecutionContract('a', contractOf({ toolSequence: ['Default/LOOKUP', 'fetch'] }), [...tools, { name: cyrillic, names: [] }]);
    expect(contract.outsideSequence(1, 'lookup')).toBeNull();
    const finding = contract.outsideSequence(1, cyrillic)!;
    expect(finding.rule).toBe('tool_not_in_sequence');
    expect(finding.actual).toContain('only looks like Default/LOOKUP');
    contract.recordSuccess(cyrillic);
    expect(contract.remaining()).toEqual(['Default/LOOKUP', 'fetch']);
  });

  it('duplicates: only under deny, only after a success', () => {
    const deny = new ExecutionContract('a', contractOf({ duplicateToolCallPolicy: 'deny' }), tools);
    expect(deny.duplicate(1, 'lookup')).toBeNull();
    deny.recordSuccess('lookup');
    expect(deny.duplicate(2, 'lookup')).toMatchObject({ rule: 'duplicate_tool_call', tool: 'lookup' });
    const shortCircuit = new ExecutionContract('a', contractOf(), tools);
    shortCircuit.recordSuccess('lookup');
    expect(shortCircuit.duplicate(2, 'lookup')).toBeNull();
  });

  it('at max_steps: an unfinished sequence is a violation, markers alone missing a warning', () => {
    const contract = new ExecutionContract('a', contractOf(), tools);
    contract.recordSuccess('lookup');
    expect(contract.atMaxSteps(4, 'DONE:')).toMatchObject({ kind: 'violation', rule: 'tool_sequence_incomplete', expected: '"fetch" before max_steps 4' });
    contract.recordSuccess('fetch');
    expect(contract.atMaxSteps(4, 'nothing')).toMatchObject({ kind: 'warning', rule: 'output_markers_missing' });
    expect(contract.atMaxSteps(4, 'DONE: ok')).toBeNull();
  });

  it('entries no offered tool is are unreachable', () => {
    const contract = new ExecutionContract('a', contractOf({ toolSequence: ['lookup', 'ghost'] }), tools);
    expect(contract.unreachable()).toEqual(['ghost']);
    expect(contract.answeredEarly(1)).toMatchObject({ rule: 'tool_sequence_incomplete', tool: null });
  });
});

type Step = { text?: string; calls?: Array<{ name: string; input?: unknown }> };

/** A model that answers `script[step - 1]` (then 'fallback'); tools echo their call, or fail the first time when `failing` names them. */
function scripted(script: Step[], failing: string[] = []) {
  const failOnce = [...failing];
  const models: ModelCallRequest[] = [];
  const tools: ToolCallRequest[] = [];
  let ids = 0;
  const effects: Effects = {
    async callModel(request) {
      models.push(structuredClone(request));
      const entry = script[request.step - 1] ?? { text: 'fallback' };
      const toolCalls: ToolCall[] = (entry.calls ?? []).map((call) => ({ id: `c${++ids}`, name: call.name, input: (call.input ?? {}) as ToolCall['input'] }));
      return { text: entry.text ?? '', toolCalls, finishReason: toolCalls.length ? 'tool-calls' : 'stop', usage, modelId: 'mock-1' };
    },
    async callTool(request) {
      tools.push(request);
      const isError = failOnce.includes(request.call.name);
      if (isError) failOnce.splice(failOnce.indexOf(request.call.name), 1);
      return { output: { tool: request.call.name, ok: !isError }, isError, durationMs: 1, truncated: false };
    },
    ...inertEffects(),
  };
  return { effects, models, tools };
}

const TOOLS = { 'default/lookup': tool('lookup'), 'default/fetch': tool('fetch'), 'default/other': tool('other') };

function planWith(contract: Partial<PlanExecutionContract> | null, maxSteps = 4): Plan {
  const worker = agent('worker', { tools: Object.keys(TOOLS), maxSteps, ...(contract ? { contract: contractOf(contract) } : {}) });
  return planOf([worker], [], { tools: TOOLS });
}

const run = (plan: Plan, effects: Effects) => runPlan(plan, 'go', effects);

describe('the agent loop under profile contract', () => {
  it('a compliant run: the tools in another order than written, then an answer with the markers', async () => {
    const { effects, models, tools } = scripted([{ calls: [{ name: 'fetch' }] }, { calls: [{ name: 'lookup' }] }, { text: 'DONE: all good' }]);
    const result = await run(planWith({}), effects);
    expect(result.output).toBe('DONE: all good');
    expect(tools.map((t) => t.call.name)).toEqual(['fetch', 'lookup']);
    expect(models).toHaveLength(3);
    expect(result.activations[0]).not.toHaveProperty('contract');
  });

  it('without markers the agent is done right after its last tool succeeded, its output the latest text', async () => {
    const { effects, models } = scripted([{ text: 'looking up', calls: [{ name: 'lookup' }] }, { calls: [{ name: 'fetch' }] }]);
    const result = await run(planWith({ requiredOutputMarkers: [] }), effects);
    expect(models).toHaveLength(2);
    expect(result.output).toBe('looking up');
  });

  it('an answer that lacks a marker is not the end: the model is told and asked again', async () => {
    const { effects, models } = scripted([{ calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'all good' }, { text: 'DONE: all good' }]);
    const result = await run(planWith({}), effects);
    expect(result.output).toBe('DONE: all good');
    expect(models).toHaveLength(3);
    const reminder = models[2]!.messages.at(-1)!;
    expect(reminder).toMatchObject({ role: 'user' });
    expect(reminder.role === 'user' && reminder.content).toContain('"DONE:"');
  });

  it('once the contract is met, the calls the same output asks for are not run', async () => {
    const { effects, tools } = scripted([{ calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'DONE: yes', calls: [{ name: 'other' }] }]);
    const result = await run(planWith({}), effects);
    expect(result.output).toBe('DONE: yes');
    expect(tools.map((t) => t.call.name)).toEqual(['lookup', 'fetch']);
  });

  it('a tool outside the sequence under non_retryable_error ends the run before any call of its turn runs', async () => {
    const { effects, tools } = scripted([{ calls: [{ name: 'lookup' }, { name: 'other' }] }]);
    const failure = await run(planWith({}), effects).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION', agent: 'worker' });
    expect((failure as Error).message).toMatch(/execution contract broken by worker at step 1 \(tool_not_in_sequence\): expected a tool of tool_sequence \["lookup", "fetch"\]; called other/);
    expect(tools).toEqual([]);
  });

  it('observed, the tool outside the sequence runs and the violation is recorded on the activation', async () => {
    const { effects, tools } = scripted([{ calls: [{ name: 'other' }] }, { calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'DONE:' }]);
    const result = await run(planWith({ onContractViolation: 'observe' }), effects);
    expect(tools.map((t) => t.call.name)).toEqual(['other', 'lookup', 'fetch']);
    expect(result.activations[0]!.contract).toEqual([
      { kind: 'violation', rule: 'tool_not_in_sequence', step: 1, tool: 'other', expected: 'a tool of tool_sequence ["lookup", "fetch"]', actual: 'called other' },
    ]);
  });

  it('deny: a second call of a tool that succeeded, with other arguments, ends the run; the tool ran once', async () => {
    const { effects, tools } = scripted([{ calls: [{ name: 'lookup', input: { q: 1 } }] }, { calls: [{ name: 'lookup', input: { q: 2 } }] }]);
    const failure = await run(planWith({ duplicateToolCallPolicy: 'deny' }), effects).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect((failure as Error).message).toContain('(duplicate_tool_call)');
    expect(tools).toHaveLength(1);
  });

  it('deny, in one turn: the repeat waits for the first; a success makes it a duplicate, a failure does not', async () => {
    const twice = [{ name: 'lookup', input: { q: 1 } }, { name: 'lookup', input: { q: 1 } }];
    const ok = scripted([{ calls: twice }]);
    await expect(run(planWith({ duplicateToolCallPolicy: 'deny' }), ok.effects)).rejects.toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect(ok.tools).toHaveLength(1);
    const failing = scripted([{ calls: twice }, { calls: [{ name: 'fetch' }] }, { text: 'DONE:' }], ['lookup']);
    const result = await run(planWith({ duplicateToolCallPolicy: 'deny' }), failing.effects);
    expect(result.output).toBe('DONE:');
    expect(failing.tools.map((t) => t.call.name)).toEqual(['lookup', 'lookup', 'fetch']);
  });

  it('deny, observed: the duplicate is refused (CONTRACT_VIOLATION told to the model), never run, and recorded', async () => {
    const { effects, tools, models } = scripted([{ calls: [{ name: 'lookup' }] }, { calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'DONE:' }]);
    const result = await run(planWith({ duplicateToolCallPolicy: 'deny', onContractViolation: 'observe' }), effects);
    expect(result.output).toBe('DONE:');
    expect(tools.map((t) => t.call.name)).toEqual(['lookup', 'fetch']);
    const told = models[2]!.messages.filter((m) => m.role === 'tool' && m.isError);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ toolName: 'lookup', output: { error: 'CONTRACT_VIOLATION', rule: 'duplicate_tool_call' } });
    expect(result.activations[0]!.contract?.map((e) => e.rule)).toEqual(['duplicate_tool_call']);
  });

  it('short_circuit under the contract: an identical repeat gets the recorded result and is no violation', async () => {
    const { effects, tools } = scripted([{ calls: [{ name: 'lookup' }] }, { calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'DONE:' }]);
    const result = await run(planWith({}), effects);
    expect(tools.map((t) => t.call.name)).toEqual(['lookup', 'fetch']);
    expect(result.activations[0]).not.toHaveProperty('contract');
  });

  it('a tool that failed does not count: the sequence is unfinished at max_steps, a violation', async () => {
    const { effects } = scripted([{ calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: 'DONE:' }, { text: 'DONE:' }], ['fetch']);
    const failure = await run(planWith({}, 3), effects).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect((failure as Error).message).toContain('(tool_sequence_incomplete): expected "fetch" before max_steps 3; max_steps reached first');
  });

  it('observed, an unfinished sequence at max_steps is recorded and the agent ends as max_steps', async () => {
    const { effects } = scripted([{ calls: [{ name: 'lookup' }] }, { text: 'DONE:' }]);
    const result = await run(planWith({ onContractViolation: 'observe' }, 2), effects);
    expect(result.activations[0]).toMatchObject({ stoppedBy: 'max_steps', contract: [{ kind: 'violation', rule: 'tool_sequence_incomplete', step: 2 }] });
  });

  it('markers only inside a tool argument, or split across outputs, are not met: a warning at max_steps, not a failure', async () => {
    const { effects, models } = scripted([
      { text: 'DO', calls: [{ name: 'lookup', input: { note: 'DONE:' } }, { name: 'fetch', input: { note: 'DONE:' } }] },
      { text: 'NE:' },
      { text: 'D' },
      { text: 'ONE:' },
    ]);
    const result = await run(planWith({ onContractViolation: 'non_retryable_error' }), effects);
    expect(models).toHaveLength(4);
    expect(result.activations[0]).toMatchObject({ stoppedBy: 'max_steps', contract: [{ kind: 'warning', rule: 'output_markers_missing', expected: 'output containing "DONE:"' }] });
  });

  it('a huge output: the marker at its very end is found; a violation message stays small', async () => {
    const huge = `${'x'.repeat(2_000_000)}DONE:`;
    const met = scripted([{ calls: [{ name: 'lookup' }, { name: 'fetch' }] }, { text: huge }]);
    expect((await run(planWith({}), met.effects)).activations[0]!.steps).toBe(2);
    const missed = scripted([{ text: 'x'.repeat(2_000_000), calls: [{ name: 'other' }] }]);
    const failure = (await run(planWith({}), missed.effects).catch((error: unknown) => error)) as Error;
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect(failure.message.length).toBeLessThan(300);
  });

  it('an entry the agent is offered no tool for: answering is a violation at once', async () => {
    const { effects, models } = scripted([{ text: 'DONE: nothing to do' }]);
    const failure = await run(planWith({ toolSequence: ['lookup', 'ghost'] }), effects).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect((failure as Error).message).toContain('(tool_sequence_incomplete): expected "ghost" before completion');
    expect(models).toHaveLength(1);
  });

  it('a look-alike of a sequence tool is not it: calling it is a violation that says so', async () => {
    const cyrillic = 'lооkup';
    const plan = planOf([agent('worker', { tools: ['default/lookup', 'default/spoof'], contract: contractOf({ toolSequence: ['lookup'] }) })], [], {
      tools: { 'default/lookup': tool('lookup'), 'default/spoof': tool('spoof', { name: cyrillic }) },
    });
    const { effects, tools } = scripted([{ calls: [{ name: cyrillic }] }]);
    const failure = (await run(plan, effects).catch((error: unknown) => error)) as Error;
    expect(failure).toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect(failure.message).toContain(`called ${cyrillic}, which only looks like lookup`);
    expect(tools).toEqual([]);
  });

  it('a sequence entry written as the Tool resource, qualified or in another case, is that tool', async () => {
    const { effects } = scripted([{ calls: [{ name: 'lookup' }] }, { text: 'DONE:' }]);
    const result = await run(planWith({ toolSequence: ['Default/LOOKUP'] }), effects);
    expect(result.output).toBe('DONE:');
  });

  it('without a contract, the agent answers at once as before', async () => {
    const { effects, models } = scripted([{ calls: [{ name: 'other' }] }, { text: 'no markers' }]);
    const result = await run(planWith(null), effects);
    expect(result.output).toBe('no markers');
    expect(models).toHaveLength(2);
  });
});
