/**
 * OpenTelemetry for an orch worker: loaded (`await import`) only when worker/telemetry-config.ts
 * finds an OTLP endpoint in the worker's environment, so a worker without one loads none of it.
 *
 * Traces: Temporal's interceptors (`@temporalio/interceptors-opentelemetry`) carry one trace
 * through a run: the workflow span (`RunWorkflow:orchRun`, made in the workflow sandbox and
 * handed out through the `exporter` sink), a `StartActivity:*` span per scheduled call, and the
 * activity's own span on the worker, under it. orch's interceptor (below) names the activity
 * spans after what they are and adds the GenAI semantic-convention attributes for model calls
 * and orch's for tool calls, from the activity's request and result, never their content
 * (prompts, outputs and secrets stay out of spans).
 *
 * Metrics: orch.tokens, orch.cost_usd, orch.denials, orch.model_call.duration,
 * orch.tool_call.duration.
 *
 * Nothing is registered as the global tracer or meter provider (an application's own stay
 * untouched); only a context manager and the W3C propagator are, when none is, because
 * Temporal's interceptors read the active context and propagate through the global API.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as otel from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/worker/index.js';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import type { ModelCallRequest, ModelCallResult, ToolCallRequest, ToolCallResult } from '../contract/activity-io.ts';
import type { MemoryCallRequest } from '../contract/memory-io.ts';
import { FAILURE_CATALOG, type FailureCode } from '../contract/failures.ts';
import { ACTIVITY_TYPES } from '../contract/wire-names.ts';
import type { OtlpTarget, TelemetryConfig } from './telemetry-config.ts';

/** What the plugin adds to a worker when telemetry is on. */
export interface WorkerTelemetry {
  /** Temporal's activity span, then orch's attributes and metrics inside it (first = outermost). */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** The `exporter` sink through which the workflow sandbox hands out its spans. */
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** The workflow interceptor modules: Temporal's, then orch's inside them (worker/telemetry-workflow-interceptors.ts). */
  workflowInterceptorModules: string[];
  /** Exports what is buffered and stops the exporters (the worker's shutdown waits for it). */
  shutdown(): Promise<void>;
}

/**
 * Temporal's workflow-side interceptors (inbound, outbound, internals), then orch's inside them:
 * bundled into the traced workflow bundle. First is outermost.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  fileURLToPath(new URL(`./telemetry-workflow-interceptors${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)),
];

/** An AsyncLocalStorage context manager (what `@opentelemetry/context-async-hooks` provides), so spans nest across awaits. */
class AsyncLocalContextManager implements otel.ContextManager {
  readonly #storage = new AsyncLocalStorage<otel.Context>();
  active(): otel.Context {
    return this.#storage.getStore() ?? otel.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: otel.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(context: otel.Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

let globalsInstalled = false;
/** Once per process, and only where nothing else installed them (an application's own SDK wins). */
function installPropagationGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  // The API reports a second registration through its diag logger and keeps the first.
  if (otel.context.active() === otel.ROOT_CONTEXT && !probeContextManager()) otel.context.setGlobalContextManager(new AsyncLocalContextManager().enable());
  if (otel.propagation.fields().length === 0) otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Whether a real context manager is registered: a value set with `with` is visible inside. */
function probeContextManager(): boolean {
  const key = otel.createContextKey('orch.probe');
  return otel.context.with(otel.ROOT_CONTEXT.setValue(key, true), () => otel.context.active().getValue(key) === true);
}

async function spanExporter(target: OtlpTarget): Promise<SpanExporter> {
  if (target.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: target.url, headers: target.headers });
  }
  // The 0.57 `-otlp-http` exporters write JSON; protobuf over HTTP is the same delegate with the protobuf serializer.
  const [{ OTLPExporterBase }, { createOtlpHttpExportDelegate, convertLegacyHttpOptions }, { ProtobufTraceSerializer }] = await Promise.all([
    import('@opentelemetry/otlp-exporter-base'),
    import('@opentelemetry/otlp-exporter-base/node-http'),
    import('@opentelemetry/otlp-transformer'),
  ]);
  const options = convertLegacyHttpOptions({ url: target.url, headers: target.headers }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, ProtobufTraceSerializer)) as unknown as SpanExporter;
}

async function metricExporter(target: OtlpTarget): Promise<PushMetricExporter> {
  const { OTLPMetricExporter, OTLPMetricExporterBase } = await import('@opentelemetry/exporter-metrics-otlp-http');
  if (target.protocol === 'http/json') return new OTLPMetricExporter({ url: target.url, headers: target.headers });
  const [{ createOtlpHttpExportDelegate, convertLegacyHttpOptions }, { ProtobufMetricsSerializer }] = await Promise.all([
    import('@opentelemetry/otlp-exporter-base/node-http'),
    import('@opentelemetry/otlp-transformer'),
  ]);
  const options = convertLegacyHttpOptions({ url: target.url, headers: target.headers }, 'METRICS', 'v1/metrics', { 'Content-Type': 'application/x-protobuf' });
  return new OTLPMetricExporterBase(createOtlpHttpExportDelegate(options, ProtobufMetricsSerializer));
}

/** Codes that mean a call was refused: the workflow's refusals and governance's denials. */
function isDenial(code: unknown): code is FailureCode {
  if (typeof code !== 'string' || !Object.hasOwn(FAILURE_CATALOG, code)) return false;
  const entry = FAILURE_CATALOG[code as FailureCode];
  return entry.category === 'refusal' || entry.category === 'governance' || entry.refusal;
}

/** The coded error a tool result carries (`{ error: CODE, … }`), or null. */
function errorCodeOf(output: unknown): string | null {
  if (output && typeof output === 'object' && !Array.isArray(output)) {
    const code = (output as Record<string, unknown>).error;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
  }
  return null;
}

interface Instruments {
  tokens: otel.Counter;
  cost: otel.Counter;
  denials: otel.Counter;
  modelDuration: otel.Histogram;
  toolDuration: otel.Histogram;
}

function instruments(meter: otel.Meter): Instruments {
  return {
    tokens: meter.createCounter('orch.tokens', { unit: '{token}', description: 'Tokens of model calls, by agent, model and direction (input, output)' }),
    cost: meter.createCounter('orch.cost_usd', { unit: 'USD', description: "Cost of model calls at their endpoint's pricing" }),
    denials: meter.createCounter('orch.denials', { unit: '{denial}', description: 'Refused or denied calls, by code' }),
    modelDuration: meter.createHistogram('orch.model_call.duration', { unit: 's', description: 'Duration of one model call attempt' }),
    toolDuration: meter.createHistogram('orch.tool_call.duration', { unit: 's', description: 'Duration of one tool call attempt' }),
  };
}

/** The failure's code: an ApplicationFailure's `type`, else the error's name. */
function failureCode(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type;
  return error instanceof Error ? error.name : 'Error';
}

/**
 * orch's activity interceptor, inside Temporal's activity span (the active span): names it,
 * sets the attributes and records the metrics. Reads requests and results, changes neither.
 */
function orchSpanInterceptor(metrics: Instruments | null): ActivityInterceptorsFactory {
  return (context: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const type = context.info.activityType;
        const span = otel.trace.getActiveSpan();
        const started = performance.now();
        const first = context.info.attempt <= 1;
        let attributes: otel.Attributes = {};
        let onResult: (result: unknown) => void = () => {};
        const denied = (code: string, extra: otel.Attributes) => {
          span?.addEvent('orch.denial', { 'orch.denial.code': code, ...extra });
          metrics?.denials.add(1, { 'orch.denial.code': code, ...extra });
        };
        if (type === ACTIVITY_TYPES.callModel) {
          const request = input.args[0] as ModelCallRequest;
          const model = request.model;
          attributes = {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': model.provider,
            'gen_ai.provider.name': model.provider,
            'gen_ai.request.model': model.model,
            'orch.agent': request.agent,
            'orch.activation': request.activation,
            'orch.step': request.step,
            'orch.model_endpoint': `${model.id.namespace}/${model.id.name}`,
            ...(typeof request.maxOutputTokens === 'number' ? { 'gen_ai.request.max_tokens': request.maxOutputTokens } : {}),
          };
          span?.updateName(`chat ${model.model}`);
          // The refusals of the previous turn reach the model in this call: the tool results after its last reply.
          if (first) {
            const lastReply = request.messages.findLastIndex((message) => message.role === 'assistant');
            // A tool the agent was not offered is named by the model's own text: not an attribute (nor a metric's label).
            const offered = new Set(request.tools.map((tool) => tool.name));
            for (const message of request.messages.slice(lastReply + 1)) {
              if (message.role !== 'tool' || !message.isError) continue;
              const code = errorCodeOf(message.output);
              if (code && isDenial(code)) denied(code, { 'orch.agent': request.agent, ...(offered.has(message.toolName) ? { 'orch.tool': message.toolName } : {}) });
            }
          }
          onResult = (value) => {
            const result = value as ModelCallResult;
            if (result.handedOver) return;
            const inputTokens = result.usage.inputTokens + (result.retriedUsage?.inputTokens ?? 0);
            const outputTokens = result.usage.outputTokens + (result.retriedUsage?.outputTokens ?? 0);
            const pricing = model.pricing;
            const cost = pricing ? (inputTokens * pricing.inputPerMillion + outputTokens * pricing.outputPerMillion) / 1e6 : null;
            span?.setAttributes({
              'gen_ai.response.model': result.modelId,
              'gen_ai.usage.input_tokens': result.usage.inputTokens,
              'gen_ai.usage.output_tokens': result.usage.outputTokens,
              'gen_ai.response.finish_reasons': [result.finishReason],
              'orch.tool_calls': result.toolCalls.length,
              ...(result.usageReported === false ? { 'orch.usage_reported': false } : {}),
              ...(result.retriedUsage ? { 'orch.retried_usage.input_tokens': result.retriedUsage.inputTokens, 'orch.retried_usage.output_tokens': result.retriedUsage.outputTokens } : {}),
              ...(cost !== null ? { 'orch.cost_usd': cost } : {}),
            });
            const labels = { 'orch.agent': request.agent, 'gen_ai.request.model': model.model, 'gen_ai.provider.name': model.provider };
            metrics?.tokens.add(inputTokens, { ...labels, 'gen_ai.token.type': 'input' });
            metrics?.tokens.add(outputTokens, { ...labels, 'gen_ai.token.type': 'output' });
            if (cost !== null) metrics?.cost.add(cost, labels);
          };
        } else if (type === ACTIVITY_TYPES.callTool || type === ACTIVITY_TYPES.callMemory) {
          const request = input.args[0] as ToolCallRequest | MemoryCallRequest;
          const tool = 'tool' in request && request.tool ? (request as ToolCallRequest).tool : null;
          const name = (request as ToolCallRequest).toolKey ?? tool?.name ?? (request as ToolCallRequest).call?.name ?? type;
          attributes = {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': (request as ToolCallRequest).call?.name ?? name,
            'orch.tool': name,
            ...(request.agent ? { 'orch.agent': request.agent } : {}),
            ...(tool?.type ? { 'orch.tool.type': tool.type } : {}),
          };
          span?.updateName(`execute_tool ${(request as ToolCallRequest).call?.name ?? name}`);
          onResult = (value) => {
            const result = value as ToolCallResult;
            span?.setAttributes({ 'orch.tool.is_error': result.isError, 'orch.tool.truncated': result.truncated });
            const code = result.isError ? errorCodeOf(result.output) : null;
            if (code) {
              span?.setAttribute('error.type', code);
              if (isDenial(code)) denied(code, { 'orch.agent': request.agent, 'orch.tool': name });
            }
          };
        }
        span?.setAttributes(attributes);
        try {
          const result = await next(input);
          onResult(result);
          return result;
        } catch (error) {
          const code = failureCode(error);
          span?.setAttribute('error.type', code);
          if (isDenial(code)) denied(code, { ...(typeof attributes['orch.agent'] === 'string' ? { 'orch.agent': attributes['orch.agent'] } : {}), ...(typeof attributes['orch.tool'] === 'string' ? { 'orch.tool': attributes['orch.tool'] } : {}) });
          throw error;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          const labels: otel.Attributes = { 'orch.agent': String(attributes['orch.agent'] ?? '') };
          if (type === ACTIVITY_TYPES.callModel) metrics?.modelDuration.record(seconds, { ...labels, 'gen_ai.request.model': String(attributes['gen_ai.request.model']) });
          else if (type === ACTIVITY_TYPES.callTool || type === ACTIVITY_TYPES.callMemory) metrics?.toolDuration.record(seconds, { ...labels, 'orch.tool': String(attributes['orch.tool']) });
        }
      },
    };
    return { inbound };
  };
}

/**
 * The denials decided in workflow code that no activity saw (a hard-stop policy denial, the
 * refusals listed in a run's result) are `orch.denial` events on the workflow span
 * (worker/telemetry-workflow-interceptors.ts); the sink that receives that span counts them.
 */
function countingWorkflowDenials(sink: ReturnType<typeof makeWorkflowExporter>, metrics: Instruments | null): ReturnType<typeof makeWorkflowExporter> {
  if (!metrics) return sink;
  const exportSpans = sink.export.fn;
  return {
    export: {
      ...sink.export,
      fn: (info, spans) => {
        for (const span of spans) {
          for (const event of span.events ?? []) if (event.name === 'orch.denial') metrics.denials.add(1, event.attributes ?? {});
        }
        return exportSpans(info, spans);
      },
    },
  };
}

/** Starts the providers `config` asks for; the plugin stops them when the worker stops. */
export async function startWorkerTelemetry(config: TelemetryConfig): Promise<WorkerTelemetry> {
  installPropagationGlobals();
  const resource = new Resource({ 'service.name': config.serviceName, ...config.resourceAttributes });
  const tracerProvider = config.traces ? new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(await spanExporter(config.traces))] }) : null;
  const meterProvider = config.metrics
    ? new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: await metricExporter(config.metrics), exportIntervalMillis: 15_000 })] })
    : null;
  const tracer = tracerProvider?.getTracer('orch');
  const metrics = meterProvider ? instruments(meterProvider.getMeter('orch')) : null;
  const activityInterceptors: ActivityInterceptorsFactory[] = [];
  if (tracer) {
    activityInterceptors.push((context) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(context, { tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(context),
    }));
  }
  activityInterceptors.push(orchSpanInterceptor(metrics));
  // Spans ended in the workflow sandbox go through the same processor as the worker's own.
  const processor = tracerProvider ? (tracerProvider as unknown as { activeSpanProcessor: Parameters<typeof makeWorkflowExporter>[0] }).activeSpanProcessor : null;
  let stopped: Promise<void> | null = null;
  return {
    activityInterceptors,
    sinks: processor ? { exporter: countingWorkflowDenials(makeWorkflowExporter(processor, resource), metrics) } : {},
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    shutdown() {
      stopped ??= Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]).then(() => undefined);
      return stopped;
    },
  };
}
