/**
 * AgentSystem normalization: routes in Orloj's order (`next` first, then `edges`,
 * de-duplicated), join defaults, edge conditions checked for meaning, and the implied
 * chain of a system without a graph.
 */
import type { PlanCondition } from '../../contract/plan.ts';
import type { AgentSystemSpec, GraphNodeSpec, RouteSpec } from '../resources.ts';
import type { AgentSystemSpecInput, ConditionInput } from '../schemas/agent-system.ts';
import type { ManifestPath } from '../source-map.ts';
import type { Reporter } from './reporter.ts';

const COMPARISONS = ['equals', 'not_equals', 'contains', 'greater_than', 'less_than'] as const;

function normalizeCondition(input: ConditionInput, path: ManifestPath, report: Reporter): PlanCondition | null {
  const out: PlanCondition = {};
  if (input.output_contains !== undefined) out.outputContains = input.output_contains;
  if (input.output_not_contains !== undefined) out.outputNotContains = input.output_not_contains;
  if (input.output_matches !== undefined) out.outputMatches = input.output_matches;
  if (input.output_json_path !== undefined) out.outputJsonPath = input.output_json_path;
  if (input.equals !== undefined) out.equals = input.equals;
  if (input.not_equals !== undefined) out.notEquals = input.not_equals;
  if (input.contains !== undefined) out.contains = input.contains;
  if (input.greater_than !== undefined) out.greaterThan = input.greater_than;
  if (input.less_than !== undefined) out.lessThan = input.less_than;

  const comparisons = COMPARISONS.filter((field) => input[field] !== undefined);
  if (comparisons.length > 0 && input.output_json_path === undefined) {
    report('MISSING_FIELD', `condition.${comparisons[0]} compares a value read by condition.output_json_path, which is missing`, [...path, 'output_json_path'], 'missing');
  }
  if (input.output_json_path !== undefined && comparisons.length === 0) {
    report('INVALID_VALUE', `condition.output_json_path needs one of ${COMPARISONS.join(', ')}`, [...path, 'output_json_path']);
  }
  const fieldCount = Object.keys(out).length;
  if (input.default === true) {
    if (fieldCount > 0) report('INVALID_VALUE', 'a default edge fires when no other condition matched; it takes no other condition fields', [...path, 'default']);
    return { default: true };
  }
  if (fieldCount === 0) {
    report('INVALID_VALUE', 'an edge condition needs at least one field (output_contains, output_matches, output_json_path, default, ...)', path, 'key');
    return null;
  }
  return out;
}

type NodeInput = NonNullable<AgentSystemSpecInput['graph']>[string];

function normalizeNode(name: string, node: NodeInput, report: Reporter): GraphNodeSpec {
  const base = ['spec', 'graph', name];
  const routes: RouteSpec[] = [];
  const add = (route: RouteSpec) => {
    // Orloj drops empty targets and keeps the first route to a target.
    if (route.to === '' || routes.some((r) => r.to === route.to)) return;
    routes.push(route);
  };
  if (node.next !== undefined) add({ to: node.next, condition: null, labels: {}, policy: {}, foreach: null, path: [...base, 'next'] });
  let defaults = 0;
  (node.edges ?? []).forEach((edge, index) => {
    const edgePath = [...base, 'edges', index];
    const condition = edge.condition ? normalizeCondition(edge.condition, [...edgePath, 'condition'], report) : null;
    if (condition?.default && ++defaults > 1) {
      report('INVALID_VALUE', `node "${name}" has more than one default edge`, [...edgePath, 'condition', 'default']);
    }
    add({ to: edge.to, condition, labels: edge.labels ?? {}, policy: edge.policy ?? {}, foreach: edge.foreach ?? null, path: [...edgePath, 'to'] });
  });
  const join = node.join
    ? {
        mode: node.join.mode ?? 'wait_for_all',
        quorumCount: node.join.quorum_count ?? 0,
        quorumPercent: node.join.quorum_percent ?? 0,
        onFailure: node.join.on_failure ?? 'deadletter',
      }
    : null;
  if (join?.mode === 'quorum' && join.quorumCount === 0 && join.quorumPercent === 0) {
    // Orloj: with both thresholds 0, a quorum needs every predecessor.
    report(
      'QUORUM_WITHOUT_THRESHOLD',
      `join of "${name}" is a quorum with neither quorum_count nor quorum_percent; it waits for all branches (set one, or use mode wait_for_all)`,
      [...base, 'join', 'mode'],
      'value',
      'warning',
    );
  }
  // Trimmed but not filtered, so indexes stay those of the manifest (an empty name is reported as not in the system).
  return { routes, join, delegates: (node.delegates ?? []).map((d) => d.trim()) };
}

export function normalizeAgentSystem(input: AgentSystemSpecInput, report: Reporter): AgentSystemSpec {
  const agents = input.agents;
  const graph: Record<string, GraphNodeSpec> = {};
  const declared = input.graph !== undefined && Object.keys(input.graph).length > 0;
  if (declared) {
    for (const [name, node] of Object.entries(input.graph ?? {})) graph[name] = normalizeNode(name, node, report);
  } else {
    // Orloj runs a system without a graph as a chain in declaration order (both execution modes).
    agents.forEach((agent, index) => {
      const next = agents[index + 1];
      if (next === undefined) return;
      graph[agent] = {
        routes: [{ to: next, condition: null, labels: {}, policy: {}, foreach: null, path: ['spec', 'agents', index + 1] }],
        join: null,
        delegates: [],
      };
    });
  }
  return { agents, graph, graphDeclared: declared };
}
