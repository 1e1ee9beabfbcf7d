/**
 * Compiles a parsed pattern into a Thompson NFA program: one instruction per character
 * test, split, jump or assertion. Repetition is expanded (`x{2,4}` is `xx(x(x)?)?`), so the
 * program's size, bounded here, bounds the work per input character.
 */
import type { CharSet } from './char-set.ts';
import type { AssertionKind, RegexNode } from './parse.ts';

/** Instruction opcodes. */
export const Op = {
  /** Consume one code point in `sets[a]`, then go on at pc + 1. */
  Char: 0,
  /** Go on at both `a` and `b`. */
  Split: 1,
  /** Go on at `a`. */
  Jump: 2,
  /** Go on at pc + 1 when assertion `ASSERTIONS[a]` holds here. */
  Assert: 3,
  /** The pattern matched. */
  Match: 4,
} as const;
/** One of the opcodes. */
export type Op = (typeof Op)[keyof typeof Op];

/** Assertion kinds by number, as `Op.Assert` instructions refer to them. */
export const ASSERTIONS: readonly AssertionKind[] = ['start', 'end', 'line-start', 'line-end', 'word-boundary', 'not-word-boundary'];

/**
 * The most instructions a program may have. Matching costs at most this much per input
 * character; RE2-like repetition bounds make it reachable only by patterns far larger than
 * a routing condition needs.
 */
export const MAX_INSTRUCTIONS = 5000;

/** A compiled pattern. */
export interface Program {
  readonly ops: Uint8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly sets: readonly CharSet[];
  /** Every match starts at the beginning of the text (the pattern begins with `^`, without `m`). */
  readonly anchoredStart: boolean;
}

class TooLarge extends Error {}

class Emitter {
  readonly ops: number[] = [];
  readonly a: number[] = [];
  readonly b: number[] = [];
  readonly sets: CharSet[] = [];

  emit(op: Op, a = 0, b = 0): number {
    if (this.ops.length >= MAX_INSTRUCTIONS) throw new TooLarge();
    this.ops.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.ops.length - 1;
  }

  get next(): number {
    return this.ops.length;
  }

  node(node: RegexNode): void {
    switch (node.type) {
      case 'empty':
        return;
      case 'set':
        this.sets.push(node.set);
        this.emit(Op.Char, this.sets.length - 1);
        return;
      case 'assert':
        this.emit(Op.Assert, ASSERTIONS.indexOf(node.kind));
        return;
      case 'concat':
        for (const item of node.items) this.node(item);
        return;
      case 'alternate': {
        const exits: number[] = [];
        node.options.forEach((option, index) => {
          if (index === node.options.length - 1) return this.node(option);
          const split = this.emit(Op.Split, 0, 0);
          this.a[split] = this.next;
          this.node(option);
          exits.push(this.emit(Op.Jump));
          this.b[split] = this.next;
        });
        for (const exit of exits) this.a[exit] = this.next;
        return;
      }
      case 'repeat':
        return this.repeat(node.item, node.min, node.max);
    }
  }

  private repeat(item: RegexNode, min: number, max: number): void {
    for (let i = 0; i < min; i++) this.node(item);
    if (max === Infinity) {
      const loop = this.emit(Op.Split, 0, 0);
      this.a[loop] = this.next;
      this.node(item);
      this.emit(Op.Jump, loop);
      this.b[loop] = this.next;
      return;
    }
    // The optional copies all skip to one exit: x{0,3} is (x(x(x)?)?)?.
    const splits: number[] = [];
    for (let i = min; i < max; i++) {
      const split = this.emit(Op.Split, 0, 0);
      this.a[split] = this.next;
      splits.push(split);
      this.node(item);
    }
    for (const split of splits) this.b[split] = this.next;
  }
}

function startsAnchored(node: RegexNode): boolean {
  if (node.type === 'assert') return node.kind === 'start';
  if (node.type === 'concat') return node.items.length > 0 && startsAnchored(node.items[0]!);
  if (node.type === 'alternate') return node.options.every(startsAnchored);
  return false;
}

/** Compiles `node`, or null when the program would exceed `MAX_INSTRUCTIONS`. */
export function compileProgram(node: RegexNode): Program | null {
  const emitter = new Emitter();
  try {
    emitter.node(node);
    emitter.emit(Op.Match);
  } catch (error) {
    if (error instanceof TooLarge) return null;
    throw error;
  }
  return {
    ops: Uint8Array.from(emitter.ops),
    a: Int32Array.from(emitter.a),
    b: Int32Array.from(emitter.b),
    sets: emitter.sets,
    anchoredStart: startsAnchored(node),
  };
}
