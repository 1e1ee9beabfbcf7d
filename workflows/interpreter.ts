/**
 * The graph walk: a pure function from a Plan and an input to a RunResult, over the Effects
 * port. Message-driven like Orloj: an agent runs when its inbox is ready (entry agents at
 * start; a join once enough predecessors delivered), then hands its output along every
 * firing edge. Independent activations run concurrently, so fan-out is parallel.
 */
import type { JsonValue, Plan, PlanJoin } from '../compiler/plan.ts';
import { runActivation } from './agent-loop.ts';
import { firingEdges } from './edge-conditions.ts';
import { renderInbox, type InboxMessage } from './inbox.ts';
import { RunFailure } from './run-failure.ts';
import type { ActivationRecord, Effects, RunProgress, RunResult } from './types.ts';
import { UsageLedger } from './usage-ledger.ts';
import { ToolCatalog } from './mcp-catalog.ts';

interface Arrival extends InboxMessage {
  turn: number;
}

/** Predecessors of every agent, from the plan's edges. */
function predecessorsOf(plan: Plan): Map<string, Set<string>> {
  const predecessors = new Map<string, Set<string>>();
  for (const [from, node] of Object.entries(plan.graph)) {
    for (const edge of node.edges) {
      const set = predecessors.get(edge.to) ?? new Set<string>();
      set.add(from);
      predecessors.set(edge.to, set);
    }
  }
  return predecessors;
}

/** Arrivals a node needs before it runs (Orloj's formula for quorum; all predecessors otherwise). */
export function requiredArrivals(join: PlanJoin | null, predecessorCount: number): number {
  if (predecessorCount <= 1) return 1;
  if (!join || join.mode === 'wait_for_all') return predecessorCount;
  const byPercent = Math.ceil((predecessorCount * join.quorumPercent) / 100);
  const required = Math.max(join.quorumCount, byPercent);
  if (required <= 0) return predecessorCount;
  return Math.min(Math.max(required, 1), predecessorCount);
}

export class PlanInterpreter {
  readonly ledger = new UsageLedger();
  readonly activations: ActivationRecord[] = [];
  readonly progress: RunProgress;
  private readonly plan: Plan;
  private readonly input: JsonValue;
  private readonly effects: Effects;
  private readonly predecessors: Map<string, Set<string>>;
  private readonly pendingArrivals = new Map<string, Map<string, Arrival>>();
  private readonly activationCounts = new Map<string, number>();
  private readonly inFlight: Promise<void>[] = [];
  private readonly leaves: { agent: string; output: JsonValue }[] = [];
  private failure: RunFailure | null = null;
  private readonly catalog: ToolCatalog;

  constructor(plan: Plan, input: JsonValue, effects: Effects) {
    this.plan = plan;
    this.input = input;
    this.effects = effects;
    this.predecessors = predecessorsOf(plan);
    this.catalog = new ToolCatalog(plan, effects);
    this.progress = { phase: 'running', agents: {}, usage: this.ledger.total };
    for (const agent of Object.keys(plan.agents)) {
      this.progress.agents[agent] = {
        phase: 'waiting',
        activations: 0,
        step: 0,
        lastAction: null,
        lastTool: null,
        usage: this.ledger.forAgent(agent),
      };
    }
  }

  async run(): Promise<RunResult> {
    for (const agent of this.plan.entryAgents) this.launch(agent, [], 1);
    // Activations launch others as they finish; drain until nothing is left in flight.
    while (this.inFlight.length > 0) await Promise.all(this.inFlight.splice(0));
    this.progress.phase = this.failure ? 'failed' : 'succeeded';
    this.report();
    if (this.failure) throw this.failure;
    return { output: this.finalOutput(), usage: this.ledger.snapshot(), activations: this.activations };
  }

  private report(): void {
    this.effects.onProgress?.(this.progress);
  }

  private launch(agent: string, inbox: Arrival[], turn: number): void {
    if (this.failure) return;
    this.inFlight.push(
      this.activate(agent, inbox, turn).catch((error: unknown) => {
        this.failure ??=
          error instanceof RunFailure
            ? error
            : new RunFailure('AGENT_FAILED', `agent ${agent} failed`, agent, { cause: error });
        const state = this.progress.agents[agent];
        if (state) state.phase = 'failed';
        this.report();
      })
    );
  }

  private async activate(agent: string, inbox: Arrival[], turn: number): Promise<void> {
    const activation = (this.activationCounts.get(agent) ?? 0) + 1;
    this.activationCounts.set(agent, activation);
    const state = this.progress.agents[agent]!;
    state.phase = 'running';
    state.activations = activation;
    this.report();

    const outcome = await runActivation({
      plan: this.plan,
      agentName: agent,
      activation,
      inbox: renderInbox(this.input, inbox),
      effects: this.effects,
      ledger: this.ledger,
      catalog: this.catalog,
      onStep: (step, action) => {
        state.step = step;
        state.lastAction = action;
        this.report();
      },
      onToolResult: (name, durationMs, error) => {
        state.lastTool = { name, durationMs, error };
        this.report();
      },
    });

    const turnLimitReached = this.plan.maxTurns > 0 && turn >= this.plan.maxTurns;
    this.activations.push({
      agent,
      activation,
      from: inbox.map((m) => m.from),
      output: outcome.output,
      steps: outcome.steps,
      stoppedBy: outcome.stoppedBy,
      turnLimitReached,
    });
    state.phase = 'done';
    this.report();

    const edges = turnLimitReached ? [] : firingEdges(this.plan.graph[agent]?.edges ?? [], outcome.output);
    if (edges.length === 0) this.leaves.push({ agent, output: outcome.output });
    for (const edge of edges) this.deliver(edge.to, { from: agent, output: outcome.output, turn });
  }

  private deliver(target: string, arrival: Arrival): void {
    const predecessorCount = this.predecessors.get(target)?.size ?? 0;
    const required = requiredArrivals(this.plan.graph[target]?.join ?? null, predecessorCount);
    const pending = this.pendingArrivals.get(target) ?? new Map<string, Arrival>();
    pending.set(arrival.from, arrival);
    if (pending.size < required) {
      this.pendingArrivals.set(target, pending);
      return;
    }
    this.pendingArrivals.delete(target);
    const arrivals = [...pending.values()];
    this.launch(target, arrivals, Math.max(...arrivals.map((a) => a.turn)) + 1);
  }

  /** One leaf agent: its last output. Several: an object keyed by agent, in completion order. */
  private finalOutput(): JsonValue {
    const byAgent: Record<string, JsonValue> = {};
    for (const leaf of this.leaves) byAgent[leaf.agent] = leaf.output;
    const agents = Object.keys(byAgent);
    if (agents.length === 1) return byAgent[agents[0]!]!;
    return byAgent;
  }
}

/** Interprets `plan` against `effects`; throws RunFailure when the run fails. */
export function runPlan(plan: Plan, input: JsonValue, effects: Effects): Promise<RunResult> {
  return new PlanInterpreter(plan, input, effects).run();
}
