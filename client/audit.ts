/**
 * The audit trail of a run, derived from its workflow history alone: every decision and
 * every call as one structured event with time, agent, subject, outcome, reason and usage.
 *
 * A model or tool call that was scheduled passed the policy gate (the workflow never
 * schedules a refused call), so each scheduled activity is one event reporting its final
 * outcome. Calls the workflow refused itself (undeclared tool, invalid arguments, delegation
 * limit) never became activities: they are read from the tool errors the model was given in
 * its next call. Run-ending denials are the workflow's failure.
 *
 * Events carry names, codes and counts only, never whole payloads (prompts, outputs, plans).
 */
import type { temporal } from '@temporalio/proto';
import { asObject, decode, firstPayload, isoTime, localModelCall } from './history-payloads.ts';
import type { OrchClient } from './orch-client.ts';
import type { ChatMessage, ModelCallRequest, ModelCallResult, StoredRef, TokenUsage, ToolCallRequest, ToolCallResult } from '../contract/activity-io.ts';
import { addUsage, spentUsageIn } from '../contract/usage.ts';
import { parseWaitSummary, type WaitSummary } from '../contract/wait-summaries.ts';
import { agentOfActivitySummary } from '../contract/activity-summaries.ts';
import type { ContractEvent, DelegationRequest, DelegationResult, RunFailureDetails, RunInput, RunResult } from '../contract/run-io.ts';
import { codesWhere } from '../contract/failures.ts';
import { ACTIVITY_TYPES, decideApprovalUpdate, resolveBudgetUpdate } from '../contract/wire-names.ts';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;

export type AuditEventKind =
  | 'run.started'
  | 'model.call'
  | 'tool.call'
  | 'tool.refused'
  | 'mcp.discovery'
  | 'delegation'
  | 'policy.denied'
  | 'run.completed'
  | 'run.failed'
  | 'run.continued'
  | 'approval.requested'
  | 'approval.decided'
  | 'approval.timed_out'
  | 'budget.exhausted'
  | 'budget.decided'
  | 'contract.observed';

export type AuditOutcome = 'allowed' | 'succeeded' | 'failed' | 'denied' | 'refused' | 'requested' | 'paused';

export interface AuditEvent {
  /** ISO time of the event that decided the outcome (a call's completion, a refusal's report). */
  time: string;
  kind: AuditEventKind;
  agent: string | null;
  /** What the decision was about: the model id, the tool name, the delegate, the MCP server, the system. */
  subject: string | null;
  /** `allowed` for a call that was scheduled and has not finished yet. */
  outcome: AuditOutcome;
  reason: string | null;
  /** The failure or refusal type (`TOOL_NOT_DECLARED`, `POLICY_DENIED`, `TOOL_TIMEOUT`, …). */
  code: string | null;
  /** The deciding policy and rule, when the workflow recorded them. */
  policy?: string | null;
  rule?: string | null;
  /** Model calls: the tokens charged (failed attempts included); run and delegation ends: the totals. */
  usage?: TokenUsage;
  /** Model calls under a budget: what the budget reserved for the call before it was made (settled by `usage`). */
  reserved?: { tokens: number; costUsd: number };
  /** Tool calls: wall-clock time inside the activity. */
  durationMs?: number;
  /**
   * Tool calls whose output went to the workers' claim-check store (over 8 KiB): its sha256 and
   * size, as history records them. The audit reads history only, so it shows the reference;
   * the output itself is in the store (`ORCH_BLOB_STORE`), checked against this digest.
   */
  storedOutput?: StoredRef;
  /** Activities: the attempt that finished (retries make it more than 1). */
  attempt?: number;
  /** `run.started`: the plan that ran. */
  plan?: { system: string; task: string | null; hash: string };
  /** The history event that recorded the outcome; ids restart in each execution (see `runId`). */
  eventId: number;
  /** The history event that scheduled the call, when that is a different one. */
  scheduledEventId?: number;
  /** The execution the event belongs to (set by `fetchAuditTrail`, or from `options.runId`). */
  runId?: string;
}

/** Tool errors the workflow generates without running anything (see workflows/agent-loop.ts `refuse`). */
const REFUSAL_CODES = codesWhere((entry) => entry.category === 'refusal' || entry.refusal);

/** Failure types that are a policy decision rather than a fault. */
const DENIAL_CODES = codesWhere((entry) => entry.category === 'governance');

function isDenialCode(code: string | null): boolean {
  return code !== null && DENIAL_CODES.has(code);
}

function storedRef(value: unknown): { storedOutput: StoredRef } | undefined {
  const ref = asObject(value);
  if (typeof ref?.sha256 !== 'string' || typeof ref.bytes !== 'number') return undefined;
  return { storedOutput: { sha256: ref.sha256, bytes: ref.bytes } };
}

function tokens(usage: unknown): TokenUsage | undefined {
  const u = asObject(usage);
  if (!u) return undefined;
  const n = (key: string) => (typeof u[key] === 'number' ? (u[key] as number) : 0);
  return { inputTokens: n('inputTokens'), outputTokens: n('outputTokens'), totalTokens: n('totalTokens') };
}

/** The type and message of a failure, the way the workflow maps them (see workflows/orch-run.ts). */
function failureCode(failure: Failure | null | undefined, fallback: string): { code: string; reason: string | null; details: unknown } {
  if (!failure) return { code: fallback, reason: null, details: undefined };
  if (failure.applicationFailureInfo) {
    return {
      code: failure.applicationFailureInfo.type || fallback,
      reason: failure.message ?? null,
      details: firstPayload(failure.applicationFailureInfo.details),
    };
  }
  if (failure.timeoutFailureInfo) {
    return { code: 'CALL_TIMEOUT', reason: failure.message ?? null, details: firstPayload(failure.timeoutFailureInfo.lastHeartbeatDetails) };
  }
  if (failure.canceledFailureInfo) return { code: 'CANCELED', reason: failure.message ?? null, details: undefined };
  if (failure.terminatedFailureInfo) return { code: 'TERMINATED', reason: failure.message ?? null, details: undefined };
  return { code: fallback, reason: failure.message ?? null, details: undefined };
}

/** `policy` and `rule` when the failure details carry them (string fields only). */
function decisionOf(details: unknown): { policy?: string | null; rule?: string | null } {
  const d = asObject(details);
  const pick = (key: string) => (d && typeof d[key] === 'string' ? (d[key] as string) : null);
  const policy = pick('policy');
  const rule = pick('rule');
  return { ...(policy !== null ? { policy } : {}), ...(rule !== null ? { rule } : {}) };
}

interface OpenActivity {
  scheduledEventId: number;
  scheduledTime: string;
  type: string;
  input: unknown;
  /** The Web UI summary (`<agent> · …`). */
  summary?: string;
  attempt?: number;
}

interface OpenChild {
  initiatedEventId: number;
  initiatedTime: string;
  supervisor: string | null;
  delegate: string | null;
}

export interface AuditTrailOptions {
  /** Stamped on every event, to tell executions of a continued run apart. */
  runId?: string;
}

/** The audit trail of one workflow execution, in history order. Pure over a fetched history. */
export function auditTrail(history: History, options: AuditTrailOptions = {}): AuditEvent[] {
  const reader = auditReader(options);
  return [...reader.read(history.events ?? []), ...reader.open()].sort((a, b) => a.eventId - b.eventId);
}

/**
 * Reads one execution's history as it grows: each batch of events, in order, gives the audit
 * events they settle; `open()` gives the calls and delegations still running. A follower
 * (`orch logs --follow`) reads each event once, however long the run.
 */
export interface AuditReader {
  /** The audit events `batch` (the next events of the history, in order) settles, in event order. */
  read(batch: readonly HistoryEvent[]): AuditEvent[];
  /** Calls and delegations scheduled and not yet settled, as `allowed` events. */
  open(): AuditEvent[];
}

export function auditReader(options: AuditTrailOptions = {}): AuditReader {
  let events: AuditEvent[] = [];
  const activities = new Map<number, OpenActivity>();
  const children = new Map<number, OpenChild>();
  /** callTool activities by `agent/toolCallId`, to tell a tool's own error from a refusal. */
  const toolCallIds = new Set<string>();
  /** Approval timers by their TimerStarted event id, to tell an approval's time-out when it fires. */
  const approvalTimers = new Map<number, Extract<WaitSummary, { kind: 'approval' }>>();
  /** Approvals whose time ran out: a decision arriving later is refused. */
  const timedOut = new Set<string>();
  /** Agents whose budget pause is already reported and not yet resolved. */
  const pausedOn = new Set<string>();
  const stamped = (event: Omit<AuditEvent, 'runId'>): AuditEvent => (options.runId ? { ...event, runId: options.runId } : event);
  const push = (event: Omit<AuditEvent, 'runId'>) => events.push(stamped(event));
  const pushRefusal = (refusal: Refusal, time: string, eventId: number) => {
    const { agent, tool, code, reason, ...decision } = refusal;
    push({ time, kind: 'tool.refused', agent, subject: tool, outcome: 'refused', reason, code, ...decision, eventId });
  };
  // Contract events of activations that went on, as the run's (or a delegate's) activation records list them.
  const pushContractEvents = (value: unknown, time: string, eventId: number) => {
    for (const { agent, event } of listedContractEvents(value)) {
      const code = event.kind === 'violation' ? 'CONTRACT_VIOLATION' : null;
      const reason = `step ${event.step}: expected ${event.expected}; ${event.actual}`;
      push({ time, kind: 'contract.observed', agent, subject: event.tool, outcome: 'allowed', reason, code, rule: event.rule, eventId });
    }
  };

  const activityEvent = (open: OpenActivity, closing: HistoryEvent, close: 'completed' | 'failed' | 'timed_out' | 'canceled', result: unknown, failure?: Failure | null) => {
    const base = {
      time: isoTime(closing),
      eventId: Number(closing.eventId),
      scheduledEventId: open.scheduledEventId,
      ...(open.attempt !== undefined ? { attempt: open.attempt } : {}),
    };
    const failed = close === 'completed' ? null : failureCode(failure, close === 'timed_out' ? 'CALL_TIMEOUT' : close === 'canceled' ? 'CANCELED' : 'ACTIVITY_FAILED');
    const outcome: AuditOutcome = failed ? 'failed' : 'succeeded';
    const code = failed?.code ?? null;
    const reason = failed?.reason ?? null;
    if (open.type === ACTIVITY_TYPES.callModel) {
      const request = open.input as Partial<ModelCallRequest> | undefined;
      // Charged usage: a failed call's attempts that got answers, a successful one's earlier attempts too.
      const answer = result as Partial<ModelCallResult> | undefined;
      const usage = failed ? spentUsageIn(failed.details) : addUsage(tokens(answer?.usage), tokens(answer?.retriedUsage));
      const reserved = request?.reserved;
      push({
        ...base,
        kind: 'model.call',
        agent: request?.agent ?? null,
        subject: request?.model?.model ?? null,
        outcome,
        reason,
        code,
        ...(usage ? { usage } : {}),
        ...(reserved ? { reserved } : {}),
      });
    } else if (open.type === ACTIVITY_TYPES.callTool || open.type === ACTIVITY_TYPES.callMemory) {
      // A built-in memory tool is a tool call like any other (its request has `agent` and `call` too).
      const request = open.input as Partial<ToolCallRequest> | undefined;
      const toolResult = failed ? undefined : (result as Partial<ToolCallResult> | undefined);
      const toolError = toolResult?.isError === true;
      push({
        ...base,
        kind: 'tool.call',
        agent: request?.agent ?? null,
        subject: request?.call?.name ?? request?.tool?.name ?? null,
        // The tool ran and reported an error: the call failed, as the model was told.
        outcome: toolError ? 'failed' : outcome,
        reason: toolError ? 'the tool reported an error' : reason,
        code: toolError ? 'TOOL_ERROR' : code,
        ...(typeof toolResult?.durationMs === 'number' ? { durationMs: toolResult.durationMs } : {}),
        ...(storedRef(toolResult?.stored) ?? {}),
      });
    } else if (open.type === ACTIVITY_TYPES.listMcpTools) {
      const request = asObject(open.input);
      const server = asObject(asObject(request?.server)?.id);
      push({ ...base, kind: 'mcp.discovery', agent: agentOfSummary(open), subject: typeof server?.name === 'string' ? server.name : null, outcome, reason, code });
    }
  };

  const readEvent = (event: HistoryEvent) => {
    const eventId = Number(event.eventId);
    const time = isoTime(event);
    const local = localModelCall(event);

    if (event.workflowExecutionStartedEventAttributes) {
      const attributes = event.workflowExecutionStartedEventAttributes;
      const input = firstPayload(attributes.input) as Partial<RunInput> | undefined;
      // A continued execution goes on from a checkpoint: the run started in the first one.
      if (input?.resume || attributes.continuedExecutionRunId) return;
      const plan = input?.plan;
      push({
        time,
        kind: 'run.started',
        agent: null,
        subject: plan?.system?.name ?? null,
        outcome: 'succeeded',
        reason: null,
        code: null,
        ...(plan ? { plan: { system: plan.system?.name ?? '', task: plan.task?.name ?? null, hash: plan.hash ?? '' } } : {}),
        eventId,
      });
    } else if (local) {
      // A local model call (`execution: local`): its marker holds the result; the request's
      // parts the trail needs ride in the result (or failure) as `call` (ModelCallEcho).
      const { failure, result, echo, attempt } = local;
      // A failure Temporal raised itself (a cancellation) has no echo: the marker's summary names the agent.
      const summary = decode(event.userMetadata?.summary);
      const summaryAgent = typeof summary === 'string' ? agentOfActivitySummary(summary) : null;
      const request: Partial<ModelCallRequest> | undefined = echoedRequest(echo) ?? (summaryAgent ? { agent: summaryAgent } : undefined);
      for (const refusal of refusalsIn(request, toolCallIds)) pushRefusal(refusal, time, eventId);
      const open: OpenActivity = { scheduledEventId: eventId, scheduledTime: time, type: ACTIVITY_TYPES.callModel, input: request, ...(attempt !== undefined ? { attempt } : {}) };
      activityEvent(open, event, failure ? 'failed' : 'completed', result, failure);
    } else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      const type = attributes.activityType?.name ?? '';
      const input = firstPayload(attributes.input);
      const open: OpenActivity = { scheduledEventId: eventId, scheduledTime: time, type, input };
      const summary = decode(event.userMetadata?.summary);
      if (typeof summary === 'string') open.summary = summary;
      activities.set(eventId, open);
      if (type === ACTIVITY_TYPES.callTool || type === ACTIVITY_TYPES.callMemory) {
        const request = input as Partial<ToolCallRequest> | undefined;
        if (request?.call?.id) toolCallIds.add(`${request.agent}/${request.call.id}`);
      }
      if (type === ACTIVITY_TYPES.callModel) {
        for (const refusal of refusalsIn(input as Partial<ModelCallRequest> | undefined, toolCallIds)) pushRefusal(refusal, time, eventId);
      }
    } else if (event.activityTaskStartedEventAttributes) {
      const attributes = event.activityTaskStartedEventAttributes;
      const open = activities.get(Number(attributes.scheduledEventId));
      if (open && attributes.attempt) open.attempt = attributes.attempt;
    } else if (
      event.activityTaskCompletedEventAttributes ||
      event.activityTaskFailedEventAttributes ||
      event.activityTaskTimedOutEventAttributes ||
      event.activityTaskCanceledEventAttributes
    ) {
      const completed = event.activityTaskCompletedEventAttributes;
      const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      const attributes = completed ?? failed ?? event.activityTaskCanceledEventAttributes!;
      const open = take(activities, attributes.scheduledEventId);
      if (!open) return;
      const close = completed ? 'completed' : event.activityTaskFailedEventAttributes ? 'failed' : failed ? 'timed_out' : 'canceled';
      activityEvent(open, event, close, completed ? firstPayload(completed.result) : undefined, failed?.failure ?? null);
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      const request = firstPayload(event.startChildWorkflowExecutionInitiatedEventAttributes.input) as Partial<DelegationRequest> | undefined;
      children.set(eventId, {
        initiatedEventId: eventId,
        initiatedTime: time,
        supervisor: typeof request?.supervisor === 'string' ? request.supervisor : null,
        delegate: typeof request?.agent === 'string' ? request.agent : null,
      });
    } else if (event.childWorkflowExecutionCompletedEventAttributes) {
      const attributes = event.childWorkflowExecutionCompletedEventAttributes;
      const child = take(children, attributes.initiatedEventId);
      if (child) {
        const result = firstPayload(attributes.result) as Partial<DelegationResult> | undefined;
        const usage = tokens(asObject(result?.usage)?.total);
        for (const refusal of listedRefusals(result)) pushRefusal(refusal, time, eventId);
        pushContractEvents(result, time, eventId);
        push({ ...delegationBase(child, event), outcome: 'succeeded', reason: null, code: null, ...(usage ? { usage } : {}) });
      }
    } else if (
      event.childWorkflowExecutionFailedEventAttributes ||
      event.childWorkflowExecutionTimedOutEventAttributes ||
      event.childWorkflowExecutionCanceledEventAttributes ||
      event.childWorkflowExecutionTerminatedEventAttributes ||
      event.startChildWorkflowExecutionFailedEventAttributes
    ) {
      const attributes =
        event.childWorkflowExecutionFailedEventAttributes ??
        event.childWorkflowExecutionTimedOutEventAttributes ??
        event.childWorkflowExecutionCanceledEventAttributes ??
        event.childWorkflowExecutionTerminatedEventAttributes ??
        event.startChildWorkflowExecutionFailedEventAttributes!;
      const child = take(children, attributes.initiatedEventId);
      if (!child) return;
      const fallback = event.childWorkflowExecutionTimedOutEventAttributes
        ? 'TIMED_OUT'
        : event.childWorkflowExecutionCanceledEventAttributes
          ? 'CANCELED'
          : event.childWorkflowExecutionTerminatedEventAttributes
            ? 'TERMINATED'
            : 'DELEGATION_FAILED';
      const failure = event.childWorkflowExecutionFailedEventAttributes?.failure;
      const { code, reason, details } = failureCode(failure, fallback);
      const usage = tokens(asObject((details as Partial<RunFailureDetails> | undefined)?.usage)?.total);
      for (const refusal of listedRefusals(details)) pushRefusal(refusal, time, eventId);
      push({ ...delegationBase(child, event), outcome: 'failed', reason, code, ...(usage ? { usage } : {}) });
      if (isDenialCode(code)) {
        // The delegate's run was denied: a policy decision of its own, reported to the supervisor.
        const denied = details as Partial<RunFailureDetails> | undefined;
        push({
          time,
          kind: 'policy.denied',
          agent: typeof denied?.agent === 'string' ? denied.agent : child.delegate,
          subject: null,
          outcome: 'denied',
          reason,
          code,
          ...decisionOf(details),
          eventId,
        });
      }
    } else if (event.workflowExecutionCompletedEventAttributes) {
      const result = firstPayload(event.workflowExecutionCompletedEventAttributes.result) as Partial<RunResult> | undefined;
      const usage = tokens(result?.usage?.total);
      for (const refusal of listedRefusals(result)) pushRefusal(refusal, time, eventId);
      pushContractEvents(result, time, eventId);
      push({ time, kind: 'run.completed', agent: null, subject: null, outcome: 'succeeded', reason: null, code: null, ...(usage ? { usage } : {}), eventId });
    } else if (event.workflowExecutionFailedEventAttributes) {
      const { code, reason, details } = failureCode(event.workflowExecutionFailedEventAttributes.failure, 'RUN_FAILED');
      const failure = details as Partial<RunFailureDetails> | undefined;
      const usage = tokens(failure?.usage?.total);
      const denied = isDenialCode(code);
      for (const refusal of listedRefusals(details)) pushRefusal(refusal, time, eventId);
      pushContractEvents(details, time, eventId);
      push({
        time,
        kind: denied ? 'policy.denied' : 'run.failed',
        agent: typeof failure?.agent === 'string' ? failure.agent : null,
        subject: null,
        outcome: denied ? 'denied' : 'failed',
        reason,
        code,
        ...decisionOf(details),
        ...(usage ? { usage } : {}),
        eventId,
      });
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      push({ time, kind: 'run.failed', agent: null, subject: null, outcome: 'failed', reason: 'the run timed out', code: 'TIMED_OUT', eventId });
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      const reason = event.workflowExecutionTerminatedEventAttributes.reason || null;
      push({ time, kind: 'run.failed', agent: null, subject: null, outcome: 'failed', reason, code: 'TERMINATED', eventId });
    } else if (event.workflowExecutionCanceledEventAttributes) {
      push({ time, kind: 'run.failed', agent: null, subject: null, outcome: 'failed', reason: 'the run was canceled', code: 'CANCELED', eventId });
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      // A person's decision on a pending approval: who, what and why are the update's input.
      const request = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const input = asObject(firstPayload(request?.input?.args));
      const by = typeof input?.decidedBy === 'string' ? input.decidedBy : 'unknown';
      const why = typeof input?.reason === 'string' ? `: ${input.reason}` : '';
      if (request?.input?.name === resolveBudgetUpdate.name) {
        pausedOn.clear();
        // A person's answer to a run paused on its budget: a top-up, or wrap up.
        const topUp = input?.action === 'top_up';
        const added = ['tokens', 'costUsd', 'modelCalls', 'toolCalls']
          .filter((key) => typeof input?.[key] === 'number')
          .map((key) => `${key} +${String(input![key])}`)
          .join(', ');
        push({
          time,
          kind: 'budget.decided',
          agent: null,
          subject: topUp ? added : 'wrap up',
          outcome: topUp ? 'allowed' : 'refused',
          reason: `${topUp ? 'budget added' : 'wrap up'} by ${by}${why}`,
          code: null,
          eventId,
        });
      } else if (request?.input?.name === decideApprovalUpdate.name) {
        const approve = input?.decision === 'approve';
        const id = typeof input?.id === 'string' ? input.id : null;
        if (id !== null && timedOut.has(id)) {
          // Its time ran out first: the run refused the decision (see workflows/approval-desk.ts).
          push({ time, kind: 'approval.decided', agent: null, subject: id, outcome: 'refused', reason: `${approve ? 'approval' : 'denial'} by ${by} came after the deadline${why}`, code: 'APPROVAL_TIMEOUT', eventId });
        } else {
          push({
            time,
            kind: 'approval.decided',
            agent: null,
            subject: id,
            outcome: approve ? 'allowed' : 'denied',
            reason: `${approve ? 'approved' : 'denied'} by ${by}${why}`,
            code: approve ? null : 'APPROVAL_DENIED',
            eventId,
          });
        }
      }
    } else if (event.timerStartedEventAttributes) {
      // Waits for people are named timers: an approval's TTL, a budget pause.
      const wait = parseWaitSummary(decode(event.userMetadata?.summary));
      if (wait?.kind === 'approval') {
        approvalTimers.set(eventId, wait);
        const by = wait.policy ? `, required by ${wait.policy}${wait.rule ? ` ${wait.rule}` : ''}` : '';
        push({ time, kind: 'approval.requested', agent: wait.agent, subject: wait.id, outcome: 'requested', reason: `${wait.tool} waits for a person${by}`, code: null, policy: wait.policy, rule: wait.rule, eventId });
      } else if (wait?.kind === 'budget' && !pausedOn.has(wait.agent)) {
        // A pause outliving its timer renews it: one event per pause, not per timer.
        pausedOn.add(wait.agent);
        push({ time, kind: 'budget.exhausted', agent: wait.agent, subject: wait.limit, outcome: 'paused', reason: `paused until someone adds budget or says wrap up`, code: null, policy: wait.policy, eventId });
      }
    } else if (event.timerFiredEventAttributes) {
      const wait = approvalTimers.get(Number(event.timerFiredEventAttributes.startedEventId));
      if (wait) {
        timedOut.add(wait.id);
        push({ time, kind: 'approval.timed_out', agent: wait.agent, subject: wait.id, outcome: 'denied', reason: `nobody decided on ${wait.tool} in time`, code: 'APPROVAL_TIMEOUT', eventId });
      }
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      const next = event.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId || null;
      push({ time, kind: 'run.continued', agent: null, subject: next, outcome: 'succeeded', reason: 'continued as new to keep history short', code: null, eventId });
    }
  };

  // Calls still running: scheduled, so the gate allowed them; no outcome yet.
  const stillOpen = (): AuditEvent[] => {
    const running: AuditEvent[] = [];
    for (const open of activities.values()) {
      const kind = open.type === ACTIVITY_TYPES.callModel ? 'model.call' : open.type === ACTIVITY_TYPES.callTool || open.type === ACTIVITY_TYPES.callMemory ? 'tool.call' : open.type === ACTIVITY_TYPES.listMcpTools ? 'mcp.discovery' : null;
      if (!kind) continue;
      const request = asObject(open.input);
      const call = asObject(request?.call);
      const subject =
        kind === 'model.call'
          ? (asObject(request?.model)?.model as string | undefined)
          : kind === 'tool.call'
            ? (call?.name as string | undefined)
            : (asObject(asObject(request?.server)?.id)?.name as string | undefined);
      const agent = kind === 'mcp.discovery' ? agentOfSummary(open) : typeof request?.agent === 'string' ? request.agent : null;
      running.push(stamped({ time: open.scheduledTime, kind, agent, subject: subject ?? null, outcome: 'allowed', reason: null, code: null, eventId: open.scheduledEventId }));
    }
    for (const child of children.values()) {
      running.push(stamped({ time: child.initiatedTime, kind: 'delegation', agent: child.supervisor, subject: child.delegate, outcome: 'allowed', reason: null, code: null, eventId: child.initiatedEventId }));
    }
    return running.sort((a, b) => a.eventId - b.eventId);
  };

  return {
    read(batch) {
      for (const event of batch) readEvent(event);
      const settled = events;
      events = [];
      return settled.sort((a, b) => a.eventId - b.eventId);
    },
    open: stillOpen,
  };
}

/** The agent an activity's summary names. */
function agentOfSummary(open: OpenActivity): string | null {
  return agentOfActivitySummary(open.summary);
}

/** Removes and returns the open activity or child an event closes. */
function take<T>(open: Map<number, T>, eventId: unknown): T | undefined {
  const id = Number(eventId);
  const found = open.get(id);
  open.delete(id);
  return found;
}

function delegationBase(child: OpenChild, closing: HistoryEvent) {
  return {
    time: isoTime(closing),
    kind: 'delegation' as const,
    agent: child.supervisor,
    subject: child.delegate,
    eventId: Number(closing.eventId),
    scheduledEventId: child.initiatedEventId,
  };
}

interface Refusal {
  agent: string | null;
  tool: string;
  code: string;
  reason: string | null;
  policy?: string;
  rule?: string;
}

/** Refusals a run's result, failure details or a delegate's result lists (see workflows/types.ts `Refusal`). */
function listedRefusals(value: unknown): Refusal[] {
  const list = asObject(value)?.refusals;
  if (!Array.isArray(list)) return [];
  const out: Refusal[] = [];
  for (const item of list) {
    const r = asObject(item);
    if (!r || typeof r.tool !== 'string' || typeof r.code !== 'string') continue;
    out.push({
      agent: typeof r.agent === 'string' ? r.agent : null,
      tool: r.tool,
      code: r.code,
      reason: typeof r.reason === 'string' ? r.reason : null,
      ...(typeof r.policy === 'string' ? { policy: r.policy } : {}),
      ...(typeof r.rule === 'string' ? { rule: r.rule } : {}),
    });
  }
  return out;
}

/** The contract events the activation records of a run's result or failure details list (see contract/run-io.ts `ContractEvent`). */
function listedContractEvents(value: unknown): { agent: string | null; event: ContractEvent }[] {
  const activations = asObject(value)?.activations;
  if (!Array.isArray(activations)) return [];
  const out: { agent: string | null; event: ContractEvent }[] = [];
  for (const item of activations) {
    const record = asObject(item);
    if (!record || !Array.isArray(record.contract)) continue;
    for (const raw of record.contract) {
      const event = asObject(raw);
      if (!event || typeof event.rule !== 'string' || typeof event.kind !== 'string') continue;
      out.push({
        agent: typeof record.agent === 'string' ? record.agent : null,
        event: {
          kind: event.kind === 'violation' ? 'violation' : 'warning',
          rule: event.rule as ContractEvent['rule'],
          step: typeof event.step === 'number' ? event.step : 0,
          tool: typeof event.tool === 'string' ? event.tool : null,
          expected: typeof event.expected === 'string' ? event.expected : '',
          actual: typeof event.actual === 'string' ? event.actual : '',
        },
      });
    }
  }
  return out;
}

/**
 * Tool errors the workflow generated without running a tool. They reach the model in its
 * next call as the tool messages after the last assistant message, so each is read once.
 */
/** The marker Temporal's SDK records for a local activity. */

/** A local model call's echo (ModelCallEcho) as the request fields the trail reads. */
function echoedRequest(echo: Record<string, unknown> | null): Partial<ModelCallRequest> | undefined {
  if (!echo) return undefined;
  const toolErrors = Array.isArray(echo.toolErrors) ? (echo.toolErrors as ChatMessage[]) : [];
  return {
    ...(typeof echo.agent === 'string' ? { agent: echo.agent } : {}),
    ...(typeof echo.model === 'string' ? { model: { model: echo.model } as ModelCallRequest['model'] } : {}),
    ...(asObject(echo.reserved) ? { reserved: echo.reserved as ModelCallRequest['reserved'] } : {}),
    // What followed the model's last turn: refusalsIn reads the messages after an assistant one.
    messages: [{ role: 'assistant', content: '', toolCalls: [] }, ...toolErrors],
  };
}

function refusalsIn(request: Partial<ModelCallRequest> | undefined, toolCallIds: ReadonlySet<string>): Refusal[] {
  const messages: ChatMessage[] = Array.isArray(request?.messages) ? request.messages : [];
  const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
  if (lastAssistant < 0) return [];
  const refusals: Refusal[] = [];
  for (const message of messages.slice(lastAssistant + 1)) {
    if (message.role !== 'tool' || !message.isError) continue;
    const output = asObject(message.output);
    const code = typeof output?.error === 'string' ? output.error : null;
    if (code === null || !REFUSAL_CODES.has(code)) continue;
    // A tool that ran and happened to answer with such an error is a tool call, not a refusal.
    if (toolCallIds.has(`${request?.agent}/${message.toolCallId}`)) continue;
    const reason = typeof output?.reason === 'string' ? output.reason : typeof output?.message === 'string' ? output.message : null;
    refusals.push({
      agent: request?.agent ?? null,
      tool: message.toolName,
      code,
      reason,
      ...(typeof output?.policy === 'string' && output.policy !== '' ? { policy: output.policy } : {}),
      ...(typeof output?.rule === 'string' ? { rule: output.rule } : {}),
    });
  }
  return refusals;
}

/** Most executions one trail follows; a guard against a malformed chain. */
const MAX_EXECUTIONS = 10_000;

/**
 * The audit trail of a whole run: every execution of it, from the first, following
 * continue-as-new. `runId` picks the run (any execution of it); by default the latest.
 */
export async function fetchAuditTrail(client: OrchClient, workflowId: string, runId?: string): Promise<AuditEvent[]> {
  const workflows = client.client.workflow;
  const fetch = (id: string | undefined) => workflows.getHandle(workflowId, id).fetchHistory();
  const asked = await fetch(runId);
  const started = asked.events?.[0]?.workflowExecutionStartedEventAttributes;
  const askedRunId: string | undefined = started?.originalExecutionRunId || runId;
  let history = asked;
  let currentRunId = askedRunId;
  const firstRunId = started?.firstExecutionRunId || undefined;
  if (firstRunId && firstRunId !== currentRunId) {
    try {
      history = await fetch(firstRunId);
      currentRunId = firstRunId;
    } catch {
      // The first executions are gone (retention): the trail starts where history does.
    }
  }
  const trail: AuditEvent[] = [];
  for (let executions = 0; executions < MAX_EXECUTIONS; executions++) {
    trail.push(...auditTrail(history, currentRunId ? { runId: currentRunId } : {}));
    const last = history.events?.at(-1);
    const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    // The execution asked for is already fetched when the chain reaches it.
    history = next === askedRunId ? asked : await fetch(next);
    currentRunId = next;
  }
  return trail;
}
