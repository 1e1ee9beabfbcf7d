/** Worker defaults, as Orloj's: see contract/routing.ts for what the capabilities route. */
import { DEFAULT_WORKER_REGION, type WorkerCapabilities } from '../../contract/routing.ts';
import type { WorkerSpecInput } from '../schemas/worker.ts';

/**
 * A Worker's capabilities. An absent region is Orloj's worker default (`default`); a written
 * `max_concurrent_tasks` of 0 or less is 1, as Orloj reads it; an absent one sets no bound
 * (Orloj's would be 1 run at a time; orch's bound is on calls, see worker/route-workers.ts).
 */
export function normalizeWorker(input: WorkerSpecInput): WorkerCapabilities {
  const region = input.region?.trim();
  return {
    region: region ? region : DEFAULT_WORKER_REGION,
    gpu: input.capabilities?.gpu === true,
    supportedModels: (input.capabilities?.supported_models ?? []).map((m) => m.trim()).filter((m) => m !== ''),
    ...(input.max_concurrent_tasks === undefined ? {} : { maxConcurrentTasks: Math.max(1, input.max_concurrent_tasks) }),
  };
}
