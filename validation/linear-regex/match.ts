/**
 * Runs a program over a text by simulating its NFA: all threads advance together, one code
 * point at a time, and a state is entered at most once per position. Work is therefore at
 * most (program size × text length), whatever the pattern, and never backtracks. Steps
 * between state sets already met are remembered (a lazy DFA), so typical patterns cost one
 * table lookup per character.
 */
import { isLineTerminator, isWordCodePoint, setHas } from './char-set.ts';
import { Op, type Program } from './program.ts';

function assertionHolds(kind: number, before: number, after: number): boolean {
  switch (kind) {
    case 0: // start
      return before === -1;
    case 1: // end
      return after === -1;
    case 2: // line-start
      return before === -1 || isLineTerminator(before);
    case 3: // line-end
      return after === -1 || isLineTerminator(after);
    case 4: // word-boundary
      return isWordCodePoint(before) !== isWordCodePoint(after);
    default: // not-word-boundary
      return isWordCodePoint(before) === isWordCodePoint(after);
  }
}

/** Outcome of a run: matched or not, or out of steps (the caller decides what that means). */
export type RunOutcome = 'match' | 'no-match' | 'out-of-steps';

/**
 * State visits a caller allows, shared by the runs it makes: each run takes what it used.
 * A count, not a clock, so the same inputs give the same outcome on replay.
 */
export interface StepBudget {
  remaining: number;
}

/**
 * Whether `program` matches anywhere in `text`. With a budget, a run that would take more
 * state visits than remain stops with `out-of-steps`; what it used is taken off the budget.
 */
export function runProgram(program: Program, text: string, budget?: StepBudget): RunOutcome {
  const outcome = simulate(program, text, budget?.remaining ?? Infinity);
  if (budget) budget.remaining = outcome.outcome === 'out-of-steps' ? 0 : budget.remaining - outcome.steps;
  return outcome.outcome;
}

/** How an assertion sees a neighbouring code point: text end, word character, line terminator, other. */
function contextClass(cp: number): number {
  if (cp === -1) return 0;
  if (isWordCodePoint(cp)) return 1;
  return isLineTerminator(cp) ? 2 : 3;
}

/**
 * Distinct state sets a run remembers transitions for. Past it, new sets are simulated each
 * time (still linear); memory stays at most this × 2 KiB.
 */
const MAX_CACHED_STATES = 1000;

function simulate(program: Program, text: string, maxSteps: number): { outcome: RunOutcome; steps: number } {
  const { ops, a, b, sets, anchoredStart } = program;
  const size = ops.length;
  const mark = new Int32Array(size);
  const stack = new Int32Array(size);
  let generation = 0;
  let steps = 0;

  /** Adds `start` and what it reaches without consuming input to `list`; true on reaching Match. */
  const follow = (list: number[], start: number, before: number, after: number): boolean => {
    if (mark[start] === generation) return false;
    mark[start] = generation;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const pc = stack[--top]!;
      steps++;
      switch (ops[pc]) {
        case Op.Match:
          return true;
        case Op.Char:
          list.push(pc);
          break;
        case Op.Jump:
          if (mark[a[pc]!] !== generation) (mark[a[pc]!] = generation), (stack[top++] = a[pc]!);
          break;
        case Op.Split:
          if (mark[b[pc]!] !== generation) (mark[b[pc]!] = generation), (stack[top++] = b[pc]!);
          if (mark[a[pc]!] !== generation) (mark[a[pc]!] = generation), (stack[top++] = a[pc]!);
          break;
        case Op.Assert:
          if (assertionHolds(a[pc]!, before, after) && mark[pc + 1] !== generation) (mark[pc + 1] = generation), (stack[top++] = pc + 1);
          break;
      }
    }
    return false;
  };

  // The state sets met so far, and for each the set that follows an ASCII character given
  // the class of the character after it (all a step depends on): a lazily built DFA, so a
  // text that revisits states costs one lookup per character instead of a simulation.
  const lists: number[][] = [];
  const transitions: Int32Array[] = [];
  const ids = new Map<string, number>();
  const intern = (list: number[]): number => {
    steps += list.length;
    list.sort((x, y) => x - y);
    const key = list.join(',');
    const known = ids.get(key);
    if (known !== undefined) return known;
    if (lists.length >= MAX_CACHED_STATES) return -1;
    ids.set(key, lists.length);
    lists.push(list);
    transitions.push(new Int32Array(128 * 4).fill(-1));
    return lists.length - 1;
  };

  let position = 0;
  let here = text.length > 0 ? text.codePointAt(0)! : -1;
  generation++;
  let list: number[] = [];
  if (follow(list, 0, -1, here)) return { outcome: 'match', steps };
  let state = intern(list);
  while (here !== -1) {
    if (steps > maxSteps) return { outcome: 'out-of-steps', steps };
    if (list.length === 0 && anchoredStart) return { outcome: 'no-match', steps };
    position += here > 0xffff ? 2 : 1;
    const after = position < text.length ? text.codePointAt(position)! : -1;
    const slot = state >= 0 && here < 128 ? here * 4 + contextClass(after) : -1;
    const cached = slot >= 0 ? transitions[state]![slot]! : -1;
    if (cached >= 0) {
      steps++;
      state = cached;
      list = lists[cached]!;
    } else {
      generation++;
      const next: number[] = [];
      for (const pc of list) {
        steps++;
        if (setHas(sets[a[pc]!]!, here) && follow(next, pc + 1, here, after)) return { outcome: 'match', steps };
      }
      // Unanchored search: a new thread may start at every position.
      if (!anchoredStart && follow(next, 0, here, after)) return { outcome: 'match', steps };
      const nextState = intern(next);
      if (slot >= 0 && nextState >= 0) transitions[state]![slot] = nextState;
      state = nextState;
      list = next;
    }
    here = after;
  }
  return { outcome: 'no-match', steps };
}
