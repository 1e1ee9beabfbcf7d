/**
 * Fan-in bookkeeping for one group of a node's predecessors (its forward ones, or its back
 * ones). Every predecessor reports once per round: it arrived (with its output), it did not
 * take the edge, or it failed. The join fires once per round: as soon as enough arrived
 * (`wait_for_all`: everyone still in the round; `quorum`: Orloj's count), or, when nothing
 * arrived, the round is dead. Reports after it fired are recorded as late, never re-fire it.
 * A predecessor that reports again before the round is over (a loop going round faster)
 * starts the next round. Plain data, so a checkpoint can carry it across continue-as-new.
 */
import type { PlanJoin } from '../contract/plan.ts';
import type { Arrival, JoinRound, Report } from '../contract/run-io.ts';

export type { Arrival, JoinRound, Report } from '../contract/run-io.ts';

/** What the join decided after a report. */
export type JoinDecision =
  | { kind: 'wait' }
  | { kind: 'fire'; arrivals: Arrival[]; failed: Array<{ from: string; type: string }> }
  | { kind: 'dead' }
  | { kind: 'late'; from: string };

function reporter(report: Report): string {
  return report.kind === 'arrived' ? report.arrival.from : report.from;
}

/** Arrivals a round needs (Orloj's formula for quorum; everyone otherwise), given who is still in it. */
export function requiredArrivals(join: PlanJoin | null, predecessorCount: number): number {
  if (predecessorCount <= 1) return Math.max(predecessorCount, 0);
  if (!join || join.mode === 'wait_for_all') return predecessorCount;
  const byPercent = Math.ceil((predecessorCount * join.quorumPercent) / 100);
  const required = Math.max(join.quorumCount, byPercent);
  if (required <= 0) return predecessorCount;
  return Math.min(Math.max(required, 1), predecessorCount);
}

/**
 * Records `report` in the rounds of one join group and says what to do. `predecessors` is the
 * group's size; failed and not-taken predecessors drop out of the round's count.
 */
export function reportToJoin(rounds: JoinRound[], report: Report, predecessors: number, join: PlanJoin | null): JoinDecision {
  const from = reporter(report);
  let round = rounds.find((r) => !r.reports.some((existing) => reporter(existing) === from));
  if (!round) {
    round = { reports: [], fired: false };
    rounds.push(round);
  }
  round.reports.push(report);
  const decision = decide(round, predecessors, join);
  if (round.reports.length >= predecessors) rounds.splice(rounds.indexOf(round), 1);
  if (decision.kind === 'wait' && round.fired) return { kind: 'late', from };
  return decision;
}

function decide(round: JoinRound, predecessors: number, join: PlanJoin | null): JoinDecision {
  if (round.fired) return { kind: 'wait' };
  const arrivals = round.reports.flatMap((r) => (r.kind === 'arrived' ? [r.arrival] : []));
  const dropped = round.reports.filter((r) => r.kind !== 'arrived').length;
  const stillIn = predecessors - dropped;
  const everyoneReported = round.reports.length >= predecessors;
  const required = Math.min(requiredArrivals(join, predecessors), stillIn);
  if (arrivals.length > 0 && arrivals.length >= required) {
    round.fired = true;
    const failed = round.reports.flatMap((r) => (r.kind === 'failed' ? [{ from: r.from, type: r.type }] : []));
    return { kind: 'fire', arrivals, failed };
  }
  if (everyoneReported) {
    round.fired = true;
    return { kind: 'dead' };
  }
  return { kind: 'wait' };
}
