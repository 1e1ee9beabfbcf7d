/**
 * Workflow interceptors of the traced bundle only (worker/traced-workflow-bundle.ts), inside
 * Temporal's OpenTelemetry ones: they put what the run decided on its workflow span
 * (`RunWorkflow:orchRun`, the active span while the run executes), from its result or failure:
 * usage and cost totals, the failure's code, and the denials no activity saw (a hard-stop
 * policy denial fails the run in workflow code; refusals in the result's `refusals`). Nothing of
 * the outputs. They also install the run tracer (workflows/run-tracer.ts): a span per agent
 * activation and per wait, a decision span per policy check, under the workflow span and above
 * the calls scheduled inside them. Runs in the workflow sandbox: deterministic, no I/O (a span
 * schedules no command; Temporal's span exporter sink drops what a replay re-creates). Span
 * times are the workflow's clock: the start of the workflow task that saw it.
 */
import * as otel from '@opentelemetry/api';
import { ApplicationFailure, getRandomStream, type WorkflowInterceptors } from '@temporalio/workflow';
import { FAILURE_CATALOG, type FailureCode } from '../contract/failures.ts';
import type { Refusal, RunUsage } from '../contract/run-io.ts';
import { installRunTracer, type RunTracer, type TraceAttributes } from '../workflows/run-tracer.ts';

/** Attributes OpenTelemetry takes: the undefined ones left out (it would warn about each). */
function defined(attributes: TraceAttributes): otel.Attributes {
  const kept: otel.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) kept[key] = value;
  return kept;
}

/** A failure's code, never its message (which can quote what the run handled). */
function codeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const coded = error as { code?: unknown; type?: unknown; name?: unknown };
    for (const candidate of [coded.code, coded.type, coded.name]) if (typeof candidate === 'string' && candidate) return candidate;
  }
  return 'Error';
}

/**
 * orch's spans take their ids from a random stream of their own: Temporal's spans draw from the
 * workflow's main stream, also in query handlers and update validators, which a replay does
 * not run. So a span that outlives a worker (an approval waiting across a restart) is
 * re-created in the replay with the id its children, exported before, name as their parent.
 */
function startSpan(name: string, attributes: TraceAttributes): otel.Span {
  return getRandomStream('orch.trace-ids').with(() => otel.trace.getTracer('orch').startSpan(name, { attributes: defined(attributes) }));
}

const OTEL_RUN_TRACER: RunTracer = {
  span(name, attributes, fn, onResult) {
    const span = startSpan(name, attributes);
    return otel.context.with(otel.trace.setSpan(otel.context.active(), span), () => {
      const running = fn();
      // Ends the span when the work settles; the caller awaits `running` itself, unchanged.
      running.then(
        (value) => {
          try {
            if (onResult) span.setAttributes(defined(onResult(value)));
          } catch {
            // An attribute that cannot be read is not worth a failed workflow task (an unhandled rejection would be one).
          }
          span.end();
        },
        (error: unknown) => {
          const code = codeOf(error);
          span.setAttribute('error.type', code);
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: code });
          span.end();
        }
      );
      return running;
    });
  },
  decision(name, attributes) {
    startSpan(name, attributes).end();
  },
};

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
    // An undeclared tool's name is the model's own text: the code says enough.
    const tool = refusal.code === 'TOOL_NOT_DECLARED' ? {} : { 'orch.tool': refusal.tool };
    if (isDenial(refusal.code)) span.addEvent('orch.denial', { 'orch.denial.code': refusal.code, 'orch.agent': refusal.agent, ...tool });
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
  installRunTracer(OTEL_RUN_TRACER);
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
