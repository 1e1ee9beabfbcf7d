/**
 * Checks one parsed YAML document before anything turns it into data, in one iterative walk
 * (linear in the document, whatever its shape): duplicate keys, aliases that contain
 * themselves, alias bombs, and nesting deeper than readers of the data can follow.
 *
 * yaml's own duplicate-key check compares every key with every earlier one (a 40,000-key map
 * took ~25 s), so documents are parsed with `uniqueKeys: false` and keys are checked here,
 * with the same located diagnostic yaml gave. Likewise yaml resolves each alias by scanning
 * every anchored node before it, so anchors no alias uses are dropped once the walk is done.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type Node } from 'yaml';
import type { Diagnostic, DiagnosticCode, SourceLocation } from './diagnostics.ts';
import { MAX_ALIAS_EXPANSION, MAX_ALIASES_PER_DOCUMENT, MAX_NESTING_DEPTH } from './limits.ts';

/** What the walk learnt: `ok` is false when the document must not be turned into data. */
export interface YamlTreeCheck {
  ok: boolean;
  /** Every alias and the node it names (yaml's own lookup scans the document per alias). */
  aliasTargets: Map<Alias, Node>;
}

/** A collection being walked, with its expanded size and height so far. */
interface Frame {
  node: Node;
  children: (Node | null)[];
  next: number;
  /** Collections from the document root down to and including this one. */
  depth: number;
  /** Nodes once aliases are expanded (capped: only the comparison with the bound matters). */
  size: number;
  /** Collection levels below and including this one, once aliases are expanded. */
  height: number;
}

interface Expanded {
  size: number;
  height: number;
}

const CAP = MAX_ALIAS_EXPANSION * 2;

/** The key as it will be spelled in the JavaScript object yaml builds, for scalar keys. */
function keyText(key: unknown): string | null {
  if (!isScalar(key)) return null;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

/** Keys and values of a map's pairs, items of a list (pairs in `!!omap` lists alike). */
function childrenOf(node: Node): (Node | null)[] {
  const out: (Node | null)[] = [];
  if (!isMap(node) && !isSeq(node)) return out;
  for (const item of node.items as unknown[]) {
    if (isPair(item)) out.push(item.key as Node | null, item.value as Node | null);
    else out.push(item as Node | null);
  }
  return out;
}

/**
 * Walks `doc`, appending located diagnostics to `out`. `locate` turns a source offset into a
 * location. Duplicate keys and alias cycles are all reported; a bound is reported once, where
 * it is first crossed, and ends the walk.
 */
export function checkYamlTree(doc: Document.Parsed, locate: (offset: number) => SourceLocation, out: Diagnostic[]): YamlTreeCheck {
  const aliasTargets = new Map<Alias, Node>();
  const anchors = new Map<string, Node>();
  const anchored: Node[] = [];
  const expanded = new Map<Node, Expanded>();
  const open = new Set<Node>();
  let ok = true;
  let aliases = 0;
  let aliasNodes = 0;
  const report = (code: DiagnosticCode, message: string, node: Node | null | undefined) => {
    out.push({ code, severity: 'error', message, location: locate(node?.range?.[0] ?? 0) });
    ok = false;
  };
  const root = doc.contents as Node | null;
  if (!root) return { ok, aliasTargets };

  const stack: Frame[] = [];
  /** Adds a finished child's expanded size and height to the collection that holds it. */
  const addToParent = (size: number, height: number) => {
    const parent = stack[stack.length - 1];
    if (!parent) return;
    parent.size = Math.min(CAP, parent.size + size);
    parent.height = Math.max(parent.height, height + 1);
  };
  /** Visits one node: returns false when a bound is crossed and the walk must stop. */
  const enter = (node: Node | null, depth: number): boolean => {
    if (!node) return true;
    if (node.anchor) {
      anchors.set(node.anchor, node);
      anchored.push(node);
    }
    if (isAlias(node)) {
      aliases += 1;
      if (aliases > MAX_ALIASES_PER_DOCUMENT) {
        report('YAML_ALIAS_LIMIT', `more than ${MAX_ALIASES_PER_DOCUMENT} aliases in one document`, node);
        return false;
      }
      const target = anchors.get(node.source);
      // An unknown anchor is yaml's own error; the document never gets here with one.
      if (!target) return true;
      aliasTargets.set(node, target);
      if (open.has(target)) {
        const at = locate(target.range?.[0] ?? 0);
        report('YAML_ALIAS_CYCLE', `alias *${node.source} is inside the node its anchor &${node.source} names (line ${at.line}, column ${at.column}), so the value would contain itself`, node);
        return true;
      }
      const size = expanded.get(target) ?? { size: 1, height: 0 };
      aliasNodes += size.size;
      if (aliasNodes > MAX_ALIAS_EXPANSION) {
        report('YAML_ALIAS_LIMIT', `aliases in this document expand to more than ${MAX_ALIAS_EXPANSION} nodes`, node);
        return false;
      }
      if (depth - 1 + size.height > MAX_NESTING_DEPTH) {
        report('NESTING_TOO_DEEP', `alias *${node.source} nests maps and lists more than ${MAX_NESTING_DEPTH} levels deep`, node);
        return false;
      }
      addToParent(size.size, size.height);
      return true;
    }
    if (!isMap(node) && !isSeq(node)) {
      expanded.set(node, { size: 1, height: 0 });
      addToParent(1, 0);
      return true;
    }
    if (depth > MAX_NESTING_DEPTH) {
      report('NESTING_TOO_DEEP', `maps and lists nest more than ${MAX_NESTING_DEPTH} levels deep here`, node);
      return false;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const text = keyText(pair.key);
        if (text === null) continue;
        if (seen.has(text)) report('YAML_SYNTAX', 'Map keys must be unique', pair.key as Node);
        seen.add(text);
      }
    }
    open.add(node);
    stack.push({ node, children: childrenOf(node), next: 0, depth, size: 1, height: 1 });
    return true;
  };

  if (!enter(root, 1)) return { ok, aliasTargets };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next]!;
      frame.next += 1;
      if (!enter(child, frame.depth + 1)) return { ok, aliasTargets };
      continue;
    }
    stack.pop();
    open.delete(frame.node);
    expanded.set(frame.node, { size: frame.size, height: frame.height });
    addToParent(frame.size, frame.height);
  }
  // Every alias still finds the same node: the one it names is kept, and it is the last anchor
  // of its name before the alias. The data is unchanged; only the scans get short.
  const used = new Set(aliasTargets.values());
  for (const node of anchored) if (!used.has(node)) delete node.anchor;
  return { ok, aliasTargets };
}
