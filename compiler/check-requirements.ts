/**
 * Task.requirements against the Workers of the same manifests: a Task that no Worker there
 * can run is a located REQUIREMENTS_UNMATCHED warning at its `requirements`.
 *
 * A warning, not an error: the manifests need not describe the whole fleet. A worker's
 * capabilities can come from its command line (`orch worker --capabilities`), as Orloj's come
 * from `orlojworker` flags, so a run may well find a worker these manifests do not name; and
 * a run that finds none is refused at start (NO_MATCHING_WORKER) with the queue it needs.
 * Orloj matches Workers of every namespace, so the check does too.
 */
import { describeRequirements, effectiveRequirements, fitsRequirements } from '../contract/routing.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ResourceRegistry } from './registry.ts';
import type { WorkerResource } from './resources.ts';
import { keyLocation } from './source-map.ts';

export function checkRequirements(registry: ResourceRegistry, out: Diagnostic[]): void {
  const entries = registry.all();
  const workers = entries.map((p) => p.resource).filter((r): r is WorkerResource => r?.kind === 'Worker');
  if (workers.length === 0) return;
  for (const { resource, source } of entries) {
    if (resource?.kind !== 'Task') continue;
    const requirements = effectiveRequirements(resource.spec.requirements);
    if (!requirements || workers.some((worker) => fitsRequirements(requirements, worker.spec))) continue;
    const path = ['spec', 'requirements'];
    out.push({
      code: 'REQUIREMENTS_UNMATCHED',
      severity: 'warning',
      message: `no Worker of these manifests serves Task ${resource.key}'s requirements (${describeRequirements(requirements)}); its runs need a worker started with matching --capabilities (workers here: ${workers.map((w) => w.key).join(', ')})`,
      location: keyLocation(source, path),
      path,
    });
  }
}
