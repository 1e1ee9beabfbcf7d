/**
 * Workflow interceptors of the traced bundle only (worker/traced-workflow-bundle.ts), inside
 * Temporal's OpenTelemetry ones: they put what the run decided on its workflow span
 * (`RunWorkflow:orchRun`, the active span while the run executes), from its result or failure:
 * usage and cost totals, the failure's code, and the denials no activity saw (a hard-stop
 * policy denial fails the run in workflow code; refusals in the result's `refusals`). Nothing of
 * the outputs. Runs in the workflow sandbox: deterministic, no I/O (setting span attributes
 * schedules no command).
 */
import * as otel from '@opentelemetry/api';
import { ApplicationFailure, type WorkflowInterceptors } from '@temporalio/workflow';
import { FAILURE_CATALOG, type FailureCode } from '../contract/failures.ts';
import type { Refusal, RunUsage } from '../contract/run-io.ts';

function isDenial(code: unknown): boolean {
  if (typeof code !== 'string' || !Object.hasOwn(FAILURE_CATALOG, code)) return false;
  const entry = FAILURE_CATALOG[code as FailureCode];
  return entry.category === 'refusal' || entry.category === 'governance' || entry.refusal;
}

function usageAttributes(usage: RunUsage | undefined): otel.Attributes {
  const total = usage?.total;
  if (!total) return {};
  return {
    'orch.usage.input_tokens': total.inputTokens,
    'orch.usage.output_tokens': total.outputTokens,
    'orch.usage.model_calls': total.modelCalls,
    'orch.usage.tool_calls': total.toolCalls,
    'orch.cost_usd': total.costUsd,
  };
}

function recordRefusals(span: otel.Span, refusals: Refusal[] | undefined): void {
  for (const refusal of refusals ?? []) {
    if (isDenial(refusal.code)) span.addEvent('orch.denial', { 'orch.denial.code': refusal.code, 'orch.agent': refusal.agent, 'orch.tool': refusal.tool });
  }
}

/** Who asks for a call, on its `StartActivity:*` span (the active span while it is scheduled): the agent, its activation and step, the tool. */
function callAttributes(args: unknown[]): otel.Attributes {
  const request = (args[0] ?? {}) as { agent?: unknown; activation?: unknown; step?: unknown; toolKey?: unknown };
  return {
    ...(typeof request.agent === 'string' ? { 'orch.agent': request.agent } : {}),
    ...(typeof request.activation === 'number' ? { 'orch.activation': request.activation } : {}),
    ...(typeof request.step === 'number' ? { 'orch.step': request.step } : {}),
    ...(typeof request.toolKey === 'string' ? { 'orch.tool': request.toolKey } : {}),
  };
}

export function interceptors(): WorkflowInterceptors {
  return {
    outbound: [
      {
        scheduleActivity(input, next) {
          otel.trace.getActiveSpan()?.setAttributes(callAttributes(input.args));
          return next(input);
        },
        scheduleLocalActivity(input, next) {
          otel.trace.getActiveSpan()?.setAttributes(callAttributes(input.args));
          return next(input);
        },
      },
    ],
    inbound: [
      {
        async execute(input, next) {
          const span = otel.trace.getActiveSpan();
          try {
            const result = await next(input);
            if (span && result && typeof result === 'object') {
              const run = result as { usage?: RunUsage; refusals?: Refusal[]; activations?: unknown[] };
              span.setAttributes({ 'orch.run.status': 'succeeded', ...usageAttributes(run.usage), ...(Array.isArray(run.activations) ? { 'orch.activations': run.activations.length } : {}) });
              recordRefusals(span, run.refusals);
            }
            return result;
          } catch (error) {
            if (span && error instanceof ApplicationFailure) {
              const details = (error.details?.[0] ?? {}) as { agent?: string | null; usage?: RunUsage; refusals?: Refusal[] };
              span.setAttributes({ 'orch.run.status': 'failed', 'error.type': error.type ?? 'ApplicationFailure', ...(details.agent ? { 'orch.agent': details.agent } : {}), ...usageAttributes(details.usage) });
              if (isDenial(error.type)) span.addEvent('orch.denial', { 'orch.denial.code': error.type!, ...(details.agent ? { 'orch.agent': details.agent } : {}) });
              recordRefusals(span, details.refusals);
            }
            throw error;
          }
        },
      },
    ],
  };
}
