/**
 * orch's client API: compile manifests into a Plan, start, await and inspect runs on Temporal,
 * read their audit trail. It loads no native worker code, so a backend service can import it
 * anywhere; workers come from `orch/worker`, the embedded dev server from `orch/dev-server`.
 *
 * ```ts
 * import { compile, OrchClient } from 'orch';
 * const { plan } = await compile(['system.yaml']);
 * const client = await OrchClient.connect();
 * const run = await client.start(plan!, { input: { topic: 'durable agents' } });
 * const outcome = await run.result();
 * ```
 */
export { compile, compileSchedules, validate } from './compiler/index.ts';
export type { CompileOptions, CompileResult, CompileSchedulesResult, ValidateResult } from './compiler/index.ts';
export type { Diagnostic, DiagnosticCode, Severity, SourceLocation } from './compiler/diagnostics.ts';
export { formatLocation, hasErrors } from './compiler/diagnostics.ts';
export { OrchClient, OrchRun, WORKFLOW_TYPE, DELEGATE_WORKFLOW_TYPE } from './client/orch-client.ts';
export { NoMatchingWorkerError } from './client/serving-workers.ts';
export type { OrchClientOptions, OrchConnectOptions, RunOutcome, RunStatus, RunSummary, StartRunOptions } from './client/orch-client.ts';
export { createWebhookHandler, webhookWorkflowId, WEBHOOK_DELIVERY_PATH, DEFAULT_WEBHOOK_MAX_BODY_BYTES } from './client/webhook-handler.ts';
export type { WebhookHandlerOptions, WebhookRequestHandler, WebhookDeliveryEvent, WebhookDeliveryResponse, WebhookOutcome } from './client/webhook-handler.ts';
export { applySchedule, applySchedules, deleteSchedule, describeSchedule, listSchedules, triggerSchedule, scheduleId, ScheduleNotFound, OVERLAP_POLICIES } from './client/schedules.ts';
export type { ApplyResult, ScheduleInfo, TriggerResult } from './client/schedules.ts';
export { auditTrail, fetchAuditTrail, type AuditEvent, type AuditEventKind, type AuditOutcome, type AuditTrailOptions } from './client/audit.ts';
export { evaluateDelegateCall, evaluateModelCall, evaluateToolCall, type PolicyDecision } from './policies/engine.ts';
export * from './contract/index.ts';
