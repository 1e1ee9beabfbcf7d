/**
 * Sets of code points for the linear regex engine: sorted, merged ranges plus a negation
 * and a case-insensitivity flag, with an ASCII table precomputed because almost all text the
 * engine sees is ASCII and the per-character test is the inner loop of matching.
 */

/** The highest Unicode code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** A union of inclusive code point ranges, flattened `[lo0, hi0, lo1, hi1, …]`. */
export type Ranges = number[];

/** `\d`: ASCII digits, as in JavaScript (and RE2). */
export const DIGIT: Ranges = [0x30, 0x39];
/** `\w`: ASCII letters, digits and `_`, as in JavaScript. */
export const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
/** `\s`: JavaScript's WhiteSpace and LineTerminator code points. */
export const SPACE: Ranges = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000,
  0xfeff, 0xfeff,
];
/** What `.` does not match without the `s` flag: JavaScript's line terminators. */
export const LINE_TERMINATOR: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

/** Sorts and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

/** The code points not in `ranges` (which must be normalized). */
export function complementRanges(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

function inRanges(ranges: Ranges, cp: number): boolean {
  // Binary search over the pairs: classes such as \S have many ranges after complementing.
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[mid * 2]!) hi = mid - 1;
    else if (cp > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The single code point a case mapping gives, or `cp` when it maps to several (`ß` → `SS`). */
function mapped(cp: number, upper: boolean): number {
  const text = String.fromCodePoint(cp);
  // toLowerCase/toUpperCase are locale-independent (unlike the toLocale* variants): deterministic.
  const result = upper ? text.toUpperCase() : text.toLowerCase();
  const first = result.codePointAt(0)!;
  return result.length === String.fromCodePoint(first).length ? first : cp;
}

/** A compiled set: what one "match a character" instruction tests. */
export interface CharSet {
  readonly ranges: Ranges;
  readonly negated: boolean;
  /** Case-insensitive: a code point matches when it, or its lower- or upper-case form, is in the ranges. */
  readonly caseless: boolean;
  /** The answer for each ASCII code point, precomputed. */
  readonly ascii: Uint8Array;
}

function rawTest(ranges: Ranges, negated: boolean, caseless: boolean, cp: number): boolean {
  let hit = inRanges(ranges, cp);
  if (!hit && caseless) hit = inRanges(ranges, mapped(cp, false)) || inRanges(ranges, mapped(cp, true));
  return hit !== negated;
}

/** Builds a set from (unnormalized) ranges. */
export function charSet(ranges: Ranges, negated = false, caseless = false): CharSet {
  const normalized = normalizeRanges(ranges);
  const ascii = new Uint8Array(128);
  for (let cp = 0; cp < 128; cp++) ascii[cp] = rawTest(normalized, negated, caseless, cp) ? 1 : 0;
  return { ranges: normalized, negated, caseless, ascii };
}

/** Whether `cp` is in the set. */
export function setHas(set: CharSet, cp: number): boolean {
  if (cp < 128) return set.ascii[cp] === 1;
  return rawTest(set.ranges, set.negated, set.caseless, cp);
}

/** `\w` membership, for the word-boundary assertions; -1 (no character) is not a word character. */
export function isWordCodePoint(cp: number): boolean {
  return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f;
}

/** Line terminators, for `^`/`$` under the `m` flag. */
export function isLineTerminator(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029;
}
