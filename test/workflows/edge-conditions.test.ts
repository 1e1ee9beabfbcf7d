/**
 * `output_matches` in edge conditions runs on the linear regex engine: the pattern that
 * hangs a backtracking RegExp ends at once, and matching is bounded by a step budget that
 * the edges of one output share.
 */
import { describe, expect, it } from 'vitest';
import type { PlanEdge } from '../../contract/plan.ts';
import { conditionHolds, firingEdges } from '../../workflows/edge-conditions.ts';

const edge = (to: string, outputMatches?: string, isDefault = false): PlanEdge => ({
  to,
  condition: isDefault ? { default: true } : outputMatches === undefined ? null : { outputMatches },
  labels: {},
  foreach: null,
});

describe('output_matches', () => {
  it('does not hold for the ReDoS pattern on the repro text, and answers at once', () => {
    const started = performance.now();
    expect(conditionHolds({ outputMatches: '^(\\w+\\s?)*$' }, 'a'.repeat(40) + '!')).toBe(false);
    expect(conditionHolds({ outputMatches: '^(\\w+\\s?)*$' }, 'a'.repeat(1_000_000) + '!')).toBe(false);
    expect(conditionHolds({ outputMatches: '^(\\w+\\s?)*$' }, 'all good here')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('matches like RegExp.test, on the JSON text of structured outputs', () => {
    expect(conditionHolds({ outputMatches: 'APPROVED|LGTM' }, 'Verdict: LGTM')).toBe(true);
    expect(conditionHolds({ outputMatches: '"score":\\s*9\\d' }, { score: 95 })).toBe(true);
    expect(conditionHolds({ outputMatches: '^(?i:approved)$' }, 'Approved')).toBe(true);
    expect(conditionHolds({ outputMatches: '^approved$' }, 'Approved')).toBe(false);
  });

  it('does not hold for a pattern the engine refuses (the compiler rejects those; no backtracking fallback)', () => {
    expect(conditionHolds({ outputMatches: '(a)\\1' }, 'aa')).toBe(false);
    expect(conditionHolds({ outputMatches: '(?=a)a' }, 'a')).toBe(false);
  });

  it('lets the edges of one output share a step budget, so routing one output is bounded', () => {
    // On this aperiodic text each costly pattern keeps ~200 states live and never repeats a
    // state set: one of them alone spends the whole budget.
    let seed = 7;
    const text = Array.from({ length: 200_000 }, () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >> 16) & 1 ? 'a' : 'b').join('');
    const costly = Array.from({ length: 5 }, (_, i) => edge(`costly${i}`, `[ab]*a[ab]{${200 + i}}!`));
    const started = performance.now();
    const fired = firingEdges([edge('cheap-first', '^[ab]'), ...costly, edge('cheap-after', '^[ab]'), edge('fallback', undefined, true)], text);
    // A match cut short by the budget does not hold: what comes after the budget is spent does not fire.
    expect(fired.map((e) => e.to)).toEqual(['cheap-first']);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('fires the default edge when no regex condition holds', () => {
    const fired = firingEdges([edge('b', '^(\\w+\\s?)*$'), edge('c', undefined, true), edge('d')], 'a'.repeat(40) + '!');
    expect(fired.map((e) => e.to)).toEqual(['c', 'd']);
  });
});
