/**
 * Property test of the budget ledger: random parallel shapes (fan-out, parallel tool calls in
 * one turn, parallel delegates, delegates that fan out tools) under random limits, with a fake
 * model whose usage is random but honest (no more input than the request holds, no more
 * output than the call was given). Whatever the interleaving: what all calls together spent
 * never exceeds a limit, and a run that ends has charged exactly what its calls reported.
 */
import { describe, expect, it } from 'vitest';
import type { ModelCallRequest, ModelCallResult } from '../../contract/activity-io.ts';
import type { Plan } from '../../contract/plan.ts';
import { CallFailure, RunFailure } from '../../workflows/run-failure.ts';
import { PlanInterpreter } from '../../workflows/interpreter.ts';
import type { Effects } from '../../workflows/effects.ts';
import { agent, globalPolicy, planOf, tool } from '../helpers/plan-builder.ts';
import { seededRandom } from '../helpers/seeded-random.ts';


interface Shape {
  plan: Plan;
  limits: { tokens: number | null; toolCalls: number | null; modelCalls: number | null; costUsd: number | null };
}

const PRICING = { inputPerMillion: 3, outputPerMillion: 15 };

function randomShape(random: () => number): Shape {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const branches = int(1, 5);
  const delegates = int(0, 3);
  const names = ['root', ...Array.from({ length: branches }, (_, i) => `b${i}`)];
  const delegateNames = Array.from({ length: delegates }, (_, i) => `d${i}`);
  const agents = [...names, ...delegateNames].map((name) => agent(name, { tools: ['default/t'], maxSteps: int(1, 4) }));
  // Sometimes root's answer also fans out at run time: one `each` activation per item.
  const foreach = random() < 0.4;
  if (foreach) agents.push(agent('each', { tools: ['default/t'], maxSteps: int(1, 3) }));
  const edges: Array<[string, string] | [string, string, { foreach: string }]> = names.slice(1).map((name) => ['root', name] as [string, string]);
  if (foreach) edges.push(['root', 'each', { foreach: '$.items' }]);
  const plan = planOf(agents, edges);
  plan.entryAgents = ['root'];
  if (foreach) plan.agents.root!.outputSchema = { type: 'object' };
  plan.tools['default/t'] = tool('t');
  for (const name of names) plan.graph[name]!.delegates = random() < 0.5 ? delegateNames : [];
  plan.models['default/mock'] = { ...plan.models['default/mock']!, pricing: PRICING, options: random() < 0.5 ? { max_tokens: int(50, 2000) } : {} };
  const maybe = (p: number, lo: number, hi: number) => (random() < p ? int(lo, hi) : null);
  const limits = {
    tokens: maybe(0.6, 500, 60_000),
    toolCalls: maybe(0.5, 1, 20),
    modelCalls: maybe(0.4, 1, 20),
    costUsd: random() < 0.3 ? int(1, 200) / 1000 : null,
  };
  plan.governance.policies.push(
    globalPolicy('limits', {
      maxTokensPerRun: limits.tokens,
      maxToolCallsPerRun: limits.toolCalls,
      maxModelCallsPerRun: limits.modelCalls,
      maxCostUsdPerRun: limits.costUsd,
      // Sometimes the run pauses instead, and the fake approver says wrap up.
      onBudgetExhausted: random() < 0.25 ? 'pause' : null,
    })
  );
  return { plan, limits };
}

/** Everything the fake model and tools did, whether or not the run lived to record it. */
interface Spent {
  tokens: number;
  costUsd: number;
  modelCalls: number;
  toolCalls: number;
  violations: string[];
}

function fakeEffects(random: () => number, spent: Spent, pending: Promise<unknown>[]): Effects {
  // Calls finish after a random number of microtask turns: varied interleavings, yet the same
  // for the same seed (no timers), so a failing shape replays exactly.
  const tick = async () => {
    for (let turns = Math.floor(random() * 6); turns > 0; turns--) await Promise.resolve();
  };
  const divisor = new Map<string, number>();
  const effects: Effects = {
    async callModel(request: ModelCallRequest): Promise<ModelCallResult> {
      spent.modelCalls++;
      // Honest usage: never more input tokens than the request has characters (one ratio per
      // activation, as a tokenizer is consistent), never more output than allowed.
      const key = `${request.agent}#${request.activation}`;
      if (!divisor.has(key)) divisor.set(key, 1 + Math.floor(random() * 4));
      const chars = request.system.length + JSON.stringify(request.messages).length + JSON.stringify(request.tools).length;
      const inputTokens = Math.ceil(chars / divisor.get(key)!);
      const outputTokens = Math.floor(random() * Math.min(request.maxOutputTokens ?? 3000, 3000));
      if (request.reserved && inputTokens + outputTokens > request.reserved.tokens) {
        spent.violations.push(`${key} used ${inputTokens + outputTokens} of ${request.reserved.tokens} reserved`);
      }
      spent.tokens += inputTokens + outputTokens;
      spent.costUsd += (inputTokens * PRICING.inputPerMillion + outputTokens * PRICING.outputPerMillion) / 1e6;
      const work = tick();
      pending.push(work);
      await work;
      const calls = Array.from({ length: Math.floor(random() * 4) }, (_, i) => ({ id: `${key}-${request.step}-${i}`, name: 't', input: {} }));
      const delegateTo = request.tools.filter((t) => t.name.startsWith('delegate--')).filter(() => random() < 0.5);
      delegateTo.forEach((t, i) => calls.push({ id: `${key}-${request.step}-d${i}`, name: t.name, input: { task: 'go' } as never }));
      const items = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => i);
      return {
        text: request.outputSchema ? JSON.stringify({ items }) : `${key} answer`,
        toolCalls: request.outputSchema ? [] : random() < 0.75 ? calls : [],
        finishReason: 'stop',
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        modelId: 'm',
      };
    },
    async callTool() {
      spent.toolCalls++;
      const work = tick();
      pending.push(work);
      await work;
      return { output: 'ok', isError: false, durationMs: 1, truncated: false };
    },
    async listMcpTools() {
      return [];
    },
    awaitApproval: async () => ({ decision: 'approved', decidedBy: 'test', reason: null }),
    awaitBudget: async () => ({ action: 'wrap_up', decidedBy: 'test' }),
    sleep: async () => undefined,
    withTimeout: (_ms, fn) => fn(),
    async delegate(request) {
      const child = new PlanInterpreter(request.plan, request.task, effects, undefined, {
        depth: request.depth,
        ...(request.spentOutside ? { spentOutside: request.spentOutside } : {}),
        ...(request.share ? { share: request.share } : {}),
      });
      try {
        const { output, activations } = await child.runSingle(request.agent);
        return { output, usage: child.ledger.snapshot(), activations };
      } catch (error) {
        if (!(error instanceof RunFailure)) throw error;
        throw new CallFailure(error.code, error.message, { childUsage: child.ledger.snapshot() });
      }
    },
  };
  return effects;
}

const RUNS = Number(process.env.ORCH_LEDGER_RUNS ?? 300);
const SEED = Number(process.env.ORCH_LEDGER_SEED ?? 20261201);

describe('the budget ledger under random parallel shapes (fan-out, foreach, parallel tools, delegates)', () => {
  it(`never lets what calls spend exceed a limit, and charges exactly what they reported (${RUNS} shapes, seed ${SEED})`, { timeout: Math.max(60_000, RUNS * 100) }, async () => {
    let failedRuns = 0;
    let refusals = 0;
    for (let run = 0; run < RUNS; run++) {
      const random = seededRandom(SEED + run);
      const { plan, limits } = randomShape(random);
      const spent: Spent = { tokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0, violations: [] };
      const pending: Promise<unknown>[] = [];
      const interpreter = new PlanInterpreter(plan, 'go', fakeEffects(random, spent, pending));
      const outcome = await interpreter.run().then(
        () => 'succeeded' as const,
        (error: unknown) => {
          if (!(error instanceof RunFailure)) throw error;
          return error.code;
        }
      );
      while (pending.length > 0) await Promise.all(pending.splice(0));
      const where = `shape ${run} (seed ${SEED + run}), ${outcome}`;
      expect(spent.violations, where).toEqual([]);
      if (limits.tokens !== null) expect(spent.tokens, where).toBeLessThanOrEqual(limits.tokens);
      if (limits.toolCalls !== null) expect(spent.toolCalls, where).toBeLessThanOrEqual(limits.toolCalls);
      if (limits.modelCalls !== null) expect(spent.modelCalls, where).toBeLessThanOrEqual(limits.modelCalls);
      if (limits.costUsd !== null) expect(spent.costUsd, where).toBeLessThanOrEqual(limits.costUsd + 1e-9);
      const total = interpreter.ledger.snapshot().total;
      if (outcome === 'succeeded') {
        expect(total.totalTokens, where).toBe(spent.tokens);
        expect(total.modelCalls, where).toBe(spent.modelCalls);
        expect(total.toolCalls, where).toBe(spent.toolCalls);
      } else {
        expect(['BUDGET_EXCEEDED'], where).toContain(outcome);
        failedRuns++;
        expect(total.totalTokens, where).toBeLessThanOrEqual(spent.tokens);
      }
      refusals += interpreter.denials;
    }
    // Figures for the record (a larger run: ORCH_LEDGER_RUNS=5000, another seed: ORCH_LEDGER_SEED).
    console.log(`ledger property: ${RUNS} shapes, ${failedRuns} ended BUDGET_EXCEEDED, ${refusals} refusals, 0 limit exceeded`);
    expect(failedRuns).toBeGreaterThan(0);
    expect(failedRuns).toBeLessThan(RUNS);
  });
});
