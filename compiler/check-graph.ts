/**
 * AgentSystem graph checks (Orloj `validateGraph`, `hasGraphCycle`, `hasGraphEntrypoint`,
 * made exact): membership, entry agents, and loops that nothing bounds.
 */
import type { Diagnostic } from './diagnostics.ts';
import type { AgentSystemResource, RouteSpec } from './resources.ts';
import { keyLocation, valueLocation, type ManifestPath, type SourceDocument } from './source-map.ts';

/** What may bound a cycle besides an edge condition: the Task's max_turns. */
export interface CycleBound {
  maxTurns: number;
  /** Said in the message when there is no bound, e.g. "task t sets no max_turns". */
  context: string;
}

export interface GraphSummary {
  /** Listed agents with no incoming route or delegation, in declaration order. */
  entryAgents: string[];
}

function push(diagnostics: Diagnostic[], code: Diagnostic['code'], message: string, location: Diagnostic['location'], path: ManifestPath) {
  diagnostics.push({ code, severity: 'error', message, location, path: [...path] });
}

/**
 * Finds cycles of unconditional routes. A cycle with a conditional route can stop when the
 * condition does not hold; one made only of unconditional routes runs until max_turns.
 * Reports one cycle per group of agents, at the route that closes it.
 */
function findUnboundedCycles(agents: readonly string[], routes: Map<string, RouteSpec[]>): { cycle: string[]; closing: RouteSpec }[] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const found: { cycle: string[]; closing: RouteSpec }[] = [];
  const reported = new Set<string>();
  const visit = (node: string) => {
    state.set(node, 'active');
    stack.push(node);
    for (const route of routes.get(node) ?? []) {
      if (route.condition !== null) continue;
      const next = route.to;
      if (state.get(next) === 'active') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        if (!cycle.some((agent) => reported.has(agent))) {
          found.push({ cycle, closing: route });
          for (const agent of cycle) reported.add(agent);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const agent of agents) if (!state.has(agent)) visit(agent);
  return found;
}

/** Delegation must terminate: a supervisor that (indirectly) delegates to itself never would. */
function findDelegationCycle(agents: readonly string[], delegates: Map<string, { to: string; path: ManifestPath }[]>) {
  const state = new Map<string, 'active' | 'done'>();
  const found: { from: string; to: string; path: ManifestPath }[] = [];
  const visit = (node: string) => {
    state.set(node, 'active');
    for (const edge of delegates.get(node) ?? []) {
      if (state.get(edge.to) === 'active') found.push({ from: node, ...edge });
      else if (!state.has(edge.to)) visit(edge.to);
    }
    state.set(node, 'done');
  };
  for (const agent of agents) if (!state.has(agent)) visit(agent);
  return found;
}

/** Checks one system's graph; appends diagnostics and returns its entry agents. */
export function checkGraph(system: AgentSystemResource, source: SourceDocument, bound: CycleBound, diagnostics: Diagnostic[]): GraphSummary {
  const { agents, graph } = system.spec;
  const name = system.key;
  if (agents.length === 0) {
    push(diagnostics, 'NO_ENTRY_AGENT', `AgentSystem ${name} lists no agents`, keyLocation(source, ['spec', 'agents']), ['spec', 'agents']);
    return { entryAgents: [] };
  }
  const listed = new Set<string>();
  agents.forEach((agent, index) => {
    if (listed.has(agent)) {
      push(diagnostics, 'INVALID_VALUE', `agent "${agent}" is listed twice in AgentSystem ${name}`, valueLocation(source, ['spec', 'agents', index]), ['spec', 'agents', index]);
    }
    listed.add(agent);
  });

  const routes = new Map<string, RouteSpec[]>();
  const delegates = new Map<string, { to: string; path: ManifestPath }[]>();
  const incoming = new Set<string>();
  for (const [node, spec] of Object.entries(graph)) {
    const nodePath = ['spec', 'graph', node];
    if (!listed.has(node)) {
      push(diagnostics, 'AGENT_NOT_IN_SYSTEM', `graph node "${node}" is not listed in spec.agents of ${name}`, keyLocation(source, nodePath), nodePath);
      continue;
    }
    const valid: RouteSpec[] = [];
    for (const route of spec.routes) {
      if (!listed.has(route.to)) {
        push(diagnostics, 'AGENT_NOT_IN_SYSTEM', `edge "${node}" -> "${route.to}" points to an agent not listed in spec.agents of ${name}`, valueLocation(source, route.path), route.path);
        continue;
      }
      valid.push(route);
      incoming.add(route.to);
    }
    routes.set(node, valid);
    const delegateEdges: { to: string; path: ManifestPath }[] = [];
    spec.delegates.forEach((delegate, index) => {
      const path = [...nodePath, 'delegates', index];
      if (!listed.has(delegate)) {
        push(diagnostics, 'AGENT_NOT_IN_SYSTEM', `"${node}" delegates to "${delegate}", which is not listed in spec.agents of ${name}`, valueLocation(source, path), path);
        return;
      }
      delegateEdges.push({ to: delegate, path });
      // A delegate runs when its supervisor calls it, never from the task input.
      incoming.add(delegate);
    });
    delegates.set(node, delegateEdges);
  }

  if (bound.maxTurns <= 0) {
    for (const { cycle, closing } of findUnboundedCycles(agents, routes)) {
      push(
        diagnostics,
        'UNBOUNDED_CYCLE',
        `cycle ${cycle.join(' -> ')} in ${name} is unbounded: ${bound.context}; set the Task's max_turns > 0 or put a condition on an edge of the cycle`,
        valueLocation(source, closing.path),
        closing.path,
      );
    }
  }
  for (const { from, to, path } of findDelegationCycle(agents, delegates)) {
    push(diagnostics, 'UNBOUNDED_CYCLE', `delegation cycle in ${name}: "${from}" delegates back to "${to}"`, valueLocation(source, path), path);
  }

  const entryAgents = agents.filter((agent, index) => !incoming.has(agent) && agents.indexOf(agent) === index);
  // Orloj's kickoff with no zero-indegree agent (a cyclic graph): the first agent in declaration order.
  return { entryAgents: entryAgents.length > 0 ? entryAgents : agents.slice(0, 1) };
}
