/**
 * Workflow entry point, bundled for the Temporal sandbox. Everything reachable from here
 * must stay deterministic: no Node built-ins, no I/O, no clocks, no `ai`, `yaml` or MCP.
 * Activities are referenced by type only.
 */
export { orchDelegate, orchRun, progressQuery } from './orch-run.ts';
export { approvalsQuery, decideApprovalUpdate } from './approval-desk.ts';
export { budgetQuery, resolveBudgetUpdate } from './budget-desk.ts';
export { orchMemory } from './memory-workflow.ts';
