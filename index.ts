/**
 * orch's programmatic API: compile manifests into a Plan, start and await runs on Temporal,
 * and run workers. The `orch` CLI is built on exactly these exports.
 *
 * ```ts
 * import { compile, OrchClient } from 'orch';
 * const { plan, diagnostics } = await compile(['system.yaml']);
 * const client = await OrchClient.connect({ address: process.env.TEMPORAL_ADDRESS });
 * const run = await client.start(plan!, { input: { topic: 'durable agents' } });
 * const outcome = await run.result();
 * ```
 */
export { compile, validate } from './compiler/index.ts';
export type { CompileOptions, CompileResult } from './compiler/index.ts';
export type { Diagnostic, DiagnosticCode, SourceLocation } from './compiler/diagnostics.ts';
export { formatLocation, hasErrors } from './compiler/diagnostics.ts';
export type * from './compiler/plan.ts';
export { PLAN_SCHEMA_VERSION } from './compiler/plan.ts';
export { OrchClient, OrchRun, WORKFLOW_TYPE } from './client.ts';
export type { OrchClientOptions, OrchConnectOptions, RunOutcome, RunStatus, StartRunOptions } from './client.ts';
export { createOrchWorker, orchPlugin, workflowBundle, defaultTaskQueue, DEFAULT_TASK_QUEUE, WORKFLOWS_PATH } from './worker.ts';
export type { OrchWorkerOptions } from './worker.ts';
export { createActivities, createActivityRuntime } from './activities/index.ts';
export type { ActivityDeps, ActivityRuntimeHandle } from './activities/index.ts';
export { createPolicyInterceptor, policyInterceptor, type PolicyInterceptorOptions } from './activities/policy-interceptor.ts';
export { SecretDestinations, type SecretDestinationsOptions, type WorkerManifests } from './activities/secret-destinations.ts';
export { evaluateDelegateCall, evaluateModelCall, evaluateToolCall, type PolicyDecision } from './policies/engine.ts';
export type * from './activities/types.ts';
export type * from './workflows/types.ts';
export {
  ensureTemporalServer,
  startDevServer,
  resolveTemporalConnection,
  connectionOptions,
} from './cli/temporal-server.ts';
export { auditTrail, fetchAuditTrail, type AuditEvent, type AuditEventKind, type AuditOutcome, type AuditTrailOptions } from './audit.ts';
export { main } from './cli/main.ts';
