/**
 * AgentSystem graph checks (Orloj `validateGraph`, `hasGraphCycle`, `hasGraphEntrypoint`,
 * made exact): membership, entry agents, and loops that nothing bounds.
 */
import type { Diagnostic } from './diagnostics.ts';
import type { AgentSystemResource, RouteSpec } from './resources.ts';
import { keyLocation, valueLocation, type ManifestPath, type SourceDocument } from './source-map.ts';
import { delegateToolName } from '../contract/plan.ts';

/** What may bound a cycle besides an edge condition: the Task's max_turns. */
export interface CycleBound {
  maxTurns: number;
  /** Said in the message when there is no bound, e.g. "task t sets no max_turns". */
  context: string;
}

/** What the graph checks need to know of a listed agent (undefined when it does not resolve). */
export interface GraphAgentInfo {
  /** The agent sets `execution.output_schema`, so its output is JSON. */
  hasOutputSchema: boolean;
  /** The names the model sees for the agent's own tools. */
  toolNames: string[];
}

export type GraphAgentLookup = (listed: string) => GraphAgentInfo | undefined;


export interface GraphSummary {
  /** Listed agents with no incoming route or delegation, in declaration order. */
  entryAgents: string[];
}

function push(diagnostics: Diagnostic[], code: Diagnostic['code'], message: string, location: Diagnostic['location'], path: ManifestPath) {
  diagnostics.push({ code, severity: 'error', message, location, path: [...path] });
}

/**
 * A route that fires after every activation of its source: an unconditional one, or a
 * `default` one on a node with no other conditional route (nothing can match before it).
 */
function alwaysFires(route: RouteSpec, siblings: readonly RouteSpec[]): boolean {
  if (route.condition === null) return true;
  return route.condition.default === true && !siblings.some((r) => r.condition !== null && r.condition.default !== true);
}

/**
 * Depth-first search without recursion (a chain of thousands of agents must not exhaust the
 * stack): calls `edge(from, to, index)` for each edge in the order a recursive search would
 * follow them, with `onPath(to)` true while `to` is on the current path (a back edge).
 */
function depthFirst(
  roots: readonly string[],
  successors: (node: string) => readonly string[],
  edge: (from: string, index: number, onPath: boolean) => void,
  path: { enter(node: string): void; leave(node: string): void } = { enter() {}, leave() {} },
): void {
  const state = new Map<string, 'active' | 'done'>();
  const frames: { node: string; next: readonly string[]; index: number }[] = [];
  const open = (node: string) => {
    state.set(node, 'active');
    path.enter(node);
    frames.push({ node, next: successors(node), index: 0 });
  };
  for (const root of roots) {
    if (state.has(root)) continue;
    open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.index >= frame.next.length) {
        frames.pop();
        path.leave(frame.node);
        state.set(frame.node, 'done');
        continue;
      }
      const index = frame.index;
      frame.index += 1;
      const to = frame.next[index]!;
      const seen = state.get(to);
      edge(frame.node, index, seen === 'active');
      if (seen === undefined) open(to);
    }
  }
}

/**
 * Finds cycles of routes that always fire. A cycle with a conditional route can stop when
 * the condition does not hold; one made only of routes that always fire runs until max_turns.
 * Reports one cycle per group of agents, at the route that closes it.
 */
function findUnboundedCycles(agents: readonly string[], routes: Map<string, RouteSpec[]>): { cycle: string[]; closing: RouteSpec }[] {
  const firing = new Map<string, RouteSpec[]>();
  for (const [node, outgoing] of routes) firing.set(node, outgoing.filter((route) => alwaysFires(route, outgoing)));
  const stack: string[] = [];
  const position = new Map<string, number>();
  const found: { cycle: string[]; closing: RouteSpec }[] = [];
  const reported = new Set<string>();
  depthFirst(
    agents,
    (node) => (firing.get(node) ?? []).map((route) => route.to),
    (from, index, onPath) => {
      if (!onPath) return;
      const closing = firing.get(from)![index]!;
      const cycle = [...stack.slice(position.get(closing.to)), closing.to];
      if (cycle.some((agent) => reported.has(agent))) return;
      found.push({ cycle, closing });
      for (const agent of cycle) reported.add(agent);
    },
    {
      enter(node) {
        position.set(node, stack.length);
        stack.push(node);
      },
      leave(node) {
        stack.pop();
        position.delete(node);
      },
    },
  );
  return found;
}

/** Delegation must terminate: a supervisor that (indirectly) delegates to itself never would. */
function findDelegationCycle(agents: readonly string[], delegates: Map<string, { to: string; path: ManifestPath }[]>) {
  const found: { from: string; to: string; path: ManifestPath }[] = [];
  depthFirst(
    agents,
    (node) => (delegates.get(node) ?? []).map((edge) => edge.to),
    (from, index, onPath) => {
      if (onPath) found.push({ from, ...delegates.get(from)![index]! });
    },
  );
  return found;
}

/** Checks one system's graph; appends diagnostics and returns its entry agents. */
export function checkGraph(
  system: AgentSystemResource,
  source: SourceDocument,
  bound: CycleBound,
  agentInfo: GraphAgentLookup,
  diagnostics: Diagnostic[],
): GraphSummary {
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
    const info = agentInfo(node);
    const valid: RouteSpec[] = [];
    for (const route of spec.routes) {
      if (!listed.has(route.to)) {
        push(diagnostics, 'AGENT_NOT_IN_SYSTEM', `edge "${node}" -> "${route.to}" points to an agent not listed in spec.agents of ${name}`, valueLocation(source, route.path), route.path);
        continue;
      }
      if (route.foreach !== null && info && !info.hasOutputSchema) {
        // Only `edges[i]` carry foreach, and their path ends at `to`: foreach sits beside it.
        const path = [...route.path.slice(0, -1), 'foreach'];
        diagnostics.push({
          code: 'FOREACH_WITHOUT_OUTPUT_SCHEMA',
          severity: 'warning',
          message: `edge "${node}" -> "${route.to}" fans out over ${route.foreach}, but "${node}" sets no execution.output_schema, so its output may not be JSON`,
          location: valueLocation(source, path),
          path,
        });
      }
      valid.push(route);
      incoming.add(route.to);
    }
    routes.set(node, valid);
    const delegateEdges: { to: string; path: ManifestPath }[] = [];
    const seen = new Set<string>();
    spec.delegates.forEach((delegate, index) => {
      const path = [...nodePath, 'delegates', index];
      const at = valueLocation(source, path);
      if (!listed.has(delegate)) {
        push(diagnostics, 'AGENT_NOT_IN_SYSTEM', `"${node}" delegates to "${delegate}", which is not listed in spec.agents of ${name}`, at, path);
        return;
      }
      if (seen.has(delegate)) {
        push(diagnostics, 'INVALID_VALUE', `"${node}" lists delegate "${delegate}" twice`, at, path);
        return;
      }
      seen.add(delegate);
      const tool = delegateToolName(delegate);
      if (info?.toolNames.includes(tool)) {
        push(diagnostics, 'INVALID_VALUE', `"${node}" delegates to "${delegate}" through a tool named "${tool}", but already has a tool of that name`, at, path);
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

  const entryAgents = [...listed].filter((agent) => !incoming.has(agent));
  if (entryAgents.length > 0) return { entryAgents };
  // Orloj's kickoff with no zero-indegree agent (a cyclic graph): the first agent in declaration
  // order, passing over delegates, which only ever run when their supervisor calls them.
  const delegated = new Set([...delegates.values()].flat().map((edge) => edge.to));
  const first = agents.find((agent) => !delegated.has(agent)) ?? agents[0];
  return { entryAgents: first === undefined ? [] : [first] };
}
