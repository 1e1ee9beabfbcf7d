/**
 * Where a traced worker sees what a run does inside its workflow code: a span per agent
 * activation and per wait (approval, budget pause), and a decision span per policy check.
 * The traced bundle installs an OpenTelemetry implementation
 * (worker/telemetry-workflow-interceptors.ts); everywhere else this is the no-op below.
 *
 * `span` returns `fn`'s own promise, never a new one: traced or not, the run awaits the same
 * promises in the same order, so it schedules the same commands and a traced run's history
 * replays against the untraced bundle (and the other way round).
 */
import type { GateDecision } from '../policies/gate.ts';

/** Span attribute values: what OpenTelemetry accepts (no nested objects). */
export type TraceAttributes = Record<string, string | number | boolean | string[] | undefined>;

export interface RunTracer {
  /** Runs `fn` inside a span named `name`; `onResult` adds attributes from what it returned. */
  span<T>(name: string, attributes: TraceAttributes, fn: () => Promise<T>, onResult?: (value: T) => TraceAttributes): Promise<T>;
  /** A decision taken at one moment: a span of no duration under the active one. */
  decision(name: string, attributes: TraceAttributes): void;
}

const UNTRACED: RunTracer = {
  span: (_name, _attributes, fn) => fn(),
  decision: () => {},
};

let installed: RunTracer = UNTRACED;

/** Called once by the traced bundle's interceptors, before any run's code. */
export function installRunTracer(tracer: RunTracer): void {
  installed = tracer;
}

export function runTracer(): RunTracer {
  return installed;
}

/** A policy check's verdict as a decision span: `allow`, `deny` or `approval_required`, with the deciding policy and rule. */
export function tracePolicyDecision(agent: string, subject: 'model' | 'tool' | 'memory' | 'delegate', target: string, decision: GateDecision): void {
  const tracer = runTracer();
  if (tracer === UNTRACED) return;
  const attributes: TraceAttributes = { 'orch.agent': agent, 'orch.policy.subject': subject, [subject === 'model' ? 'orch.model_endpoint' : 'orch.tool']: target };
  if (decision.allowed) tracer.decision(`policy ${target}`, { ...attributes, 'orch.policy.verdict': 'allow' });
  else {
    const verdict = decision.verdict ?? 'deny';
    tracer.decision(`policy ${target}`, {
      ...attributes,
      'orch.policy.verdict': verdict,
      'orch.policy.name': decision.policy,
      'orch.policy.rule': decision.rule ?? undefined,
      'orch.policy.reason': decision.reason,
      ...(verdict === 'deny' ? { 'orch.denial.code': decision.code } : {}),
    });
  }
}
