/**
 * The static shape of a plan's graph, computed once per run: successors, and each node's
 * predecessors split into forward edges and back edges (edges that close a cycle, found
 * by a depth-first walk from the entry agents in declaration order, so it is deterministic).
 *
 * Joins count forward and back predecessors separately: a node waits for all (or a quorum
 * of) its forward predecessors to start, and a loop comes back to it through its back edges.
 */
import type { Plan } from '../contract/plan.ts';

export interface GraphShape {
  forwardPredecessors: Map<string, string[]>;
  backPredecessors: Map<string, string[]>;
  /** `from->to` keys of back edges. */
  backEdges: Set<string>;
}

export function edgeKey(from: string, to: string): string {
  return `${from}->${to}`;
}

export function graphShape(plan: Plan): GraphShape {
  const backEdges = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string): void => {
    state.set(node, 'open');
    for (const edge of plan.graph[node]?.edges ?? []) {
      const seen = state.get(edge.to);
      if (seen === 'open') backEdges.add(edgeKey(node, edge.to));
      else if (seen === undefined) visit(edge.to);
    }
    state.set(node, 'done');
  };
  for (const entry of plan.entryAgents) if (!state.has(entry)) visit(entry);
  for (const agent of Object.keys(plan.agents)) if (!state.has(agent)) visit(agent);

  const forwardPredecessors = new Map<string, string[]>();
  const backPredecessors = new Map<string, string[]>();
  for (const [from, node] of Object.entries(plan.graph)) {
    for (const edge of node.edges) {
      const map = backEdges.has(edgeKey(from, edge.to)) ? backPredecessors : forwardPredecessors;
      const list = map.get(edge.to) ?? [];
      if (!list.includes(from)) list.push(from);
      map.set(edge.to, list);
    }
  }
  return { forwardPredecessors, backPredecessors, backEdges };
}
