/**
 * Worker routing (Orloj `Task.requirements` against `Worker` capabilities): which task queue a
 * run goes to, and which queues a worker with given capabilities polls.
 *
 * A run with requirements goes, workflow and every activity, to one queue of its own:
 * `<base>/route/<key>`, where `<key>` is the requirements in canonical form (Orloj compares
 * trimmed values case-insensitively, so they are trimmed and lower-cased; each value is
 * percent-encoded, so no value can forge a separator). Why the whole run and not only its
 * calls: activities default to the workflow's queue, so model, tool, memory and MCP calls,
 * delegates (child workflows inherit the queue), continue-as-new and the per-endpoint
 * rate-limited model queues (`<queue>/model/…`, announced by the workflow to the worker running
 * it, which is then a matching one) all follow without one routing decision in workflow code;
 * a run's prompts and outputs are only ever handled by workers that match (what `region` is
 * usually for); and a run without requirements stays on `<base>` exactly as before, so
 * recorded histories replay unchanged. Routing only the calls, with the workflow on `<base>`,
 * would need the workflow to pick each call's queue, and the rate-limited model queues it
 * announces to whichever worker runs its workflow task could then reach one that does not
 * match. What every run of a deployment shares stays on `<base>` ({@link baseTaskQueue}: a
 * Memory's store). The workflow itself does not check its queue (a replay runs on a queue of
 * its own); the worker refuses a routed run's calls off its route (ROUTE_MISMATCH).
 *
 * The queue name is recorded in history (every scheduled task names it): this derivation is
 * part of the wire ABI, pinned by test/contract/routing.test.ts. Change it and running routed
 * runs are stranded on a queue nobody polls.
 *
 * A worker polls `<base>` and the queue of every combination of requirements it satisfies,
 * computed from its capabilities alone: region none or its own, gpu none or (with a GPU) true,
 * model none or one of its `supported_models`. That is finite, except for a worker that lists
 * no models (Orloj: it serves any model): it polls the model-free combinations and the queues
 * of requirements it was told about, e.g. the Tasks of the manifests it loaded
 * ({@link routeQueuesFor} `known`). Workflow code may use this file: it imports only a type.
 */
import type { PlanRequirements } from './plan.ts';

export type { PlanRequirements };

/** What a worker offers (Orloj `WorkerSpec`, or `orch worker --capabilities`). */
export interface WorkerCapabilities {
  /** Orloj's worker defaults to region `default`; see {@link DEFAULT_WORKER_REGION}. */
  region: string;
  gpu: boolean;
  /** Empty: any model, as in Orloj. */
  supportedModels: readonly string[];
  /** Orloj `max_concurrent_tasks`; unset: Temporal's own slot defaults (see worker/route-workers.ts). */
  maxConcurrentTasks?: number;
}

/** The region of a worker that names none: Orloj's `orlojworker --region` default, so Orloj Tasks asking for `region: default` run on a plain worker. */
export const DEFAULT_WORKER_REGION = 'default';

/** The capabilities of a worker told nothing: Orloj's worker defaults. */
export const DEFAULT_CAPABILITIES: WorkerCapabilities = { region: DEFAULT_WORKER_REGION, gpu: false, supportedModels: [] };

/** Orloj compares with `strings.EqualFold(strings.TrimSpace(...))`. */
const canonical = (value: string) => value.trim().toLowerCase();
const sameText = (a: string, b: string) => canonical(a) === canonical(b);

/**
 * The requirements that apply, from a Task's as written: Orloj ignores an empty or blank
 * region or model and a `gpu` that is not true. Null when none applies: the run goes anywhere.
 */
export function effectiveRequirements(written: { region?: string | null; gpu?: boolean | null; model?: string | null }): PlanRequirements | null {
  const out: PlanRequirements = {};
  if (written.region && written.region.trim() !== '') out.region = written.region.trim();
  if (written.gpu === true) out.gpu = true;
  if (written.model && written.model.trim() !== '') out.model = written.model.trim();
  return Object.keys(out).length > 0 ? out : null;
}

/** Orloj's `taskFitsWorkerRequirements`, exactly. */
export function fitsRequirements(requirements: PlanRequirements | null | undefined, worker: WorkerCapabilities): boolean {
  if (!requirements) return true;
  if (requirements.region !== undefined && !sameText(requirements.region, worker.region)) return false;
  if (requirements.gpu === true && !worker.gpu) return false;
  if (requirements.model !== undefined && worker.supportedModels.length > 0 && !worker.supportedModels.some((m) => sameText(m, requirements.model!))) {
    return false;
  }
  return true;
}

/** The canonical key of requirements: `region=<r>,gpu=true,model=<m>`, those that apply, in that order. */
export function routeKey(requirements: PlanRequirements): string {
  const parts: string[] = [];
  if (requirements.region !== undefined) parts.push(`region=${encodeURIComponent(canonical(requirements.region))}`);
  if (requirements.gpu === true) parts.push('gpu=true');
  if (requirements.model !== undefined) parts.push(`model=${encodeURIComponent(canonical(requirements.model))}`);
  return parts.join(',');
}

/** What separates a base queue from a route key. */
export const ROUTE_SEPARATOR = '/route/';

/** The task queue of a run of a plan with `requirements` whose deployment queue is `base`. */
export function routedTaskQueue(base: string, requirements: PlanRequirements | null | undefined): string {
  if (!requirements) return base;
  const key = routeKey(requirements);
  return key === '' ? base : `${base}${ROUTE_SEPARATOR}${key}`;
}

/**
 * Whether `taskQueue` is one runs with `requirements` are routed to, under whatever base: the
 * route's queue, or a queue below it (a rate-limited model's, `<route>/model/…`). Always true
 * without requirements. A key percent-encodes `/`, so a key never runs into what follows.
 */
export function isRouteOf(taskQueue: string, requirements: PlanRequirements | null | undefined): boolean {
  const key = requirements ? routeKey(requirements) : '';
  if (key === '') return true;
  const route = `${ROUTE_SEPARATOR}${key}`;
  return taskQueue.endsWith(route) || taskQueue.includes(`${route}/`);
}

/**
 * The deployment queue a (route) queue belongs to: what is shared by every run of the
 * deployment whatever its route, such as a Memory's store (Orloj's Memory is one for all).
 */
export function baseTaskQueue(taskQueue: string): string {
  const at = taskQueue.indexOf(ROUTE_SEPARATOR);
  return at < 0 ? taskQueue : taskQueue.slice(0, at);
}

/** `region=eu, gpu, model=gpt-4o`, for messages and the Web UI. */
export function describeRequirements(requirements: PlanRequirements): string {
  const parts: string[] = [];
  if (requirements.region !== undefined) parts.push(`region=${requirements.region}`);
  if (requirements.gpu === true) parts.push('gpu=true');
  if (requirements.model !== undefined) parts.push(`model=${requirements.model}`);
  return parts.join(', ');
}

/**
 * Every queue a worker with `capabilities` polls under `base`: `base` itself (runs without
 * requirements run anywhere, as in Orloj), each combination of requirements it satisfies,
 * and the route of each `known` requirement set it satisfies (how a worker that lists no
 * models learns which model requirements there are). Sorted, without duplicates.
 */
export function routeQueuesFor(base: string, capabilities: WorkerCapabilities, known: readonly PlanRequirements[] = []): string[] {
  const regions: (string | undefined)[] = [undefined, ...(capabilities.region.trim() === '' ? [] : [capabilities.region])];
  const gpus: (true | undefined)[] = [undefined, ...(capabilities.gpu ? [true as const] : [])];
  const models: (string | undefined)[] = [undefined, ...capabilities.supportedModels.filter((m) => m.trim() !== '')];
  const queues = new Set<string>([base]);
  for (const region of regions) {
    for (const gpu of gpus) {
      for (const model of models) {
        queues.add(routedTaskQueue(base, effectiveRequirements({ region, gpu, model })));
      }
    }
  }
  for (const requirements of known) {
    if (fitsRequirements(requirements, capabilities)) queues.add(routedTaskQueue(base, requirements));
  }
  return [...queues].sort();
}
