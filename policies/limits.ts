/**
 * Bounds on how far a run may spread: supervisor delegation depth and count, and the width
 * of a dynamic fan-out. Defaults, tightened by any applicable AgentPolicy (the smallest wins).
 */
import type { Plan } from '../contract/plan.ts';
import { applicablePolicies } from './engine.ts';

export const DEFAULT_MAX_CHILD_DEPTH = 3;
export const DEFAULT_MAX_CHILD_TASKS = 50;
/** Activations of one `foreach` running at the same time. */
export const DEFAULT_FOREACH_WIDTH = 10;

export interface ChildLimits {
  maxDepth: number;
  maxChildTasks: number;
  foreachWidth: number;
}

export function childLimits(plan: Plan, agent: string): ChildLimits {
  let maxDepth = DEFAULT_MAX_CHILD_DEPTH;
  let maxChildTasks = DEFAULT_MAX_CHILD_TASKS;
  for (const policy of applicablePolicies(plan, agent)) {
    if (policy.maxChildDepth !== null) maxDepth = Math.min(maxDepth, policy.maxChildDepth);
    if (policy.maxChildTasks !== null) maxChildTasks = Math.min(maxChildTasks, policy.maxChildTasks);
  }
  return { maxDepth, maxChildTasks, foreachWidth: Math.max(1, Math.min(DEFAULT_FOREACH_WIDTH, maxChildTasks)) };
}
