/**
 * The calls a recorded run made, read from one execution's history: every model, tool and
 * memory call it scheduled (the gate had let it through), every local model call's marker, every
 * delegate it started, with the usage each model call settled at. What a policy dry-run
 * (`orch dry-run`) judges again. Names and keys only, never the calls' content.
 */
import type { ModelCallRequest, ModelCallResult, ToolCallRequest } from '../contract/activity-io.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';
import type { PastCall } from '../contract/past-calls.ts';
import type { Plan } from '../contract/plan.ts';
import { addUsage, spentUsageIn } from '../contract/usage.ts';
import { ACTIVITY_TYPES } from '../contract/wire-names.ts';
import { asObject, firstPayload, isoTime, localModelCall, type History, type HistoryEvent } from './history-payloads.ts';

export interface ExecutionCalls {
  /** The plan the execution ran (a run's, or a delegate's: the one its supervisor gave it); null when its input is not orch's. */
  plan: Plan | null;
  calls: PastCall[];
}

function modelKey(model: { id?: { namespace?: string; name?: string } } | undefined): string | null {
  return model?.id?.namespace && model.id.name ? `${model.id.namespace}/${model.id.name}` : null;
}

/** The plan's key of the endpoint whose model id a local call's echo names, among those the agent may use. */
function keyOfModelId(plan: Plan | null, agent: string, modelId: string): string {
  const planAgent = plan && Object.hasOwn(plan.agents ?? {}, agent) ? plan.agents[agent] : undefined;
  const keys = planAgent ? [planAgent.model, ...(Array.isArray(planAgent.fallbackModels) ? planAgent.fallbackModels : [])] : [];
  for (const key of keys) if (plan!.models?.[key]?.model === modelId) return key;
  return typeof planAgent?.model === 'string' ? planAgent.model : modelId;
}

/** Token counts as a history holds them, or null when they are not numbers (a history is read as it is). */
function saneUsage(value: unknown): PastCall['usage'] {
  const usage = asObject(value);
  const n = (key: string) => (typeof usage?.[key] === 'number' && Number.isFinite(usage[key]) && (usage[key] as number) >= 0 ? (usage[key] as number) : null);
  const [inputTokens, outputTokens] = [n('inputTokens'), n('outputTokens')];
  if (inputTokens === null || outputTokens === null) return null;
  return { inputTokens, outputTokens, totalTokens: n('totalTokens') ?? inputTokens + outputTokens };
}

function usageOf(result: unknown): PastCall['usage'] {
  const answer = asObject(result) as Partial<ModelCallResult> | null;
  return addUsage(saneUsage(answer?.usage) ?? undefined, saneUsage(answer?.retriedUsage) ?? undefined) ?? null;
}

/** A plan as orch's workflows take it: enough of it to judge by (the rest is read defensively). */
function isPlanShaped(value: unknown): boolean {
  const plan = asObject(value);
  const system = asObject(plan?.system);
  return typeof system?.name === 'string' && typeof system.namespace === 'string' && asObject(plan?.agents) !== null && asObject(plan?.models) !== null;
}

export function callsInHistory(workflowId: string, history: History): ExecutionCalls {
  const events: readonly HistoryEvent[] = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const input = asObject(firstPayload(started?.input));
  const plan = isPlanShaped(input?.plan) ? (input!.plan as Plan) : null;
  const calls: PastCall[] = [];
  const scheduled = new Map<number, PastCall>();
  const base = (event: HistoryEvent) => ({ workflowId, eventId: Number(event.eventId), time: isoTime(event) });

  for (const event of events) {
    const schedule = event.activityTaskScheduledEventAttributes;
    if (schedule) {
      const type = schedule.activityType?.name;
      const request = asObject(firstPayload(schedule.input));
      if (!request || typeof request.agent !== 'string') continue;
      const approved = asObject(asObject(request.gate)?.approval) !== null;
      let call: PastCall | null = null;
      if (type === ACTIVITY_TYPES.callModel) {
        const model = (request as Partial<ModelCallRequest>).model;
        call = { ...base(event), kind: 'model', agent: request.agent, target: modelKey(model) ?? '', name: model?.model ?? '', mcpToolName: null, approved, usage: null, failed: false };
      } else if (type === ACTIVITY_TYPES.callTool) {
        const tool = request as Partial<ToolCallRequest>;
        const key = tool.toolKey ?? (tool.tool?.id ? `${tool.tool.id.namespace}/${tool.tool.id.name}` : '');
        call = { ...base(event), kind: 'tool', agent: request.agent, target: key, name: tool.call?.name ?? key, mcpToolName: tool.tool?.mcp?.tool ?? null, approved, usage: null, failed: false };
      } else if (type === ACTIVITY_TYPES.callMemory) {
        const name = (request as Partial<MemoryCallRequest>).call?.name ?? '';
        call = { ...base(event), kind: 'memory', agent: request.agent, target: name, name, mcpToolName: null, approved, usage: null, failed: false };
      }
      if (call) {
        calls.push(call);
        scheduled.set(call.eventId, call);
      }
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (completed || failed) {
      const call = scheduled.get(Number((completed ?? failed)!.scheduledEventId));
      if (!call) continue;
      call.failed = !completed;
      if (call.kind === 'model') {
        call.usage = completed ? usageOf(firstPayload(completed.result)) : (spentUsageIn(firstPayload(failed!.failure?.applicationFailureInfo?.details)) ?? null);
      } else if (call.kind === 'memory' && completed) {
        // A pgvector Memory's embedding tokens are the run's tokens.
        call.usage = saneUsage(asObject(firstPayload(completed.result))?.usage);
      }
      continue;
    }
    const local = localModelCall(event);
    if (local) {
      const { echo, failure, result } = local;
      if (typeof echo?.agent !== 'string' || typeof echo.model !== 'string') continue;
      const usage = failure ? (spentUsageIn(firstPayload(failure.applicationFailureInfo?.details)) ?? null) : usageOf(result);
      calls.push({ ...base(event), kind: 'model', agent: echo.agent, target: keyOfModelId(plan, echo.agent, echo.model), name: echo.model, mcpToolName: null, approved: false, usage, failed: failure !== null });
      continue;
    }
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child) {
      const request = asObject(firstPayload(child.input));
      if (typeof request?.supervisor === 'string' && typeof request.agent === 'string') {
        calls.push({ ...base(event), kind: 'delegate', agent: request.supervisor, target: request.agent, name: `delegate ${request.agent}`, mcpToolName: null, approved: false, usage: null, failed: false });
      }
    }
  }
  return { plan, calls };
}
