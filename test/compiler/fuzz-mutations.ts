/**
 * Seeded mutations of manifest text for the compiler fuzzer: each takes a manifest and a
 * random source and returns a variant aimed at one weakness (syntax, aliases, nesting,
 * prototype keys, numbers, Unicode, types, structure). Same seed, same inputs.
 */

/** A seeded random source (mulberry32): small, fast, and the same on every machine. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

export interface Mutation {
  name: string;
  apply(text: string, random: Random): string;
}

const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__'];
const ODD_VALUES = [
  '[]', '{}', 'null', '~', 'true', 'false', '0', '-1', '42', '3.5', '""', '"x"', '[a, b]', '{a: 1}', '{__proto__: {polluted: true}}',
  '1e400', '-1e400', '.inf', '-.inf', '.nan', '9007199254740993', '0x7fffffff', '0o17', '-0', '1_000', '123456789012345678901234567890',
  '"\\u202Eevil"', '"a\\nb: c"', '"\\e[2K\\e[1A"', '"\\0\\x7f\\x9b"', '"👩‍💻"', '"é́́"', '"\\ud800"', '!!binary aGVsbG8=', '!!set {a, b}',
  '!!timestamp 2001-12-14', '!custom x', '!!str 1', '!!int "x"', '&anchor x', '*undefined_alias', '|\n  block', '>-\n  folded',
];
const INTERESTING_CHARS = [':', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '#', '"', "'", '\n', ' ', '\t', '%', '@', '`', '\\', ',', '?', '\u0000', '\u202e', '\ufeff', 'é', '\r'];

function lines(text: string): string[] {
  return text.split('\n');
}

/** Indentation of a line, for inserting a sibling key. */
function indentOf(line: string): string {
  return /^[ -]*/.exec(line)![0].replace(/-/g, ' ');
}

/** Lines holding `key: value`, with the index where the value starts. */
function valueLines(all: readonly string[]): { index: number; at: number }[] {
  const out: { index: number; at: number }[] = [];
  all.forEach((line, index) => {
    const match = /^(\s*(?:- )?[\w"'$.-]+:\s)\S/.exec(line);
    if (match && !line.trimStart().startsWith('#')) out.push({ index, at: match[1]!.length });
  });
  return out;
}

function replaceValue(text: string, random: Random, value: (old: string) => string): string {
  const all = lines(text);
  const candidates = valueLines(all);
  if (candidates.length === 0) return text;
  const { index, at } = random.pick(candidates);
  const line = all[index]!;
  all[index] = line.slice(0, at) + value(line.slice(at));
  return all.join('\n');
}

function nested(depth: number, open: string, close: string, inner = 'x'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Aliases of aliases, ten times wider at each level. */
function aliasBomb(levels: number): string {
  const out = ['{l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i += 1) out.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  return `${out.join(', ')}}`;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'flip a character',
    apply(text, random) {
      if (text.length === 0) return text;
      const at = random.below(text.length);
      return text.slice(0, at) + random.pick(INTERESTING_CHARS) + text.slice(at + 1);
    },
  },
  {
    name: 'insert a character',
    apply(text, random) {
      const at = random.below(text.length + 1);
      return text.slice(0, at) + random.pick(INTERESTING_CHARS) + text.slice(at);
    },
  },
  {
    name: 'delete a line',
    apply(text, random) {
      const all = lines(text);
      all.splice(random.below(all.length), 1);
      return all.join('\n');
    },
  },
  {
    name: 'duplicate a line',
    apply(text, random) {
      const all = lines(text);
      const at = random.below(all.length);
      all.splice(at, 0, all[at]!);
      return all.join('\n');
    },
  },
  {
    name: 'swap two lines',
    apply(text, random) {
      const all = lines(text);
      const a = random.below(all.length);
      const b = random.below(all.length);
      [all[a], all[b]] = [all[b]!, all[a]!];
      return all.join('\n');
    },
  },
  {
    name: 'truncate',
    apply(text, random) {
      return text.slice(0, random.below(text.length + 1));
    },
  },
  {
    name: 'duplicate a document',
    apply(text, random) {
      const docs = text.split(/^---$/m);
      docs.splice(random.below(docs.length), 0, random.pick(docs));
      return docs.join('---');
    },
  },
  {
    name: 'anchor a value and alias it elsewhere',
    apply(text, random) {
      const all = lines(text);
      const candidates = valueLines(all);
      if (candidates.length < 2) return text;
      const first = random.pick(candidates);
      const second = random.pick(candidates);
      const [from, to] = first.index <= second.index ? [first, second] : [second, first];
      all[from.index] = `${all[from.index]!.slice(0, from.at)}&fz ${all[from.index]!.slice(from.at)}`;
      all[to.index] = `${all[to.index]!.slice(0, to.at)}*fz`;
      return all.join('\n');
    },
  },
  {
    name: 'recursive alias',
    apply(text, random) {
      return replaceValue(text, random, () => random.pick(['&r [*r]', '&r {a: *r}', '&r {a: [{b: *r}]}', '&r [&s [*s, *r]]']));
    },
  },
  {
    name: 'alias bomb',
    apply(text, random) {
      return replaceValue(text, random, () => aliasBomb(3 + random.below(8)));
    },
  },
  {
    name: 'deep nesting',
    apply(text, random) {
      const depth = random.pick([20, 99, 101, 150, 1000, 3000]);
      return replaceValue(text, random, () => (random.below(2) === 0 ? nested(depth, '[', ']') : nested(depth, '{a: ', '}')));
    },
  },
  {
    name: 'odd key',
    apply(text, random) {
      const all = lines(text);
      const at = random.below(all.length);
      all.splice(at + 1, 0, `${indentOf(all[at]!)}${random.pick(ODD_KEYS)}: ${random.pick(ODD_VALUES)}`);
      return all.join('\n');
    },
  },
  {
    name: 'odd value',
    apply(text, random) {
      return replaceValue(text, random, () => random.pick(ODD_VALUES));
    },
  },
  {
    name: 'odd name',
    apply(text, random) {
      const name = random.pick(['__proto__', 'constructor', 'toString', 'a/b', '""', '" "', 'a'.repeat(5000), '"\\e[31mred"', 'x\u202e']);
      return text.replace(/name: .*/, `name: ${name}`);
    },
  },
  {
    name: 'camelCase a key',
    apply(text, random) {
      const all = lines(text);
      const candidates = all.map((line, index) => ({ line, index })).filter(({ line }) => /^\s*[a-z]+_[a-z_]+:/.test(line));
      if (candidates.length === 0) return text;
      const { line, index } = random.pick(candidates);
      const camel = line.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      // Either respelled, or both spellings side by side (a DUPLICATE_FIELD).
      if (random.below(2) === 0) all[index] = camel;
      else all.splice(index + 1, 0, camel);
      return all.join('\n');
    },
  },
  {
    name: 'YAML 1.1 directive',
    apply(text) {
      return `%YAML 1.1\n---\n${text}`;
    },
  },
  {
    name: 'many keys',
    apply(text, random) {
      const count = random.pick([50, 500, 2000]);
      const keys = Array.from({ length: count }, (_, i) => `k${i % (random.below(2) === 0 ? count : count - 1)}: ${i}`);
      return replaceValue(text, random, () => `{${keys.join(', ')}}`);
    },
  },
];

/** One to `most` mutations of `seed` (one to three by default), with the names of those applied. */
export function mutate(seed: string, random: Random, most = 3): { text: string; applied: string[] } {
  let text = seed;
  const applied: string[] = [];
  const count = 1 + random.below(most);
  for (let i = 0; i < count; i += 1) {
    const mutation = random.pick(MUTATIONS);
    text = mutation.apply(text, random);
    applied.push(mutation.name);
  }
  return { text, applied };
}
