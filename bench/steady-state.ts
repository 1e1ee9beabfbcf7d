/**
 * Side-by-side timing that reaches steady state before it records anything.
 *
 * A Temporal server's queue readers are rate limited with a burst allowance that an idle
 * pause refills, so the first runs after a pause are faster than the ones that follow;
 * JIT warm-up and connection pools skew the first runs of every system the other way. So:
 * systems run alternately (one run each, in turn, `runsPerRound` times a round), each
 * round's median per system is kept, and warm-up rounds go on until, for every system that
 * runs on the server (`settles`), the last `stableRounds` round medians agree within
 * `tolerance` (max/min − 1). (The in-process systems have no such allowance; on a busy
 * machine their few-ms runs are too noisy for a tight bound, so their spread is reported,
 * not waited on.) Only then are
 * `rounds` rounds recorded; each system's figure is the median of all its recorded runs.
 */
export interface System {
  name: string;
  /** One run; resolves with its wall time in ms. */
  run(): Promise<number>;
  /** Warm-up waits for this system's round medians to agree (the systems on the server). */
  settles: boolean;
}

export interface SteadyStateOptions {
  runsPerRound: number;
  rounds: number;
  stableRounds: number;
  tolerance: number;
  maxWarmupRounds: number;
}

export interface SteadyStateResult {
  /** Median wall time of a recorded run, per system name. */
  medians: Record<string, number>;
  warmupRounds: number;
  /** False when `maxWarmupRounds` passed before the settling systems' round medians agreed. */
  stable: boolean;
  /** The spread (max/min − 1) of each system's last `stableRounds` warm-up round medians. */
  spread: Record<string, number>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function round(systems: readonly System[], runs: number): Promise<number[][]> {
  const times = systems.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [index, system] of systems.entries()) times[index]!.push(await system.run());
  }
  return times;
}

const spreadOf = (values: readonly number[]) => Math.max(...values) / Math.min(...values) - 1;

export async function measureSteadyState(systems: readonly System[], o: SteadyStateOptions): Promise<SteadyStateResult> {
  const roundMedians = systems.map(() => [] as number[]);
  let warmupRounds = 0;
  let stable = false;
  while (warmupRounds < o.maxWarmupRounds) {
    const times = await round(systems, o.runsPerRound);
    warmupRounds++;
    times.forEach((runTimes, index) => roundMedians[index]!.push(median(runTimes)));
    stable = roundMedians.every((medians, index) => !systems[index]!.settles || medians.length >= o.stableRounds && spreadOf(medians.slice(-o.stableRounds)) <= o.tolerance);
    if (stable) break;
  }
  const recorded = systems.map(() => [] as number[]);
  for (let r = 0; r < o.rounds; r++) {
    const times = await round(systems, o.runsPerRound);
    times.forEach((runTimes, index) => recorded[index]!.push(...runTimes));
  }
  return {
    medians: Object.fromEntries(systems.map((system, index) => [system.name, median(recorded[index]!)])),
    warmupRounds,
    stable,
    spread: Object.fromEntries(systems.map((system, index) => [system.name, spreadOf(roundMedians[index]!.slice(-o.stableRounds))])),
  };
}
