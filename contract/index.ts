/**
 * The wire ABI between orch's layers and across processes: the Plan, call and run I/O, every
 * name recorded in history, and the failure catalog. Types and constants only; imports nothing
 * at run time.
 */
export type * from './plan.ts';
export { PLAN_SCHEMA_VERSION } from './plan.ts';
export type * from './activity-io.ts';
export type * from './run-io.ts';
export type * from './webhooks.ts';
export type * from './schedules.ts';
export {
  ACTIVITY_TYPES,
  DEFAULT_TASK_QUEUE,
  defaultTaskQueue,
  MODEL_QUEUES_SINK,
  WORKFLOW_TYPES,
  approvalsQuery,
  budgetQuery,
  decideApprovalUpdate,
  progressQuery,
  resolveBudgetUpdate,
  type ApprovalDecision,
  type OrchActivityType,
} from './wire-names.ts';
export { ORCH_SEARCH_ATTRIBUTES, type OrchRunStatus } from './search-attributes.ts';
export {
  FAILURE_CATALOG,
  codesIn,
  codesWhere,
  isRetryable,
  type CodeIn,
  type Codes,
  type FailureCategory,
  type FailureCode,
  type FailureEntry,
} from './failures.ts';
export { ENV_VARS, type EnvVar } from './env-vars.ts';
export {
  DEFAULT_CAPABILITIES,
  DEFAULT_WORKER_REGION,
  describeRequirements,
  effectiveRequirements,
  fitsRequirements,
  routeQueuesFor,
  routedTaskQueue,
  type WorkerCapabilities,
} from './routing.ts';
