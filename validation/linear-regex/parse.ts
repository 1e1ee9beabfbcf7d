/**
 * Parser for the regex subset the linear engine runs: JavaScript syntax (what users test
 * their patterns with) minus what needs backtracking. Backreferences and lookaround are
 * recognised so they can be refused by name; everything else either parses or is a syntax
 * error. Patterns are read by code point, like JavaScript's `u` mode and RE2.
 */
import { charSet, complementRanges, DIGIT, LINE_TERMINATOR, MAX_CODE_POINT, normalizeRanges, SPACE, WORD, type CharSet, type Ranges } from './char-set.ts';

/** Assertions: zero-width tests of the characters around a position. */
export type AssertionKind = 'start' | 'end' | 'line-start' | 'line-end' | 'word-boundary' | 'not-word-boundary';

/** The parsed pattern. Groups leave no node of their own: only matching matters, not captures. */
export type RegexNode =
  | { type: 'empty' }
  | { type: 'set'; set: CharSet }
  | { type: 'assert'; kind: AssertionKind }
  | { type: 'concat'; items: RegexNode[] }
  | { type: 'alternate'; options: RegexNode[] }
  | { type: 'repeat'; item: RegexNode; min: number; max: number };

/**
 * Why a pattern was refused: `syntax` for a malformed pattern, `unsupported` for a valid
 * JavaScript construct the engine will not run (backreferences, lookaround, property
 * escapes) or a pattern over the engine's size bounds.
 */
export interface RegexError {
  kind: 'syntax' | 'unsupported';
  message: string;
  /** Code point offset in the pattern where the problem starts. */
  offset: number;
}

/** The largest `{n,m}` count: RE2's bound, which keeps the compiled program bounded. */
export const MAX_REPEAT = 1000;
/** Group nesting bound, so parsing and compiling (both recursive) cannot exhaust the stack. */
export const MAX_NESTING = 100;

interface Flags {
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
}

class Failure extends Error {
  readonly detail: RegexError;
  constructor(detail: RegexError) {
    super(detail.message);
    this.detail = detail;
  }
}

const isDigit = (cp: number | undefined) => cp !== undefined && cp >= 0x30 && cp <= 0x39;
const isHex = (cp: number | undefined) => cp !== undefined && /[0-9a-fA-F]/.test(String.fromCodePoint(cp));
const isAsciiAlphanumeric = (cp: number) => /[0-9A-Za-z]/.test(String.fromCodePoint(cp));
const ch = (text: string) => text.codePointAt(0)!;

/** A class escape's ranges (`\d` …), or null when the letter is not one. */
function classEscape(letter: number): Ranges | null {
  switch (String.fromCodePoint(letter)) {
    case 'd':
      return DIGIT;
    case 'D':
      return complementRanges(DIGIT);
    case 'w':
      return WORD;
    case 'W':
      return complementRanges(WORD);
    case 's':
      return SPACE;
    case 'S':
      return complementRanges(normalizeRanges(SPACE));
    default:
      return null;
  }
}

const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c };

class Parser {
  private readonly cps: number[];
  private pos = 0;

  constructor(pattern: string) {
    this.cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  }

  private fail(kind: RegexError['kind'], message: string, offset = this.pos): never {
    throw new Failure({ kind, message, offset });
  }

  private peek(ahead = 0): number | undefined {
    return this.cps[this.pos + ahead];
  }

  private at(text: string, ahead = 0): boolean {
    return this.peek(ahead) === ch(text);
  }

  parsePattern(): RegexNode {
    const flags: Flags = { ignoreCase: false, multiline: false, dotAll: false };
    const node = this.parseAlternation(flags, 0);
    if (this.pos < this.cps.length) this.fail('syntax', 'unmatched )');
    return node;
  }

  /** `a|b|c` up to a `)` or the end. `flags` is this group's: `(?i)` inside changes it for the rest of the group. */
  private parseAlternation(flags: Flags, depth: number): RegexNode {
    const options = [this.parseConcat(flags, depth)];
    while (this.at('|')) {
      this.pos++;
      options.push(this.parseConcat(flags, depth));
    }
    return options.length === 1 ? options[0]! : { type: 'alternate', options };
  }

  private parseConcat(flags: Flags, depth: number): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.cps.length && !this.at('|') && !this.at(')')) {
      const start = this.pos;
      const atom = this.parseAtom(flags, depth);
      if (atom === null) continue;
      items.push(this.parseQuantifiers(atom, start));
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? items[0]! : { type: 'concat', items };
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current position, or null when the brace is a literal (as in JavaScript). */
  private braces(): { min: number; max: number; length: number } | null {
    let i = this.pos + 1;
    const number = () => {
      const from = i;
      while (isDigit(this.cps[i])) i++;
      return i > from ? Number(String.fromCodePoint(...this.cps.slice(from, i))) : null;
    };
    const min = number();
    if (min === null) return null;
    let max = min;
    if (this.cps[i] === ch(',')) {
      i++;
      max = number() ?? Infinity;
    }
    if (this.cps[i] !== ch('}')) return null;
    return { min, max, length: i + 1 - this.pos };
  }

  private parseQuantifiers(atom: RegexNode, start: number): RegexNode {
    const quantifier = this.peek();
    let min: number;
    let max: number;
    if (quantifier === ch('*')) [min, max] = [0, Infinity];
    else if (quantifier === ch('+')) [min, max] = [1, Infinity];
    else if (quantifier === ch('?')) [min, max] = [0, 1];
    else if (quantifier === ch('{') && this.braces()) {
      const braces = this.braces()!;
      ({ min, max } = braces);
      if (max < min) this.fail('syntax', `numbers out of order in {${min},${max}} quantifier`);
      if (max !== Infinity ? max > MAX_REPEAT : min > MAX_REPEAT) {
        this.fail('unsupported', `repetition count over ${MAX_REPEAT}`);
      }
      this.pos += braces.length - 1;
    } else return atom;
    this.pos++;
    // A bare ^ $ \b \B cannot be quantified (as in JavaScript); a group holding one can.
    if (atom.type === 'assert' && this.cps[start] !== ch('(')) this.fail('syntax', 'nothing to repeat: an assertion cannot be quantified', start);
    // A lazy quantifier prefers fewer repetitions; whether the text matches is the same.
    if (this.at('?')) this.pos++;
    const next = this.peek();
    if (next === ch('*') || next === ch('+') || next === ch('?') || (next === ch('{') && this.braces())) {
      this.fail('syntax', 'nothing to repeat: a quantifier follows a quantifier (possessive quantifiers are not supported)');
    }
    return { type: 'repeat', item: atom, min, max };
  }

  private literal(cp: number, flags: Flags): RegexNode {
    return { type: 'set', set: charSet([cp, cp], false, flags.ignoreCase) };
  }

  /** One atom, or null for a flag group `(?i)` that only changes the flags. */
  private parseAtom(flags: Flags, depth: number): RegexNode | null {
    const cp = this.peek()!;
    switch (String.fromCodePoint(cp)) {
      case '(':
        return this.parseGroup(flags, depth);
      case '[':
        return this.parseClass(flags);
      case '.':
        this.pos++;
        return { type: 'set', set: flags.dotAll ? charSet([0, MAX_CODE_POINT]) : charSet(LINE_TERMINATOR, true) };
      case '^':
        this.pos++;
        return { type: 'assert', kind: flags.multiline ? 'line-start' : 'start' };
      case '$':
        this.pos++;
        return { type: 'assert', kind: flags.multiline ? 'line-end' : 'end' };
      case '\\':
        return this.parseEscape(flags);
      case '*':
      case '+':
      case '?':
        return this.fail('syntax', 'nothing to repeat');
      case '{':
        if (this.braces()) this.fail('syntax', 'nothing to repeat');
        break;
    }
    this.pos++;
    return this.literal(cp, flags);
  }

  private parseFlagLetters(): Partial<Flags> | null {
    const set: Partial<Flags> = {};
    let on = true;
    let any = false;
    for (;;) {
      const letter = this.peek();
      if (letter === ch('-') && on) on = false;
      else if (letter === ch('i')) set.ignoreCase = on;
      else if (letter === ch('m')) set.multiline = on;
      else if (letter === ch('s')) set.dotAll = on;
      else break;
      any = any || letter !== ch('-');
      this.pos++;
    }
    return any ? set : null;
  }

  private parseGroup(flags: Flags, depth: number): RegexNode | null {
    const start = this.pos;
    if (depth >= MAX_NESTING) this.fail('unsupported', `groups nested deeper than ${MAX_NESTING}`);
    this.pos++;
    let inner: Flags = { ...flags };
    if (this.at('?')) {
      this.pos++;
      if (this.at('=') || this.at('!')) this.fail('unsupported', 'lookahead (?= or (?! needs backtracking and is not supported', start);
      if (this.at('<') && (this.at('=', 1) || this.at('!', 1))) {
        this.fail('unsupported', 'lookbehind (?<= or (?<! needs backtracking and is not supported', start);
      }
      if (this.at('<') || (this.at('P') && this.at('<', 1))) {
        // A named group: names only label captures, which a yes/no match does not need.
        this.pos += this.at('P') ? 2 : 1;
        const nameStart = this.pos;
        while (this.peek() !== undefined && /[\w$]/.test(String.fromCodePoint(this.peek()!))) this.pos++;
        if (this.pos === nameStart || isDigit(this.cps[nameStart]) || !this.at('>')) this.fail('syntax', 'invalid group name', nameStart);
        this.pos++;
      } else if (this.at(':')) {
        this.pos++;
      } else {
        const changed = this.parseFlagLetters();
        if (changed === null) this.fail('syntax', 'invalid group: expected (?:, (?<name>, or flags i, m, s', start);
        if (this.at(')')) {
          // RE2's (?i): the flags hold for the rest of the enclosing group.
          this.pos++;
          Object.assign(flags, changed);
          return null;
        }
        if (!this.at(':')) this.fail('syntax', 'invalid flag group: expected : or )');
        this.pos++;
        inner = { ...flags, ...changed };
      }
    }
    const node = this.parseAlternation(inner, depth + 1);
    if (!this.at(')')) this.fail('syntax', 'unterminated group', start);
    this.pos++;
    return node;
  }

  private hexDigits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const digit = this.peek();
      if (!isHex(digit)) this.fail('syntax', 'invalid hexadecimal escape');
      value = value * 16 + parseInt(String.fromCodePoint(digit!), 16);
      this.pos++;
    }
    return value;
  }

  /** `\uHHHH` (joining an escaped surrogate pair) or `\u{H…}`, after the `u`. */
  private unicodeEscape(): number {
    if (this.at('{')) {
      this.pos++;
      const from = this.pos;
      let value = 0;
      while (isHex(this.peek())) {
        value = value * 16 + parseInt(String.fromCodePoint(this.peek()!), 16);
        if (value > MAX_CODE_POINT) this.fail('syntax', 'code point out of range in \\u{…}', from);
        this.pos++;
      }
      if (this.pos === from || !this.at('}')) this.fail('syntax', 'invalid \\u{…} escape', from);
      this.pos++;
      return value;
    }
    const high = this.hexDigits(4);
    if (high >= 0xd800 && high <= 0xdbff && this.at('\\') && this.at('u', 1)) {
      const save = this.pos;
      this.pos += 2;
      const low = [0, 1, 2, 3].every((k) => isHex(this.peek(k))) ? this.hexDigits(4) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      this.pos = save;
    }
    return high;
  }

  /**
   * The escape at `\`: a code point, a set's ranges, or an assertion. `inClass` changes
   * `\b` (backspace there, as in JavaScript) and forbids `\B`.
   */
  private escape(inClass: boolean): { cp: number } | { ranges: Ranges } | { assert: AssertionKind } {
    const start = this.pos;
    this.pos++;
    const letter = this.peek();
    if (letter === undefined) this.fail('syntax', 'pattern ends with a lone \\', start);
    this.pos++;
    const name = String.fromCodePoint(letter);
    const ranges = classEscape(letter);
    if (ranges) return { ranges };
    if (name === 'b') return inClass ? { cp: 0x08 } : { assert: 'word-boundary' };
    if (name === 'B' && !inClass) return { assert: 'not-word-boundary' };
    if (name in CONTROL_ESCAPES) return { cp: CONTROL_ESCAPES[name]! };
    if (name >= '1' && name <= '9') this.fail('unsupported', `backreference \\${name} is not supported (it needs backtracking)`, start);
    if (name === 'k' && this.at('<')) this.fail('unsupported', 'named backreference \\k<…> is not supported (it needs backtracking)', start);
    if (name === '0') {
      if (isDigit(this.peek())) this.fail('unsupported', 'octal escapes are not supported; use \\xHH', start);
      return { cp: 0 };
    }
    if (name === 'p' || name === 'P') this.fail('unsupported', `Unicode property escape \\${name}{…} is not supported`, start);
    if (name === 'x') return { cp: this.hexDigits(2) };
    if (name === 'u') return { cp: this.unicodeEscape() };
    if (name === 'c') {
      const control = this.peek();
      if (control === undefined || !/[A-Za-z]/.test(String.fromCodePoint(control))) this.fail('syntax', 'invalid \\c escape: expected a letter', start);
      this.pos++;
      return { cp: control % 32 };
    }
    if (isAsciiAlphanumeric(letter)) this.fail('syntax', `unknown escape \\${name}`, start);
    // Any other escaped character stands for itself (\. \* \- \/ …).
    return { cp: letter };
  }

  private parseEscape(flags: Flags): RegexNode {
    const escape = this.escape(false);
    if ('assert' in escape) return { type: 'assert', kind: escape.assert };
    if ('ranges' in escape) return { type: 'set', set: charSet(escape.ranges, false, flags.ignoreCase) };
    return this.literal(escape.cp, flags);
  }

  /** One class member: a code point (which may start a range) or a class escape's ranges. */
  private classAtom(): { cp: number } | { ranges: Ranges } {
    if (!this.at('\\')) return { cp: this.cps[this.pos++]! };
    const escape = this.escape(true);
    if ('assert' in escape) this.fail('syntax', `\\B is not valid in a character class`);
    return escape as { cp: number } | { ranges: Ranges };
  }

  private parseClass(flags: Flags): RegexNode {
    const start = this.pos;
    this.pos++;
    const negated = this.at('^');
    if (negated) this.pos++;
    const ranges: Ranges = [];
    // As in JavaScript, `[]` matches nothing and `[^]` anything: a `]` right away closes the class.
    while (!this.at(']')) {
      if (this.pos >= this.cps.length) this.fail('syntax', 'unterminated character class', start);
      const memberStart = this.pos;
      const first = this.classAtom();
      if (this.at('-') && !this.at(']', 1) && this.peek(1) !== undefined) {
        this.pos++;
        const second = this.classAtom();
        if (!('cp' in first) || !('cp' in second)) this.fail('syntax', 'a character class escape cannot bound a range', memberStart);
        if (first.cp > second.cp) this.fail('syntax', 'range out of order in character class', memberStart);
        ranges.push(first.cp, second.cp);
      } else if ('cp' in first) ranges.push(first.cp, first.cp);
      else ranges.push(...first.ranges);
    }
    this.pos++;
    return { type: 'set', set: charSet(ranges, negated, flags.ignoreCase) };
  }
}

/** Parses `pattern`, or says why it cannot run on the linear engine. */
export function parseRegex(pattern: string): { ok: true; node: RegexNode } | { ok: false; error: RegexError } {
  try {
    return { ok: true, node: new Parser(pattern).parsePattern() };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, error: error.detail };
    throw error;
  }
}
