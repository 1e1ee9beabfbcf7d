/**
 * Maps paths inside a parsed manifest back to YAML nodes, so every diagnostic can point at
 * the exact key or value a user wrote (`file:line:col`), even when the schema saw the
 * canonical snake_case spelling of a camelCase key.
 */
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { SourceLocation } from './diagnostics.ts';

/** One YAML document of one file, as loaded. */
export interface SourceDocument {
  /** The file as the user named it (relative stays relative). */
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Loaded from `overrides`: replaces same-named resources instead of clashing with them. */
  fromOverride: boolean;
  /** Each alias and the node it names, found once while loading (yaml's lookup scans the document). */
  aliasTargets?: ReadonlyMap<Alias, Node>;
}

export type ManifestPath = readonly (string | number)[];

const isUpper = (c: string | undefined) => c !== undefined && c >= 'A' && c <= 'Z';
const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * The canonical spelling of a field name: camelCase becomes snake_case (`modelRef` →
 * `model_ref`, `tokenURL` → `token_url`), so aliases are derived, never hand-listed. An
 * underscore goes before an upper-case letter that follows a lower-case letter or a digit,
 * or that ends a run of capitals and starts a word (`URLPath` → `url_path`). One pass over
 * the characters: a backtracking regex took quadratic time on a long run of capitals.
 */
export function canonicalKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i += 1) {
    const c = key[i]!;
    const before = key[i - 1];
    if (isUpper(c) && (isLower(before) || isDigit(before) || (isUpper(before) && isLower(key[i + 1])))) out += '_';
    out += c;
  }
  return out.toLowerCase();
}

/** 1-based location of a node's first character; the document start when there is no node. */
export function locationOf(source: SourceDocument, node: Node | null | undefined): SourceLocation {
  const offset = node?.range?.[0] ?? source.doc.contents?.range?.[0] ?? 0;
  const { line, col } = source.lineCounter.linePos(offset);
  // linePos reports line 0 for a file without newlines; editors call that line 1.
  return { file: source.file, line: Math.max(line, 1), column: Math.max(col, 1) };
}


interface Found {
  /** The node the whole path leads to, if it exists. */
  node: Node | null;
  /** When the path leads into a map: the key node of its last segment. */
  keyNode: Node | null;
  /** The deepest node that does exist on the way (for fields that are missing). */
  nearest: Node | null;
  /** The key node of the deepest existing map entry on the way. */
  nearestKey: Node | null;
}

function resolveAlias(source: SourceDocument, node: unknown): unknown {
  if (!isAlias(node)) return node;
  return source.aliasTargets ? source.aliasTargets.get(node) : node.resolve(source.doc);
}

interface KeyIndex {
  exact: Map<string, Pair>;
  canonical: Map<string, Pair>;
}

/** Per map, its pairs by key: looking keys up one by one made many diagnostics in a big map quadratic. */
const keyIndexes = new WeakMap<YAMLMap, KeyIndex>();

function keyIndex(map: YAMLMap): KeyIndex {
  let index = keyIndexes.get(map);
  if (index) return index;
  index = { exact: new Map(), canonical: new Map() };
  for (const pair of map.items) {
    if (!isScalar(pair.key)) continue;
    const spelled = String(pair.key.value);
    // The first pair wins, as a search from the top of the map would find it.
    if (!index.exact.has(spelled)) index.exact.set(spelled, pair);
    const canonical = canonicalKey(spelled);
    if (!index.canonical.has(canonical)) index.canonical.set(canonical, pair);
  }
  keyIndexes.set(map, index);
  return index;
}

/**
 * Walks `path` through the document. Map keys match exactly first, then by canonical
 * spelling, because schemas report canonical names while free-form maps keep theirs.
 */
export function findPath(source: SourceDocument, path: ManifestPath): Found {
  let current: unknown = source.doc.contents;
  let keyNode: Node | null = null;
  let nearest: Node | null = (current as Node | null) ?? null;
  let nearestKey: Node | null = null;
  for (const segment of path) {
    current = resolveAlias(source, current);
    keyNode = null;
    if (isMap(current)) {
      const wanted = String(segment);
      const index = keyIndex(current as YAMLMap);
      const pair = index.exact.get(wanted) ?? index.canonical.get(wanted);
      if (!pair) return { node: null, keyNode: null, nearest, nearestKey };
      keyNode = pair.key as Node;
      nearestKey = keyNode;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      current = current.items[segment];
    } else {
      return { node: null, keyNode: null, nearest, nearestKey };
    }
    if (current === null || current === undefined) return { node: null, keyNode, nearest, nearestKey };
    nearest = current as Node;
  }
  return { node: (current as Node | null) ?? null, keyNode, nearest, nearestKey };
}

/** Where the value at `path` is; falls back to its key, then to the nearest existing ancestor. */
export function valueLocation(source: SourceDocument, path: ManifestPath): SourceLocation {
  const found = findPath(source, path);
  return locationOf(source, found.node ?? found.keyNode ?? found.nearestKey ?? found.nearest);
}

/** Where the key of the entry at `path` is; falls back to its value (list items have no key). */
export function keyLocation(source: SourceDocument, path: ManifestPath): SourceLocation {
  const found = findPath(source, path);
  return locationOf(source, found.keyNode ?? found.node ?? found.nearestKey ?? found.nearest);
}

/**
 * Where to report a field that is absent or empty: its own key when it is written but empty
 * (`model_ref:`), else the key of the nearest ancestor that exists (`spec:`).
 */
export function missingLocation(source: SourceDocument, path: ManifestPath): SourceLocation {
  const found = findPath(source, path);
  return locationOf(source, found.keyNode ?? found.nearestKey ?? found.nearest);
}

/** True when `path` leads to nothing, or to an empty (null) scalar. */
export function isAbsent(source: SourceDocument, path: ManifestPath): boolean {
  const { node } = findPath(source, path);
  return node === null || (isScalar(node) && node.value === null);
}
