/**
 * The graph walk: a pure function from a Plan and an input to a RunResult, over the Effects
 * port. Message-driven like Orloj: an agent runs when its inbox is ready (entry agents at
 * start; a join once enough predecessors reported), then reports along each outgoing edge:
 * its output where the edge fires, "not taken" where it does not, its failure if it failed.
 * Independent activations run concurrently, so fan-out is parallel.
 *
 * Semantics, exactly:
 * - A node joins its forward predecessors (wait_for_all, or quorum); a loop comes back to
 *   it through back edges, which form a join of their own. Nodes nobody will reach (every
 *   predecessor did not take its edge) pass "not taken" on, so joins never wait for them.
 * - A branch ends when its turn (activations along it, start included) reaches maxTurns.
 * - A failed activation is retried per `messageRetry`; then the successor's `on_failure`
 *   decides: dead-letter the run, skip the branch, or continue with a partial join.
 * - `foreach` edges start one activation per element of a JSON array, in parallel up to a
 *   width limit; their outputs travel on together, in element order.
 */
import type { JsonValue, Plan, PlanEdge } from '../contract/plan.ts';
import { childLimits } from '../policies/limits.ts';
import { runActivation, settleAll, type ActivationOutcome } from './agent-loop.ts';
import { firingEdges, readJsonPath } from './edge-conditions.ts';
import { edgeKey, graphShape, type GraphShape } from './graph-shape.ts';
import { renderInbox } from './inbox.ts';
import { reportToJoin, type Arrival, type JoinRound, type Report } from './join-state.ts';
import { ToolCatalog } from './mcp-catalog.ts';
import { CallFailure, GOVERNANCE_FAILURES, RunFailure } from './run-failure.ts';
import { noBudget, type BudgetLimits, type BudgetState } from '../policies/budget.ts';
import { codesWhere } from '../contract/failures.ts';
import type {
  ActivationRecord,
  BudgetRequest,
  LateArrival,
  PendingActivation,
  Refusal,
  RunCheckpoint,
  RunProgress,
  RunResult,
  WrapUp,
} from '../contract/run-io.ts';
import type { Effects } from './effects.ts';
import { UsageLedger } from './usage-ledger.ts';
import { runTracer } from './run-tracer.ts';

export { requiredArrivals } from './join-state.ts';

/** Outputs longer than this (as JSON) are kept as a preview in activation records. */
const RECORD_OUTPUT_LIMIT = 500;
/**
 * Activation records a run keeps, the latest ones: they are carried through continue-as-new
 * and returned, so an endless loop must not grow them past a payload's limit. Older ones are
 * counted (`activationsOmitted`); every activation stays in history, where the audit reads it.
 */
export const MAX_ACTIVATION_RECORDS = 500;
/** Late arrivals a run lists at most (a quorum in a loop reports one per round). */
const MAX_LATE_ARRIVALS = 500;
/** Failure types no activation retry can fix (governance decisions, a broken plan): the run fails closed. */
export const NEVER_RETRIED: ReadonlySet<string> = codesWhere((entry) => (entry.category === 'governance' || entry.category === 'run') && !entry.retryable);

/** One element of a `foreach` failed for good: the whole fan-out fails as one branch. */
class ElementFailed {
  readonly result: { type: string; message: string; retryable: boolean; attempts: number; error: unknown };
  constructor(result: ElementFailed['result']) {
    this.result = result;
  }
}

/** The run stopped at a quiet point to continue as new; this is where it goes on. */
export class CheckpointReached {
  readonly checkpoint: RunCheckpoint;
  constructor(checkpoint: RunCheckpoint) {
    this.checkpoint = checkpoint;
  }
}

function failureType(error: unknown): { type: string; message: string; retryable: boolean } {
  if (error instanceof RunFailure) return { type: error.code, message: error.message, retryable: !NEVER_RETRIED.has(error.code) };
  if (error instanceof CallFailure) return { type: error.type, message: error.message, retryable: !error.nonRetryable };
  // Anything else is a fault in the workflow code itself: deterministic, so never retried.
  return { type: 'AGENT_FAILED', message: error instanceof Error ? error.message : String(error), retryable: false };
}

function recordOutput(output: JsonValue): { output: JsonValue; outputTruncated?: boolean } {
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  if (text.length <= RECORD_OUTPUT_LIMIT) return { output };
  return { output: `${text.slice(0, RECORD_OUTPUT_LIMIT)}…`, outputTruncated: true };
}

function activationRecord(
  pending: PendingActivation,
  activation: number,
  attempts: number,
  outcome: ActivationOutcome,
  turnLimitReached: boolean
): ActivationRecord {
  return {
    agent: pending.agent,
    activation,
    from: pending.inbox.map((m) => m.from),
    ...recordOutput(outcome.output),
    steps: outcome.steps,
    stoppedBy: outcome.stoppedBy,
    turnLimitReached,
    turn: pending.turn,
    attempts,
    ...(pending.partialFrom.length > 0 ? { partialFrom: pending.partialFrom } : {}),
    ...(outcome.contract && outcome.contract.length > 0 ? { contract: outcome.contract } : {}),
  };
}

/** Refusals a result lists at most; past it, the denial count still counts them. */
const MAX_RECORDED_REFUSALS = 500;

export class PlanInterpreter {
  readonly ledger: UsageLedger;
  readonly activations: ActivationRecord[];
  readonly progress: RunProgress;
  readonly lateArrivals: LateArrival[];
  private readonly plan: Plan;
  private readonly input: JsonValue;
  private readonly effects: Effects;
  private readonly shape: GraphShape;
  private readonly catalog: ToolCatalog;
  private readonly joins: Record<string, JoinRound[]>;
  private readonly activationCounts: Record<string, number>;
  private readonly leaves: Array<{ agent: string; output: JsonValue }>;
  private readonly inFlight: Promise<void>[] = [];
  private readonly deferred: PendingActivation[] = [];
  private readonly resume: RunCheckpoint | undefined;
  /** Records dropped from `activations` to keep it bounded, across executions. */
  private omittedActivations: number;
  /** A branch ended at `maxTurns`, also in a record no longer kept. */
  private turnLimitHit: boolean;
  private failure: RunFailure | null = null;
  private delegations: number;
  private approvalCount: number;
  /** Calls a policy, an approver or the budget refused, which the model was told about. */
  private deniedCalls: number;
  /** Budget people added while the run was paused (`on_budget_exhausted: pause`). */
  private readonly topUps: BudgetState;
  /** A person told the paused run to wrap up: no new activations; running ones answer now. */
  private wrappedUp: WrapUp | null = null;
  private budgetPause: Promise<void> | null = null;

  /** Child runs (delegations) started so far, across executions of the run. */
  get delegationCount(): number {
    return this.delegations;
  }
  readonly runAttempt: number;
  readonly continuedAsNew: number;

  /** Refused calls so far, the run-ending one not included. */
  get denials(): number {
    return this.deniedCalls;
  }

  /** Delegation depth of this run: 0 for a run of the system, 1 for a delegate's child run, … */
  private readonly depth: number;

  /**
   * Calls refused without running: `all` of them, and the `unsent` ones no model call's input
   * shows (the audit finds those in the run's result or failure). Bounded, so a run refused
   * over and over cannot grow its result past a payload's limit.
   */
  private readonly refusals: { all: Refusal[]; unsent: Refusal[] } = { all: [], unsent: [] };

  /**
   * The refusals this run's result or failure must list: a delegate's all of them (its own
   * history is not part of the run's audit), a run's those no model call's input shows.
   */
  reportedRefusals(): { refusals?: Refusal[] } {
    const refusals = this.depth > 0 ? this.refusals.all : this.refusals.unsent;
    return refusals.length > 0 ? { refusals: [...refusals] } : {};
  }

  constructor(
    plan: Plan,
    input: JsonValue,
    effects: Effects,
    resume?: RunCheckpoint,
    options: { depth?: number; spentOutside?: BudgetState; share?: BudgetLimits } = {}
  ) {
    this.depth = options.depth ?? 0;
    this.plan = plan;
    this.input = input;
    this.effects = effects;
    this.resume = resume;
    this.shape = graphShape(plan);
    this.catalog = new ToolCatalog(plan, effects);
    this.ledger = new UsageLedger(resume?.usage, options.spentOutside, options.share);
    this.activations = resume ? resume.activations.slice(-MAX_ACTIVATION_RECORDS) : [];
    this.omittedActivations = (resume?.activationsOmitted ?? 0) + (resume ? resume.activations.length - this.activations.length : 0);
    this.turnLimitHit = resume?.turnLimitReached ?? resume?.activations.some((a) => a.turnLimitReached) ?? false;
    this.lateArrivals = resume ? resume.lateArrivals.slice(0, MAX_LATE_ARRIVALS) : [];
    this.joins = resume ? (JSON.parse(JSON.stringify(resume.joins)) as Record<string, JoinRound[]>) : {};
    this.activationCounts = resume ? { ...resume.activationCounts } : {};
    this.leaves = [];
    for (const leaf of resume?.leaves ?? []) this.keepLeaf(leaf.agent, leaf.output);
    this.delegations = resume?.delegations ?? 0;
    this.approvalCount = resume?.approvals ?? 0;
    this.deniedCalls = resume?.denials ?? 0;
    if (resume?.refusals) this.refusals.unsent.push(...resume.refusals);
    this.topUps = resume?.topUps ? { ...resume.topUps } : noBudget();
    this.wrappedUp = resume?.wrappedUp ?? null;
    this.runAttempt = resume?.runAttempt ?? 1;
    this.continuedAsNew = resume?.continuedAsNew ?? 0;
    this.progress = { phase: 'running', agents: {}, usage: this.ledger.total };
    for (const agent of Object.keys(plan.agents)) {
      this.progress.agents[agent] = {
        phase: 'waiting',
        activations: this.activationCounts[agent] ?? 0,
        step: 0,
        lastAction: null,
        lastTool: null,
        usage: this.ledger.forAgent(agent),
      };
    }
  }

  /** Runs to the end, or throws CheckpointReached at a quiet point when asked to continue as new. */
  async run(): Promise<RunResult> {
    if (this.resume) for (const pending of this.resume.pending) this.launch(pending);
    else for (const agent of this.plan.entryAgents) this.launch({ agent, inbox: [], turn: 1, partialFrom: [] });
    // Activations launch others as they finish; drain until nothing is left in flight.
    while (this.inFlight.length > 0) await Promise.all(this.inFlight.splice(0));
    if (this.failure) {
      this.progress.phase = 'failed';
      this.report();
      throw this.failure;
    }
    if (this.deferred.length > 0) throw new CheckpointReached(this.checkpoint());
    this.progress.phase = 'succeeded';
    this.report();
    return {
      output: this.finalOutput(),
      usage: this.ledger.snapshot(),
      activations: this.activations,
      ...this.omitted(),
      lateArrivals: this.lateArrivals,
      turnLimitReached: this.turnLimitHit,
      executions: this.continuedAsNew + 1,
      runAttempts: this.runAttempt,
      ...this.reportedRefusals(),
      ...(this.wrappedUp ? { wrappedUp: this.wrappedUp } : {}),
    };
  }

  /**
   * The state a retry of the whole run (`Task.retry`) starts from: a fresh graph, with the
   * ledger, records and counters carried (approval ids keep counting, so a decision from an
   * earlier attempt never answers a new request; budget people added stays added).
   */
  retryCheckpoint(): RunCheckpoint {
    return {
      ...this.checkpoint(),
      runAttempt: this.runAttempt + 1,
      pending: this.plan.entryAgents.map((agent) => ({ agent, inbox: [], turn: 1, partialFrom: [] })),
      joins: {},
      activationCounts: {},
      leaves: [],
      continuedAsNew: this.continuedAsNew,
    };
  }

  private checkpoint(): RunCheckpoint {
    return {
      runAttempt: this.runAttempt,
      pending: this.deferred,
      joins: this.joins,
      activationCounts: this.activationCounts,
      usage: this.ledger.snapshot(),
      activations: this.activations,
      ...this.omitted(),
      ...(this.turnLimitHit ? { turnLimitReached: true } : {}),
      leaves: this.leaves,
      lateArrivals: this.lateArrivals,
      delegations: this.delegations,
      approvals: this.approvalCount,
      denials: this.deniedCalls,
      topUps: this.topUps,
      ...(this.wrappedUp ? { wrappedUp: this.wrappedUp } : {}),
      ...(this.refusals.unsent.length > 0 ? { refusals: [...this.refusals.unsent] } : {}),
      continuedAsNew: this.continuedAsNew + 1,
    };
  }

  /** How many activation records were left out of `activations`, when any were. */
  omitted(): { activationsOmitted?: number } {
    return this.omittedActivations > 0 ? { activationsOmitted: this.omittedActivations } : {};
  }

  private report(): void {
    this.effects.onProgress?.(this.progress);
  }

  /** Keeps the latest records; those with contract events (which the audit reads from the result) are dropped last. */
  private keepRecord(record: ActivationRecord): void {
    this.activations.push(record);
    if (record.turnLimitReached) this.turnLimitHit = true;
    if (this.activations.length <= MAX_ACTIVATION_RECORDS) return;
    const plain = this.activations.findIndex((r) => r.contract === undefined);
    this.activations.splice(plain >= 0 ? plain : 0, 1);
    this.omittedActivations++;
  }

  /** A leaf's latest output, in the place of its first: the final output is keyed in that order. */
  private keepLeaf(agent: string, output: JsonValue): void {
    const earlier = this.leaves.find((leaf) => leaf.agent === agent);
    if (earlier) earlier.output = output;
    else this.leaves.push({ agent, output });
  }

  private fail(failure: RunFailure): void {
    this.failure ??= failure;
  }

  /** One pause at a time: activations that run out together wait for the same decision. */
  private resolveBudget(request: BudgetRequest): Promise<void> {
    this.budgetPause ??= runTracer()
      .span(
        `wait budget ${request.limit}`,
        { 'orch.wait': 'budget', 'orch.agent': request.agent, 'orch.budget.limit': request.limit, 'orch.policy.name': request.policy },
        () => this.effects.awaitBudget(request),
        (decision) => ({ 'orch.budget.action': decision.action, 'orch.budget.decided_by': decision.decidedBy })
      )
      .then((decision) => {
        this.budgetPause = null;
        if (decision.action === 'wrap_up') {
          this.wrappedUp = { by: decision.decidedBy, reason: decision.reason ?? null };
          return;
        }
        this.topUps.tokens += decision.tokens ?? 0;
        this.topUps.costUsd += decision.costUsd ?? 0;
        this.topUps.modelCalls += decision.modelCalls ?? 0;
        this.topUps.toolCalls += decision.toolCalls ?? 0;
      });
    return this.budgetPause;
  }

  private launch(pending: PendingActivation): void {
    if (this.failure || this.wrappedUp !== null) return;
    // At a quiet point the run continues as new: what would start now starts there instead.
    if (this.deferred.length > 0 || this.effects.shouldContinueAsNew?.()) {
      this.deferred.push(pending);
      return;
    }
    this.inFlight.push(this.activate(pending));
  }

  /** One activation with its retries; then its report along every outgoing edge. */
  private async activate(pending: PendingActivation): Promise<void> {
    const result = await this.withRetries(pending);
    if (this.failure) return;
    if (result.ok) this.record(pending, result.activation, result.attempts, result.outcome);
    else this.branchFailed(pending.agent, result.type, result.message, result.retryable, result.attempts, result.error);
  }

  /** A delegate's child run: one activation of `agent` (with its retries), no graph around it. */
  async runSingle(agent: string): Promise<{ output: JsonValue; activations: ActivationRecord[] }> {
    const pending: PendingActivation = { agent, inbox: [], turn: 1, partialFrom: [] };
    const result = await this.withRetries(pending);
    this.progress.phase = result.ok ? 'succeeded' : 'failed';
    this.report();
    if (!result.ok) throw new RunFailure(result.type, result.message, failingAgent(result.error, agent), { cause: result.error, deadLettered: result.retryable });
    this.keepRecord(activationRecord(pending, result.activation, result.attempts, result.outcome, false));
    return { output: result.outcome.output, activations: this.activations };
  }

  /** Runs an activation, retrying it per `Task.message_retry` with exponential backoff. */
  private async withRetries(pending: PendingActivation): Promise<
    | { ok: true; outcome: ActivationOutcome; activation: number; attempts: number }
    | { ok: false; type: string; message: string; retryable: boolean; attempts: number; error: unknown }
  > {
    const { agent } = pending;
    const state = this.progress.agents[agent]!;
    const retry = this.plan.messageRetry;
    for (let attempt = 1; ; attempt++) {
      const activation = (this.activationCounts[agent] ?? 0) + 1;
      this.activationCounts[agent] = activation;
      state.phase = 'running';
      state.activations = activation;
      this.report();
      try {
        const outcome = await this.runOnce(agent, activation, pending);
        state.phase = 'done';
        return { ok: true, outcome, activation, attempts: attempt };
      } catch (error) {
        if (this.effects.runCancelled?.()) throw error;
        const { type, message, retryable } = failureType(error);
        const again = !this.failure && retryable && !retry.nonRetryable.includes(type) && attempt < Math.max(retry.maxAttempts, 1);
        if (!again) {
          state.phase = 'failed';
          this.report();
          return { ok: false, type, message, retryable, attempts: attempt, error };
        }
        state.lastAction = `retrying after ${type}`;
        this.report();
        await this.effects.sleep(Math.min(retry.backoffMs * 2 ** (attempt - 1), retry.maxBackoffMs));
      }
    }
  }

  private runOnce(agent: string, activation: number, pending: PendingActivation): Promise<ActivationOutcome> {
    const state = this.progress.agents[agent]!;
    const inboxNote = pending.partialFrom.length > 0 ? { partialFrom: pending.partialFrom } : {};
    const run = () =>
      runActivation({
        plan: this.plan,
        agentName: agent,
        activation,
        inbox: renderInbox(this.input, pending.inbox, inboxNote),
        effects: this.effects,
        ledger: this.ledger,
        catalog: this.catalog,
        approvals: { next: () => ++this.approvalCount },
        budget: {
          topUps: () => this.topUps,
          wrappedUp: () => this.wrappedUp !== null,
          resolve: (request) => this.resolveBudget(request),
        },
        delegation: {
          depth: this.depth,
          limits: childLimits(this.plan, agent),
          used: () => this.delegations,
          reserve: () => ++this.delegations,
        },
        onStep: (step, action) => {
          state.step = step;
          state.lastAction = action;
          this.report();
        },
        onToolResult: (name, durationMs, error) => {
          state.lastTool = { name, durationMs, error };
          if (error !== null && GOVERNANCE_FAILURES.has(error)) this.deniedCalls++;
          this.report();
        },
        onRefusals: (refusals, inHistory) => {
          for (const refusal of refusals) {
            if (this.refusals.all.length < MAX_RECORDED_REFUSALS) this.refusals.all.push(refusal);
            if (!inHistory && this.refusals.unsent.length < MAX_RECORDED_REFUSALS) this.refusals.unsent.push(refusal);
          }
        },
      });
    const timeoutMs = this.plan.agents[agent]?.timeoutMs ?? null;
    return timeoutMs === null ? run() : this.effects.withTimeout(timeoutMs, run);
  }

  private record(pending: PendingActivation, activation: number, attempts: number, outcome: ActivationOutcome): void {
    const { agent, turn } = pending;
    const turnLimitReached = this.plan.maxTurns > 0 && turn >= this.plan.maxTurns;
    this.keepRecord(activationRecord(pending, activation, attempts, outcome, turnLimitReached));
    this.report();
    const edges = this.plan.graph[agent]?.edges ?? [];
    // At the turn limit the branch ends here, successfully: nothing is handed on.
    const firing = turnLimitReached || this.wrappedUp !== null ? [] : firingEdges(edges, outcome.output);
    if (firing.length === 0) this.keepLeaf(agent, outcome.output);
    for (const edge of edges) {
      if (!firing.includes(edge)) this.deliver(agent, edge, { kind: 'not-taken', from: agent });
      else if (edge.foreach !== null) this.fanOut(agent, edge, outcome.output, turn);
      else this.deliver(agent, edge, { kind: 'arrived', arrival: { from: agent, output: outcome.output, turn } });
    }
  }

  /** A failed branch: the successors' `on_failure` says whether the run goes on without it. */
  private branchFailed(agent: string, type: string, message: string, retryable: boolean, attempts: number, cause: unknown): void {
    const edges = this.plan.graph[agent]?.edges ?? [];
    const tolerated =
      retryable &&
      edges.length > 0 &&
      edges.every((edge) => (this.plan.graph[edge.to]?.join?.onFailure ?? 'deadletter') !== 'deadletter');
    if (!tolerated) {
      const spent = attempts > 1 ? ` after ${attempts} attempts` : '';
      this.fail(new RunFailure(type, `${message}${spent}`, failingAgent(cause, agent), { cause, deadLettered: retryable }));
      return;
    }
    for (const edge of edges) this.deliver(agent, edge, { kind: 'failed', from: agent, type, message });
  }

  /** Reports to the join of `edge.to` that `edge` belongs to, and acts on its decision. */
  private deliver(from: string, edge: PlanEdge, report: Report): void {
    if (this.failure) return;
    const target = edge.to;
    const back = this.shape.backEdges.has(edgeKey(from, target));
    const group = back ? this.shape.backPredecessors : this.shape.forwardPredecessors;
    const predecessors = group.get(target)?.length ?? 1;
    const key = `${target}:${back ? 'back' : 'forward'}`;
    const rounds = (this.joins[key] ??= []);
    const join = this.plan.graph[target]?.join ?? null;
    const decision = reportToJoin(rounds, report, predecessors, join);
    if (rounds.length === 0) delete this.joins[key];
    switch (decision.kind) {
      case 'fire': {
        const partialFrom = decision.failed.map((f) => f.from);
        if (partialFrom.length > 0 && join?.onFailure !== 'continue_partial') partialFrom.length = 0;
        const turn = Math.max(...decision.arrivals.map((a) => a.turn)) + 1;
        this.launch({ agent: target, inbox: decision.arrivals, turn, partialFrom });
        return;
      }
      case 'dead':
        // Nobody reached this node: pass that on, so joins downstream do not wait for it.
        // Back edges only report, so a loop of nothing ends instead of going round.
        if (!back) for (const next of this.plan.graph[target]?.edges ?? []) this.deliver(target, next, { kind: 'not-taken', from: target });
        return;
      case 'late':
        if (this.lateArrivals.length < MAX_LATE_ARRIVALS) this.lateArrivals.push({ agent: target, from: decision.from, outcome: report.kind });
        return;
      case 'wait':
        return;
    }
  }

  /** `foreach`: one activation of the target per array element, at most `width` at a time. */
  private fanOut(from: string, edge: PlanEdge, output: JsonValue, turn: number): void {
    const target = edge.to;
    this.inFlight.push(
      (async () => {
        const items = readJsonPath(parseIfText(output), edge.foreach!);
        if (!Array.isArray(items)) {
          this.branchFailed(target, 'FOREACH_NOT_ARRAY', `foreach ${edge.foreach} on the output of ${from} is not an array`, false, 1, null);
          return;
        }
        const width = childLimits(this.plan, target).foreachWidth;
        const outputs: JsonValue[] = new Array(items.length);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < items.length && !this.failure) {
            const index = next++;
            const element: PendingActivation = {
              agent: target,
              inbox: [{ from: `${from} (item ${index + 1} of ${items.length})`, output: items[index]!, turn }],
              turn: turn + 1,
              partialFrom: [],
            };
            // Each element is an activation of its own, with its own retries.
            const result = await this.withRetries(element);
            if (!result.ok) throw new ElementFailed(result);
            outputs[index] = result.outcome.output;
            this.keepRecord(activationRecord({ ...element, inbox: [{ from, output, turn }] }, result.activation, result.attempts, result.outcome, false));
          }
        };
        try {
          await settleAll(Array.from({ length: Math.min(width, items.length) }, worker));
        } catch (error) {
          if (!(error instanceof ElementFailed)) throw error;
          const { type, message, retryable, attempts, error: cause } = error.result;
          this.branchFailed(target, type, message, retryable, attempts, cause);
          return;
        }
        this.progress.agents[target]!.phase = 'done';
        // The combined record of the fan-out (activation 0): the elements' outputs, in order, go on from here.
        this.record({ agent: target, inbox: [{ from, output, turn }], turn: turn + 1, partialFrom: [] }, 0, 1, {
          output: outputs,
          steps: 0,
          stoppedBy: 'foreach',
        });
      })()
    );
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

function parseIfText(output: JsonValue): JsonValue {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output) as JsonValue;
  } catch {
    return output;
  }
}

/** Interprets `plan` against `effects`; throws RunFailure when the run fails. */
export function runPlan(plan: Plan, input: JsonValue, effects: Effects): Promise<RunResult> {
  return new PlanInterpreter(plan, input, effects).run();
}

/** The agent a failure names: a delegate's denial names the delegate, anything else the branch's agent. */
function failingAgent(error: unknown, branchAgent: string): string {
  return error instanceof RunFailure && error.agent ? error.agent : branchAgent;
}
