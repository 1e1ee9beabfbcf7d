/**
 * The linear regex engine: the same answers as JavaScript's RegExp (`u` flag) on the subset
 * it runs, checked on a seeded generated corpus and on hand-picked cases; refusals of what
 * needs backtracking; and the patterns that hang a backtracking engine finishing in linear
 * work.
 */
import { describe, expect, it } from 'vitest';
import { compileRegex, MAX_INSTRUCTIONS, regexMatches, runRegex, type LinearRegex } from '../../validation/linear-regex/index.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

function compiled(pattern: string): LinearRegex {
  const result = compileRegex(pattern);
  if (!result.ok) throw new Error(`${pattern}: ${result.error.message}`);
  return result.regex;
}


/** A long aperiodic string of a and b, so no small set of states repeats. */
function pseudoRandomAb(length: number): string {
  const next = seededRandom(99);
  return Array.from({ length }, () => (next() < 0.5 ? 'a' : 'b')).join('');
}

const ALPHABET = ['a', 'b', 'c', 'A', 'B', '1', ' ', '!', '\n', '-', 'é', 'É', '😀'];

/** Random patterns over the supported subset, in syntax JavaScript's `u` mode also accepts. */
function generatePattern(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let groups = 0;
  const literal = () => pick(['a', 'b', 'c', 'A', '1', ' ', '!', '\\n', '\\.', '\\/', 'é', '😀', '\\x41', '\\u0062', '\\u{1F600}']);
  const classItem = () => pick(['a', 'b', 'a-c', 'A-Z', '0-9', '\\d', '\\w', '\\s', '\\W', ' ', '!', '\\-', 'é', '😀', '\\n']);
  const atom = (depth: number): string => {
    const roll = next();
    if (roll < 0.35 || depth > 3) return literal();
    if (roll < 0.45) return '.';
    if (roll < 0.6) return `[${next() < 0.3 ? '^' : ''}${Array.from({ length: 1 + Math.floor(next() * 3) }, classItem).join('')}]`;
    if (roll < 0.7) return pick(['\\d', '\\w', '\\s', '\\D', '\\W', '\\S']);
    const group = pick(['(', '(?:', `(?<n${groups++}>`]);
    return `${group}${alternation(depth + 1)})`;
  };
  const quantified = (depth: number): string => {
    if (next() < 0.12) return pick(['^', '$', '\\b', '\\B']);
    const base = atom(depth);
    const roll = next();
    if (roll < 0.55) return base;
    const quantifier = pick(['*', '+', '?', '{2}', '{0,2}', '{1,}', '{1,3}', '{0}']);
    return base + quantifier + (next() < 0.3 ? '?' : '');
  };
  const concat = (depth: number): string => Array.from({ length: Math.floor(next() * 4) }, () => quantified(depth)).join('');
  const alternation = (depth: number): string => {
    const options = [concat(depth)];
    while (next() < 0.25 && options.length < 4) options.push(concat(depth));
    return options.join('|');
  };
  return alternation(0);
}

function generateText(next: () => number): string {
  return Array.from({ length: Math.floor(next() * 10) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]!).join('');
}

describe('linear regex: same answers as JavaScript RegExp', () => {
  it('on a seeded generated corpus of patterns and texts', () => {
    const next = seededRandom(20_250_901);
    const differences: string[] = [];
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const pattern = generatePattern(next);
      // Flags go on the reference RegExp as flags, not as (?i:…) groups: V8's optimizing regex
      // compiler mishandles modifier groups once a pattern has run a few times (it applies
      // (?i:…) outside its group), which would make the reference, not the engine, wrong.
      const flags = ['', '', '', 'i', 'm', 's', 'im', 'is', 'ims'][Math.floor(next() * 9)]!;
      const reference = new RegExp(pattern, `${flags}u`);
      const regex = compiled(flags === '' ? pattern : `(?${flags})${pattern}`);
      for (let j = 0; j < 12; j++) {
        const text = generateText(next);
        checked++;
        // V8 tries an empty match between the halves of a surrogate pair (/\B/u matches inside
        // "1😀c" at index 2); the engine only stops at code point boundaries, like RE2.
        if (pattern.includes('\\B') && text.includes('😀')) continue;
        if (reference.test(text) !== regexMatches(regex, text)) differences.push(`/${pattern}/${flags} on ${JSON.stringify(text)}`);
      }
    }
    expect(checked).toBe(36_000);
    expect(differences.slice(0, 10)).toEqual([]);
  });

  it('on long texts, where remembered state transitions are reused (patterns without nested repetition)', () => {
    const next = seededRandom(4242);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const differences: string[] = [];
    for (let i = 0; i < 1500; i++) {
      // Quantifiers on single characters only, so the backtracking reference stays fast on 60 characters.
      const atom = () => {
        const base = pick(['a', 'b', ' ', '.', '[ab]', '[^a]', '\\w', '\\s', '\\b', '^', '$']);
        // Assertions stay unquantified (JavaScript refuses ^* and the like).
        return ['\\b', '^', '$'].includes(base) ? base : base + pick(['', '', '*', '+', '?', '{2}', '{1,3}', '*?']);
      };
      const pattern = Array.from({ length: 1 + Math.floor(next() * 5) }, atom).join('') + (next() < 0.3 ? `|${pick(['ab', 'b a', 'aaa'])}` : '');
      const flags = pick(['', 'i', 'm']);
      const reference = new RegExp(pattern, `${flags}u`);
      const regex = compiled(flags === '' ? pattern : `(?${flags})${pattern}`);
      for (let j = 0; j < 8; j++) {
        const text = Array.from({ length: Math.floor(next() * 60) }, () => pick(['a', 'a', 'b', ' ', 'A', '\n'])).join('');
        if (reference.test(text) !== regexMatches(regex, text)) differences.push(`/${pattern}/${flags} on ${JSON.stringify(text)}`);
      }
    }
    expect(differences.slice(0, 10)).toEqual([]);
  });

  const cases: [string, string[]][] = [
    ['^(\\w+\\s?)*$', ['aaa bbb', 'aaa!', '', ' a']],
    ['APPROVED|LGTM', ['Verdict: APPROVED.', 'lgtm', 'LGT M']],
    ['\\bfoo\\b', ['foo', 'afoo', 'a foo.', 'foobar']],
    ['\\Bfoo', ['foo', 'afoo']],
    ['^score: [89]\\d$', ['score: 85', 'score: 75', 'score: 850']],
    ['a{2,3}$', ['a', 'aa', 'aaaa']],
    ['^a{2,3}$', ['a', 'aa', 'aaa', 'aaaa']],
    ['^(?:ab)*?c', ['ababc', 'abac']],
    ['(?i:hello) World', ['HeLLo World', 'hello world']],
    ['[]', ['a', '']],
    ['[^]', ['a', '']],
    ['^.$', ['😀', '\n', 'ab', '\r', '\u2028']],
    ['(?s:^.$)', ['\n']],
    ['(?m:^b$)', ['a\nb\nc', 'abc']],
    ['^b$', ['a\nb']],
    ['\\uD83D\\uDE00', ['x😀']],
    ['[\\b]', ['\b', 'b']],
    ['\\cJ', ['\n']],
    ['\\0', ['\0', '0']],
    ['^[\\d\\s]+$', ['1 2\t3', '1a']],
    ['^\\S+$', ['abc', 'a c', '\u00a0']],
    ['[-a]+|[a-]', ['-', 'a-a']],
    ['(a*)*b', ['aaab', 'aaa']],
    ['(|a)+b', ['b', 'aab', 'c']],
    ['x*', ['']],
    ['^$', ['', 'a']],
    ['[^\\d\\s]', ['1 2', '1 x']],
    ['(?i)[a-c]+$', ['ABC', 'abd']],
    ['[é-ë]', ['ê', 'e']],
    ['\\//\\\\', ['//\\', '/\\']],
    ['\\x41\\u{42}', ['AB', 'ab']],
  ];
  it.each(cases)('%j', (pattern, texts) => {
    const regex = compiled(pattern);
    // (?i) as a prefix is RE2's spelling; JavaScript writes it as (?i:…) around the rest.
    const reference = pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'iu') : new RegExp(pattern, 'u');
    for (const text of texts) expect(regexMatches(regex, text), JSON.stringify(text)).toBe(reference.test(text));
  });

  it('reads braces that are no quantifier as literals, as JavaScript does without the u flag', () => {
    for (const [pattern, text] of [['a{,3}', 'a{,3}'], ['a{x}', 'a{x}'], ['}', '}'], [']', ']'], ['a{1', 'a{1']]) {
      expect(regexMatches(compiled(pattern!), text!)).toBe(new RegExp(pattern!).test(text!));
    }
  });

  it('treats lazy quantifiers like greedy ones: laziness changes a match, never whether there is one', () => {
    for (const text of ['', 'aab', 'ba']) {
      expect(regexMatches(compiled('^a*?b'), text)).toBe(regexMatches(compiled('^a*b'), text));
      expect(regexMatches(compiled('a{1,3}?$'), text)).toBe(/a{1,3}$/.test(text));
    }
  });

  it('applies a mid-pattern (?i) to the rest of its group, including later alternatives (RE2)', () => {
    expect(regexMatches(compiled('^(a(?i)b|c)$'), 'aB')).toBe(true);
    expect(regexMatches(compiled('^(a(?i)b|c)$'), 'C')).toBe(true);
    expect(regexMatches(compiled('^(a(?i)b|c)$'), 'AB')).toBe(false);
    expect(regexMatches(compiled('^(?i)a(?-i:b)$'), 'Ab')).toBe(true);
    expect(regexMatches(compiled('^(?i)a(?-i:b)$'), 'AB')).toBe(false);
  });
});

describe('linear regex: what it refuses', () => {
  const refusals: [string, 'syntax' | 'unsupported', number][] = [
    ['(a)\\1', 'unsupported', 3],
    ['(?<n>a)\\k<n>', 'unsupported', 7],
    ['x(?=a)', 'unsupported', 1],
    ['(?!a)', 'unsupported', 0],
    ['b(?<=a)', 'unsupported', 1],
    ['(?<!a)b', 'unsupported', 0],
    ['\\p{L}', 'unsupported', 0],
    ['\\P{Lu}', 'unsupported', 0],
    ['\\012', 'unsupported', 0],
    ['a{1001}', 'unsupported', 1],
    ['a{2,1001}', 'unsupported', 1],
    ['a{1001,}', 'unsupported', 1],
    ['(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))', 'unsupported', 100],
    ['a**', 'syntax', 2],
    ['a{2}+', 'syntax', 4],
    ['*a', 'syntax', 0],
    ['{2}', 'syntax', 0],
    ['^*', 'syntax', 0],
    ['(', 'syntax', 0],
    ['a)', 'syntax', 1],
    ['[a', 'syntax', 0],
    ['[b-a]', 'syntax', 1],
    ['[\\d-z]', 'syntax', 1],
    ['a{3,2}', 'syntax', 1],
    ['\\q', 'syntax', 0],
    ['\\', 'syntax', 0],
    ['\\x4', 'syntax', 3],
    ['\\u{110000}', 'syntax', 3],
    ['(?x)', 'syntax', 0],
    ['(?<1a>x)', 'syntax', 3],
  ];
  it.each(refusals)('%j is %s at offset %i', (pattern, kind, offset) => {
    const result = compileRegex(pattern);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ kind, offset });
  });

  it('bounds the compiled program, however repetitions nest', () => {
    expect(compileRegex('\\w{0,1000}').ok).toBe(true);
    const nested = compileRegex('((a{1000}){1000}){1000}');
    expect(nested.ok).toBe(false);
    if (!nested.ok) expect(nested.error.message).toContain(String(MAX_INSTRUCTIONS));
  });
});

describe('linear regex: work is linear in the text', () => {
  const pathological: [string, string][] = [
    ['^(\\w+\\s?)*$', 'a'.repeat(40) + '!'],
    ['^(\\w+\\s?)*$', 'a'.repeat(100_000) + '!'],
    ['(a+)+b', 'a'.repeat(100_000)],
    ['(a|a)*b', 'a'.repeat(100_000)],
    ['(x+x+)+y', 'x'.repeat(100_000)],
    ['^(a|aa)*$', 'a'.repeat(100_000) + 'b'],
    ['(.*a){12}', 'a'.repeat(50_000)],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.repeat(1000)],
    // Too many distinct state sets to remember (2^20): every character is simulated.
    ['[ab]*a[ab]{20}!', pseudoRandomAb(50_000)],
  ];
  it.each(pathological)('%j ends in linear work', (pattern, text) => {
    const regex = compiled(pattern);
    const started = performance.now();
    const budget = { remaining: Number.MAX_SAFE_INTEGER };
    expect(runRegex(regex, text, budget)).toBe(pattern === '(.*a){12}' ? 'match' : 'no-match');
    const steps = Number.MAX_SAFE_INTEGER - budget.remaining;
    // The bound that makes it linear: at each position an instruction is entered at most
    // once, tested at most once, and filed in the remembered state set at most once.
    expect(steps).toBeLessThanOrEqual(3 * regex.program.ops.length * (text.length + 1));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops a run that would exceed its step budget, and takes the budget', () => {
    const regex = compiled('\\w{0,1000}!');
    const budget = { remaining: 1_000_000 };
    const started = performance.now();
    expect(runRegex(regex, 'a'.repeat(1_000_000), budget)).toBe('out-of-steps');
    expect(budget.remaining).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
    // What a run used comes off a shared budget; an exhausted one stops the next run.
    const shared = { remaining: 100 };
    expect(runRegex(compiled('b'), 'aaab', shared)).toBe('match');
    expect(shared.remaining).toBeGreaterThan(0);
    expect(shared.remaining).toBeLessThan(100);
    expect(runRegex(compiled('b'), 'a'.repeat(1000), { remaining: 0 })).toBe('out-of-steps');
  });

  it('stops early when an anchored pattern can no longer match', () => {
    const budget = { remaining: Number.MAX_SAFE_INTEGER };
    expect(runRegex(compiled('^ab'), 'x'.repeat(1_000_000), budget)).toBe('no-match');
    expect(Number.MAX_SAFE_INTEGER - budget.remaining).toBeLessThan(10);
  });
});
