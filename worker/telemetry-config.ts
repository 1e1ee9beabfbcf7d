/**
 * Whether this worker exports OpenTelemetry traces and metrics, read from the standard OTEL
 * environment variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/). This
 * module loads no OpenTelemetry code: with no OTLP endpoint configured, nothing of it is loaded
 * and nothing is added to the worker. worker/telemetry.ts, loaded only when this says so, does
 * the rest.
 */

/** Where one signal (traces or metrics) is sent. */
export interface OtlpTarget {
  /** The full URL (`…/v1/traces`, `…/v1/metrics`). */
  url: string;
  headers: Record<string, string>;
  protocol: 'http/protobuf' | 'http/json';
}

export interface TelemetryConfig {
  serviceName: string;
  /** From `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-decoded). */
  resourceAttributes: Record<string, string>;
  traces: OtlpTarget | null;
  metrics: OtlpTarget | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `key=value,key2=value2`, each part percent-decoded, as the OTEL spec writes headers and resource attributes. */
function keyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.trim());
      } catch {
        return s.trim();
      }
    };
    out[decode(part.slice(0, at))] = decode(part.slice(at + 1));
  }
  return out;
}

function target(env: Env, signal: 'TRACES' | 'METRICS', path: string): OtlpTarget | null {
  const exporter = (env[`OTEL_${signal}_EXPORTER`] ?? 'otlp').trim().toLowerCase();
  if (exporter === 'none' || (exporter !== '' && !exporter.split(',').map((e) => e.trim()).includes('otlp'))) return null;
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The signal's own endpoint is used as given; the shared one is a base the signal's path is appended to.
  const url = own || (base ? `${base.replace(/\/+$/, '')}/${path}` : '');
  if (!url) return null;
  const protocol = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`orch: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported (use http/protobuf or http/json)`);
  }
  return { url, protocol, headers: { ...keyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...keyValues(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]) } };
}

/** The telemetry `env` asks for, or null when it asks for none (no OTLP endpoint, or `OTEL_SDK_DISABLED=true`). */
export function telemetryConfigFrom(env: Env): TelemetryConfig | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const traces = target(env, 'TRACES', 'v1/traces');
  const metrics = target(env, 'METRICS', 'v1/metrics');
  if (!traces && !metrics) return null;
  return { serviceName: env.OTEL_SERVICE_NAME?.trim() || 'orch', resourceAttributes: keyValues(env.OTEL_RESOURCE_ATTRIBUTES), traces, metrics };
}

/** What worker/telemetry.ts adds to a worker (its type only: importing it loads nothing). */
export type { WorkerTelemetry } from './telemetry.ts';

/**
 * The worker's telemetry when `env` asks for it, else null, without loading any OpenTelemetry
 * module: worker/telemetry.ts and the SDK are imported only past that check.
 */
export async function loadWorkerTelemetry(env: Env): Promise<import('./telemetry.ts').WorkerTelemetry | null> {
  const config = telemetryConfigFrom(env);
  if (!config) return null;
  const { startWorkerTelemetry } = await import('./telemetry.ts');
  return startWorkerTelemetry(config);
}
