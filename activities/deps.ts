/**
 * What the worker injects into activities. Kept apart from the activities so tests and
 * the worker build them the same way.
 */
import type { SecretValues } from './types.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from './activity-context.ts';

/** Injected dependencies of {@link createActivities}; every field is optional. */
export interface ActivityDeps {
  /** Values of Secret manifests, keyed `namespace/name`, then by data key. */
  secrets?: SecretValues;
  /** Where `ORCH_SECRET_*` / `ORLOJ_SECRET_*` and provider key variables are read. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The fetch used for model and tool HTTP calls. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Interval between heartbeats while a call is in flight. Default: 1000 ms. */
  heartbeatIntervalMs?: number;
}

/** {@link ActivityDeps} with defaults applied. */
export interface ActivityRuntime {
  secrets: SecretValues;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch | undefined;
  heartbeatIntervalMs: number;
}

/** Applies the defaults. `fetch` stays undefined when not given so providers use their own default. */
export function activityRuntime(deps: ActivityDeps = {}): ActivityRuntime {
  return {
    secrets: deps.secrets ?? {},
    env: deps.env ?? process.env,
    fetch: deps.fetch,
    heartbeatIntervalMs: deps.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
  };
}
