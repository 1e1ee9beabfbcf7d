/**
 * Telemetry costs nothing when it is off: a worker whose environment names no OTLP endpoint
 * loads no OpenTelemetry module (nor Temporal's OpenTelemetry interceptors) and gets no
 * interceptor or sink for it. Each case configures a worker in a fresh process whose module
 * hook lists every module resolved. Also the parsing of the OTEL variables.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { telemetryConfigFrom } from '../../worker/telemetry-config.ts';

const probe = fileURLToPath(new URL('./telemetry-probe.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const OTEL = /\/node_modules\/@opentelemetry\/|interceptors-opentelemetry|\/worker\/telemetry\.ts$|\/worker\/traced-workflow-bundle\.ts$/;

function configureWith(env: Record<string, string>): { summary: { activityInterceptors: number; sinks: string[]; workflowBundle: boolean }; modules: string[] } {
  // The probe's own environment carries no OTEL variable either: only `env`, given to the plugin, may turn it on.
  const processEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const out = execFileSync(process.execPath, [probe, JSON.stringify(env)], { cwd: root, encoding: 'utf8', env: processEnv });
  return JSON.parse(out.trim().split('\n').pop()!) as ReturnType<typeof configureWith>;
}

describe('telemetry off by default', () => {
  it('with no OTEL endpoint, no OpenTelemetry module is loaded and nothing is added to the worker', () => {
    const { summary, modules } = configureWith({ OTEL_SERVICE_NAME: 'orch' });
    expect(modules.some((url) => url.endsWith('/worker/plugin.ts'))).toBe(true);
    expect(modules.filter((url) => OTEL.test(url))).toEqual([]);
    expect(summary).toEqual({ activityInterceptors: 1, sinks: ['orchModelQueues'], workflowBundle: true });
  });

  it('OTEL_TRACES_EXPORTER=none and OTEL_METRICS_EXPORTER=none keep it off with an endpoint set', () => {
    const { summary, modules } = configureWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' });
    expect(modules.filter((url) => OTEL.test(url))).toEqual([]);
    expect(summary.activityInterceptors).toBe(1);
  });

  it('with an endpoint, the probe sees the OpenTelemetry modules and the added interceptors and sink (the check can fail)', () => {
    const { summary, modules } = configureWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(modules.some((url) => /\/node_modules\/@opentelemetry\/sdk-trace-base\//.test(url))).toBe(true);
    expect(modules.some((url) => /interceptors-opentelemetry/.test(url))).toBe(true);
    expect(summary).toEqual({ activityInterceptors: 3, sinks: ['exporter', 'orchModelQueues'], workflowBundle: true });
  });
});

describe('the OTEL environment variables', () => {
  it('off without an endpoint, or with OTEL_SDK_DISABLED', () => {
    expect(telemetryConfigFrom({})).toBeNull();
    expect(telemetryConfigFrom({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeNull();
    expect(telemetryConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
  });

  it('the shared endpoint is a base; a signal endpoint is used as given; headers, protocol, service and resource', () => {
    expect(
      telemetryConfigFrom({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:9000/ingest',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=ai',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'orch-prod',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.version=1.2',
      })
    ).toEqual({
      serviceName: 'orch-prod',
      resourceAttributes: { 'deployment.environment': 'prod', 'service.version': '1.2' },
      traces: { url: 'http://collector:4318/v1/traces', protocol: 'http/json', headers: { authorization: 'Bearer abc', 'x-team': 'ai' } },
      metrics: { url: 'http://metrics:9000/ingest', protocol: 'http/json', headers: { authorization: 'Bearer abc', 'x-team': 'ai' } },
    });
  });

  it('each signal on its own: traces only, metrics only; protobuf by default; grpc refused', () => {
    const traces = telemetryConfigFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' });
    expect(traces).toMatchObject({ serviceName: 'orch', traces: { url: 'http://c:4318/v1/traces', protocol: 'http/protobuf' }, metrics: null });
    expect(telemetryConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toMatchObject({ traces: null, metrics: { url: 'http://c:4318/v1/metrics' } });
    expect(() => telemetryConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/grpc is not supported/);
  });
});
