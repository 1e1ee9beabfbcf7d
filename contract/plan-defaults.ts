/**
 * Plans of schema version 1 gained fields over time; runs started from an older plan are
 * still in flight (and in recorded histories). A worker fills what an older plan lacks with
 * the values that reproduce its old behaviour, so those runs go on and replay unchanged.
 */
import type { Plan } from './plan.ts';

export function withPlanDefaults(plan: Plan): Plan {
  const older = plan as Partial<Plan> & Plan;
  return {
    ...plan,
    mcpServers: older.mcpServers ?? {},
    retry: older.retry ?? { maxAttempts: 1, backoffMs: 0 },
    messageRetry: older.messageRetry ?? { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 86_400_000, jitter: 'full', nonRetryable: [] },
    graph: Object.fromEntries(
      Object.entries(plan.graph).map(([agent, node]) => [
        agent,
        { ...node, edges: node.edges.map((edge) => ({ ...edge, foreach: edge.foreach ?? null })) },
      ])
    ),
    governance: {
      ...plan.governance,
      policies: plan.governance.policies.map((policy) => ({
        ...policy,
        maxChildDepth: policy.maxChildDepth ?? null,
        maxChildTasks: policy.maxChildTasks ?? null,
      })),
    },
  };
}
