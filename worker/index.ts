/**
 * orch's worker side (`orch/worker`): `createOrchWorker` for a dedicated orch worker,
 * `orchPlugin` to add orch's workflow and activities to a Temporal worker you already run.
 * This entry loads Temporal's native worker bridge; clients import `orch` instead.
 */
export { createOrchWorker, type OrchWorkerOptions } from './create-worker.ts';
export { orchPlugin } from './plugin.ts';
export { extraRouteQueues, type OrchRoutingOptions } from './route-workers.ts';
export { DEFAULT_CAPABILITIES, routeQueuesFor, type PlanRequirements, type WorkerCapabilities } from '../contract/routing.ts';
export { workflowBundle, WORKFLOWS_PATH } from './workflow-bundle.ts';
export { DEFAULT_TASK_QUEUE, defaultTaskQueue } from '../contract/wire-names.ts';
export { createActivities, createActivityRuntime, closeActivities } from '../activities/index.ts';
export type { ActivityDeps, ActivityRuntimeHandle } from '../activities/index.ts';
export { createPolicyInterceptor, policyInterceptor, type PolicyInterceptorOptions } from './policy-interceptor.ts';
export { SecretDestinations, type SecretDestinationsOptions, type WorkerManifests } from '../activities/secret-destinations.ts';
export { replayHistories, fetchRunHistories, recordedWorkflowId, type ReplayTarget, type ReplayVerdict, type Divergence } from './replay.ts';
