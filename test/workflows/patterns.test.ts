/**
 * The interpreter's graph semantics with fake effects: joins (quorum, on_failure), dead
 * paths, loops through back edges, activation retries and timeouts, foreach, delegation,
 * and stopping at a quiet point to continue as new.
 */
import { describe, expect, it } from 'vitest';
import type { ModelCallRequest, ModelCallResult } from '../../contract/activity-io.ts';
import type { PlanEdge, PlanJoin } from '../../contract/plan.ts';
import { CheckpointReached, PlanInterpreter, runPlan } from '../../workflows/interpreter.ts';
import { CallFailure, RunFailure } from '../../workflows/run-failure.ts';
import type { Effects } from '../../workflows/effects.ts';
import { agent, planOf, globalPolicy, tool } from '../helpers/plan-builder.ts';

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
type Reply = (request: ModelCallRequest) => Partial<ModelCallResult> | Promise<Partial<ModelCallResult>>;

function inboxOf(request: ModelCallRequest): string {
  const first = request.messages[0];
  return first?.role === 'user' ? first.content : '';
}

/** Effects whose model answers `<agent>#<activation>` unless `reply` says otherwise; a log of calls in order. */
function fake(reply: Reply = () => ({}), extra: Partial<Effects> = {}) {
  const calls: ModelCallRequest[] = [];
  const effects: Effects = {
    async callModel(request) {
      calls.push(request);
      return { text: `${request.agent}#${request.activation}`, toolCalls: [], finishReason: 'stop', usage, modelId: 'm', ...(await reply(request)) };
    },
    async callTool() {
      return { output: 'tool', isError: false, durationMs: 1, truncated: false };
    },
    async listMcpTools() {
      return [];
    },
    awaitApproval: async () => ({ decision: 'approved', decidedBy: 'test', reason: null }),
    awaitBudget: async () => ({ action: 'wrap_up', decidedBy: 'test' }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))),
    withTimeout: (ms, fn) =>
      Promise.race([fn(), new Promise<never>((_, reject) => setTimeout(() => reject(new CallFailure('AGENT_TIMEOUT', 'timed out')), ms))]),
    async delegate(request) {
      const child = new PlanInterpreter(request.plan, request.task, effects, undefined, {
        depth: request.depth,
        ...(request.spentOutside ? { spentOutside: request.spentOutside } : {}),
        ...(request.share ? { share: request.share } : {}),
      });
      const { output, activations } = await child.runSingle(request.agent);
      return { output, usage: child.ledger.snapshot(), activations };
    },
    ...extra,
  };
  return { effects, calls, order: () => calls.map((c) => c.agent) };
}

const join = (j: Partial<PlanJoin>): PlanJoin => ({ mode: 'wait_for_all', quorumCount: 0, quorumPercent: 0, onFailure: 'deadletter', ...j });
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function diamond(joinRule: PlanJoin | null, extraEdges: Array<[string, string]> = []) {
  const plan = planOf([agent('a'), agent('b'), agent('c'), agent('slow'), agent('d')], [
    ['a', 'b'],
    ['a', 'c'],
    ['a', 'slow'],
    ['b', 'd'],
    ['c', 'd'],
    ['slow', 'd'],
    ...extraEdges,
  ]);
  plan.graph.d!.join = joinRule;
  return plan;
}

describe('joins', () => {
  it('quorum fires once enough arrived; the slow branch is recorded late and does not re-trigger', async () => {
    const plan = diamond(join({ mode: 'quorum', quorumCount: 2 }));
    const events: string[] = [];
    const { effects, order } = fake(async (r) => {
      events.push(`${r.agent}:start`);
      if (r.agent === 'slow') {
        await delay(40);
        events.push('slow:done');
      }
      return {};
    });
    const result = await runPlan(plan, 'go', effects);
    expect(order().filter((a) => a === 'd')).toHaveLength(1);
    expect(events.indexOf('d:start')).toBeLessThan(events.indexOf('slow:done'));
    expect(result.activations.find((a) => a.agent === 'd')!.from.sort()).toEqual(['b', 'c']);
    expect(result.lateArrivals).toEqual([{ agent: 'd', from: 'slow', outcome: 'arrived' }]);
  });

  it('wait_for_all waits for every branch', async () => {
    const plan = diamond(null);
    const { effects } = fake(async (r) => (r.agent === 'slow' ? (await delay(20), {}) : {}));
    const result = await runPlan(plan, 'go', effects);
    expect(result.activations.at(-1)).toMatchObject({ agent: 'd', from: ['b', 'c', 'slow'] });
  });

  const failingSlow = (): Reply => (r) => (r.agent === 'slow' ? Promise.reject(new CallFailure('MODEL_UNAVAILABLE', 'down')) : {});

  it('on_failure deadletter (default): a failed branch fails the run, naming it', async () => {
    const { effects } = fake(failingSlow());
    await expect(runPlan(diamond(null), 'go', effects)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', agent: 'slow' });
  });

  it('on_failure skip: the join runs without the failed branch, not marked partial', async () => {
    const { effects, calls } = fake(failingSlow());
    const result = await runPlan(diamond(join({ onFailure: 'skip' })), 'go', effects);
    const d = result.activations.find((a) => a.agent === 'd')!;
    expect(d.from.sort()).toEqual(['b', 'c']);
    expect(d.partialFrom).toBeUndefined();
    expect(inboxOf(calls.find((c) => c.agent === 'd')!)).not.toContain('Partial input');
  });

  it('on_failure continue_partial: the join runs with what arrived, marked partial, and the agent is told', async () => {
    const { effects, calls } = fake(failingSlow());
    const result = await runPlan(diamond(join({ onFailure: 'continue_partial' })), 'go', effects);
    expect(result.activations.find((a) => a.agent === 'd')).toMatchObject({ partialFrom: ['slow'] });
    expect(inboxOf(calls.find((c) => c.agent === 'd')!)).toContain('Partial input: slow failed');
  });

  it('a policy denial fails closed even where on_failure would tolerate a failure', async () => {
    const { effects } = fake((r) => (r.agent === 'slow' ? Promise.reject(new RunFailure('POLICY_DENIED', 'blocked', 'slow')) : {}));
    await expect(runPlan(diamond(join({ onFailure: 'skip' })), 'go', effects)).rejects.toMatchObject({ code: 'POLICY_DENIED' });
  });

  it('a branch nobody takes does not hold up the join (dead path)', async () => {
    const plan = planOf([agent('a'), agent('b'), agent('c'), agent('d')], [
      ['a', 'b', { condition: { outputContains: 'B' } }],
      ['a', 'c', { condition: { outputContains: 'C' } }],
      ['b', 'd'],
      ['c', 'd'],
    ]);
    const { effects, order } = fake((r) => (r.agent === 'a' ? { text: 'go B' } : {}));
    const result = await runPlan(plan, 'go', effects);
    expect(order()).toEqual(['a', 'b', 'd']);
    expect(result.activations.at(-1)).toMatchObject({ agent: 'd', from: ['b'] });
  });
});

describe('loops', () => {
  it('a conditional loop revises twice, then exits through the other edge', async () => {
    const plan = planOf([agent('writer'), agent('critic'), agent('publisher')], [
      ['writer', 'critic'],
      ['critic', 'writer', { condition: { outputContains: 'REVISION_NEEDED' } }],
      ['critic', 'publisher', { condition: { outputContains: 'APPROVED' } }],
    ]);
    const { effects, order } = fake((r) => (r.agent === 'critic' ? { text: r.activation < 3 ? 'REVISION_NEEDED' : 'APPROVED' } : {}));
    const result = await runPlan(plan, 'go', effects);
    expect(order()).toEqual(['writer', 'critic', 'writer', 'critic', 'writer', 'critic', 'publisher']);
    expect(result.output).toBe('publisher#1');
    expect(result.turnLimitReached).toBe(false);
  });

  it('a node with a forward and a back predecessor starts from the first and loops on the second', async () => {
    const plan = planOf([agent('planner'), agent('writer'), agent('critic')], [
      ['planner', 'writer'],
      ['writer', 'critic'],
      ['critic', 'writer', { condition: { outputContains: 'AGAIN' } }],
    ]);
    const { effects, order } = fake((r) => (r.agent === 'critic' && r.activation === 1 ? { text: 'AGAIN' } : {}));
    await runPlan(plan, 'go', effects);
    expect(order()).toEqual(['planner', 'writer', 'critic', 'writer', 'critic']);
  });

  it('a cycle bounded by maxTurns ends its branch successfully at the bound', async () => {
    const plan = planOf([agent('coordinator'), agent('alpha'), agent('beta')], [
      ['coordinator', 'alpha'],
      ['coordinator', 'beta'],
      ['alpha', 'coordinator'],
      ['beta', 'coordinator'],
    ], { maxTurns: 5 });
    const { effects, order } = fake();
    const result = await runPlan(plan, 'go', effects);
    // Turns: coordinator 1, scouts 2, coordinator 3 (joins both scouts), scouts 4, coordinator 5 = bound.
    expect(order().filter((a) => a === 'coordinator')).toHaveLength(3);
    expect(order().filter((a) => a === 'alpha')).toHaveLength(2);
    expect(result.activations.filter((a) => a.agent === 'coordinator').map((a) => a.from.length)).toEqual([0, 2, 2]);
    expect(result.turnLimitReached).toBe(true);
  });
});

describe('activation failures', () => {
  it('retries a failed activation per messageRetry, then succeeds', async () => {
    const plan = planOf([agent('flaky')], [], { messageRetry: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 10, jitter: 'none', nonRetryable: [] } });
    let failures = 0;
    const { effects } = fake(() => (failures++ < 2 ? Promise.reject(new CallFailure('MODEL_UNAVAILABLE', 'down')) : {}));
    const result = await runPlan(plan, 'go', effects);
    expect(result.activations[0]).toMatchObject({ agent: 'flaky', attempts: 3 });
  });

  it('does not retry a non-retryable failure', async () => {
    const plan = planOf([agent('locked')], [], { messageRetry: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 10, jitter: 'none', nonRetryable: [] } });
    let calls = 0;
    const { effects } = fake(() => (calls++, Promise.reject(new CallFailure('MODEL_AUTH_FAILED', 'bad key', { nonRetryable: true }))));
    await expect(runPlan(plan, 'go', effects)).rejects.toMatchObject({ code: 'MODEL_AUTH_FAILED', deadLettered: false });
    expect(calls).toBe(1);
  });

  it('limits.timeout bounds the activation; spent retries dead-letter the run, naming agent and cause', async () => {
    const plan = planOf([agent('sluggish', { timeoutMs: 5 })], [], { messageRetry: { maxAttempts: 2, backoffMs: 1, maxBackoffMs: 10, jitter: 'none', nonRetryable: [] } });
    const { effects, calls } = fake(async () => (await delay(50), {}));
    await expect(runPlan(plan, 'go', effects)).rejects.toMatchObject({ code: 'AGENT_TIMEOUT', agent: 'sluggish', deadLettered: true });
    expect(calls).toHaveLength(2);
  });
});

describe('dynamic fan-out and delegation', () => {
  it('foreach runs one activation per element and hands the outputs on in element order', async () => {
    const plan = planOf([agent('splitter'), agent('worker'), agent('merger')], [
      ['splitter', 'worker', { foreach: '$.items' } as Partial<PlanEdge>],
      ['worker', 'merger'],
    ]);
    const { effects, calls } = fake(async (r) => {
      if (r.agent === 'splitter') return { text: JSON.stringify({ items: ['a', 'b', 'c', 'd', 'e'] }) };
      if (r.agent === 'worker') {
        const element = inboxOf(r).split('\n').at(-1)!;
        await delay(element === 'a' ? 20 : 1); // the first finishes last: order must still hold
        return { text: `did ${element}` };
      }
      return {};
    });
    const result = await runPlan(plan, 'go', effects);
    expect(calls.filter((c) => c.agent === 'worker')).toHaveLength(5);
    expect(inboxOf(calls.find((c) => c.agent === 'worker')!)).toContain('(item 1 of 5)');
    const merger = calls.find((c) => c.agent === 'merger')!;
    expect(inboxOf(merger)).toContain(JSON.stringify(['did a', 'did b', 'did c', 'did d', 'did e'], null, 2));
    expect(result.output).toBe('merger#1');
  });

  it('a supervisor delegates to two agents at once and gets both answers as tool results', async () => {
    const plan = planOf([agent('supervisor'), agent('researcher'), agent('analyst')], []);
    plan.graph.supervisor!.delegates = ['researcher', 'analyst'];
    plan.entryAgents = ['supervisor'];
    let inFlight = 0;
    let overlap = 0;
    const { effects, calls } = fake(async (r) => {
      if (r.agent === 'supervisor' && r.step === 1) {
        return {
          toolCalls: [
            { id: 't1', name: 'delegate--researcher', input: { task: 'find facts' } },
            { id: 't2', name: 'delegate--analyst', input: { task: 'weigh them' } },
          ],
        };
      }
      if (r.agent !== 'supervisor') {
        inFlight++;
        overlap = Math.max(overlap, inFlight);
        await delay(10);
        inFlight--;
      }
      return {};
    });
    const result = await runPlan(plan, 'go', effects);
    expect(overlap).toBe(2);
    expect(calls.find((c) => c.agent === 'supervisor')!.tools.map((t) => t.name)).toEqual(['delegate--researcher', 'delegate--analyst']);
    expect(inboxOf(calls.find((c) => c.agent === 'researcher')!)).toContain('find facts');
    const second = calls.filter((c) => c.agent === 'supervisor')[1]!;
    expect(second.messages.slice(2)).toMatchObject([
      { role: 'tool', toolName: 'delegate--researcher', output: 'researcher#1' },
      { role: 'tool', toolName: 'delegate--analyst', output: 'analyst#1' },
    ]);
    expect(Object.keys(result.usage.byAgent).sort()).toEqual(['analyst', 'researcher', 'supervisor']);
    expect(result.usage.total.modelCalls).toBe(4);
  });

  it('a delegation that failed still adds what its child run used to the ledger', async () => {
    const plan = planOf([agent('supervisor'), agent('researcher')], []);
    plan.graph.supervisor!.delegates = ['researcher'];
    plan.entryAgents = ['supervisor'];
    const childUsage = { total: { inputTokens: 70, outputTokens: 30, totalTokens: 100, modelCalls: 2, toolCalls: 0, toolErrors: 0, costUsd: 0 }, byAgent: {} };
    childUsage.byAgent = { researcher: { ...childUsage.total } };
    const { effects, calls } = fake((r) => (r.step === 1 ? { toolCalls: [{ id: 't', name: 'delegate--researcher', input: { task: 'x' } }] } : {}), {
      delegate: async () => {
        throw new CallFailure('MODEL_UNAVAILABLE', 'the child gave up', { childUsage });
      },
    });
    const result = await runPlan(plan, 'go', effects);
    expect(calls[1]!.messages[2]).toMatchObject({ role: 'tool', isError: true, output: { error: 'MODEL_UNAVAILABLE' } });
    expect(result.usage.total).toMatchObject({ modelCalls: 4, totalTokens: 104 });
    expect(result.usage.byAgent.researcher).toMatchObject({ modelCalls: 2, totalTokens: 100 });
  });

  it("a delegate's budget counts what the rest of the run spent", async () => {
    const plan = planOf([agent('supervisor'), agent('researcher')], []);
    plan.graph.supervisor!.delegates = ['researcher'];
    plan.entryAgents = ['supervisor'];
    plan.governance.policies.push(globalPolicy('thousand', { maxTokensPerRun: 1000 }));
    const { effects, calls } = fake((r) =>
      r.agent === 'supervisor' && r.step === 1
        ? { toolCalls: [{ id: 't', name: 'delegate--researcher', input: { task: 'x' } }], usage: { inputTokens: 700, outputTokens: 100, totalTokens: 800 } }
        : r.agent === 'researcher'
          ? { toolCalls: [{ id: `r${r.step}`, name: 'more', input: {} }], usage: { inputTokens: 150, outputTokens: 50, totalTokens: 200 } }
          : {}
    );
    const failure = await runPlan(plan, 'go', effects).catch((e: unknown) => e);
    const researcher = calls.filter((c) => c.agent === 'researcher');
    // 800 spent by the supervisor: the delegate may use at most what is left of the 1000.
    expect(researcher[0]!.maxOutputTokens).toBeLessThan(200);
    expect(researcher).toHaveLength(1);
    expect(failure).toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it("a denial inside a delegate's run ends the whole run, naming the delegate", async () => {
    const plan = planOf([agent('supervisor'), agent('researcher')], []);
    plan.graph.supervisor!.delegates = ['researcher'];
    plan.entryAgents = ['supervisor'];
    const { effects, calls } = fake((r) => (r.step === 1 ? { toolCalls: [{ id: 't', name: 'delegate--researcher', input: { task: 'x' } }] } : {}), {
      delegate: async () => {
        throw new CallFailure('POLICY_DENIED', 'delegate researcher: tool blocked');
      },
    });
    const failure = await runPlan(plan, 'go', effects).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'POLICY_DENIED', agent: 'researcher' });
    expect(calls.filter((c) => c.agent === 'supervisor')).toHaveLength(1);
  });

  it('refuses a delegation beyond the policy bound, telling the supervisor', async () => {
    const plan = planOf([agent('supervisor'), agent('researcher')], []);
    plan.graph.supervisor!.delegates = ['researcher'];
    plan.entryAgents = ['supervisor'];
    plan.governance.policies.push(globalPolicy('no-children', { maxChildDepth: 0 }));
    const { effects, order, calls } = fake((r) => (r.agent === 'supervisor' && r.step === 1 ? { toolCalls: [{ id: 't', name: 'delegate--researcher', input: { task: 'x' } }] } : {}));
    await runPlan(plan, 'go', effects);
    expect(order()).toEqual(['supervisor', 'supervisor']);
    expect(calls[1]!.messages[2]).toMatchObject({ role: 'tool', isError: true, output: { error: 'DELEGATION_LIMIT' } });
  });
});

describe('delegations pass the policy gate', () => {
  it.each([['delegate--researcher'], ['researcher']])('blocked_tools naming %s fails the run POLICY_DENIED before the child starts', async (entry) => {
    const plan = planOf([agent('supervisor'), agent('researcher')], []);
    plan.graph.supervisor!.delegates = ['researcher'];
    plan.entryAgents = ['supervisor'];
    plan.governance.policies.push(globalPolicy('no-research', { blockedTools: [entry] }));
    let delegated = 0;
    const { effects, order } = fake(
      (r) => (r.agent === 'supervisor' && r.step === 1 ? { toolCalls: [{ id: 't', name: 'delegate--researcher', input: { task: 'x' } }] } : {}),
      { delegate: async () => { delegated++; throw new Error('must not delegate'); } }
    );
    const failure = await runPlan(plan, 'go', effects).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'POLICY_DENIED', agent: 'supervisor' });
    expect(delegated).toBe(0);
    expect(order()).toEqual(['supervisor']);
  });
});

describe('budgets', () => {
  it('a model spending 300 tokens a call against 1000 per run stops after 3 calls with BUDGET_EXCEEDED', async () => {
    const plan = planOf([agent('spender', { tools: [] })], [], {});
    plan.governance.policies.push(globalPolicy('thousand', { maxTokensPerRun: 1000 }));
    plan.agents.spender!.tools = [];
    const { effects, calls } = fake((r) => ({
      // Keeps asking for an undeclared tool, so the loop goes on until the budget stops it.
      toolCalls: [{ id: `c${r.step}`, name: 'more', input: {} }],
      usage: { inputTokens: 250, outputTokens: 50, totalTokens: 300 },
    }));
    const failure = await runPlan(plan, 'go', effects).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'BUDGET_EXCEEDED', agent: 'spender', deadLettered: false });
    // Each call reserves its input bound (the last reported input plus what the conversation
    // gained since) and the output it is given: the third no longer fits in the 400 left.
    expect(calls).toHaveLength(2);
    expect(calls[0]!.maxOutputTokens).toBeLessThanOrEqual(1000);
    expect(calls[1]!.maxOutputTokens).toBeLessThan(1000 - 300 - 250);
    expect(calls[1]!.maxOutputTokens! + 250).toBeGreaterThan(400);
  });
});

describe('whole-run retries (Task.retry)', () => {
  it('keep counting approval ids, so a decision from an earlier attempt never answers a new request', async () => {
    const plan = planOf([agent('writer', { tools: ['default/publish'] })], []);
    plan.tools['default/publish'] = tool('publish', { operationClasses: ['write'] });
    plan.governance.toolPermissions.push({
      id: { namespace: 'default', name: 'publish-needs-approval' },
      toolRef: 'default/publish',
      action: 'invoke',
      requiredPermissions: [],
      matchMode: 'all',
      applyMode: 'global',
      targetAgents: [],
      operationRules: [{ operationClass: 'write', verdict: 'approval_required' }],
    });
    const asked: string[] = [];
    const { effects } = fake((r) => (r.step === 1 ? { toolCalls: [{ id: 'c', name: 'publish', input: {} }] } : {}), {
      awaitApproval: async (request) => {
        asked.push(request.id);
        return { decision: 'approved', decidedBy: 'test', reason: null };
      },
    });
    const first = new PlanInterpreter(plan, 'go', effects);
    await first.run();
    const retry = first.retryCheckpoint();
    expect(retry).toMatchObject({ runAttempt: 2, approvals: 1, joins: {}, activationCounts: {}, leaves: [], continuedAsNew: 0 });
    expect(retry.topUps).toEqual({ tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 });
    expect(retry.pending).toEqual([{ agent: 'writer', inbox: [], turn: 1, partialFrom: [] }]);
    await new PlanInterpreter(plan, 'go', effects, retry).run();
    expect(asked).toEqual(['approval-1', 'approval-2']);
  });
});

describe('continue-as-new', () => {
  it('stops at a quiet point with a checkpoint, and a new interpreter finishes from it with the same totals', async () => {
    const plan = planOf([agent('ping'), agent('pong')], [
      ['ping', 'pong'],
      ['pong', 'ping'],
    ], { maxTurns: 10 });
    let launched = 0;
    const { effects } = fake(() => (launched++, {}));
    const stopping: Effects = { ...effects, shouldContinueAsNew: () => launched >= 4 };
    const first = await new PlanInterpreter(plan, 'go', stopping).run().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CheckpointReached);
    const checkpoint = JSON.parse(JSON.stringify((first as CheckpointReached).checkpoint));
    expect(checkpoint.pending).toHaveLength(1);
    const result = await new PlanInterpreter(plan, 'go', effects, checkpoint).run();
    expect(result.activations.map((a) => a.turn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.usage.total.modelCalls).toBe(10);
    expect(result.executions).toBe(2);
  });
});
