/**
 * Routing is wire ABI: a routed run's task queue is recorded in its history, so the derivation
 * is pinned here, literally. And the matching rules are Orloj's `taskFitsWorkerRequirements`.
 */
import { describe, expect, it } from 'vitest';
import {
  baseTaskQueue,
  DEFAULT_CAPABILITIES,
  effectiveRequirements,
  fitsRequirements,
  isRouteOf,
  routedTaskQueue,
  routeQueuesFor,
  type WorkerCapabilities,
} from '../../contract/routing.ts';

const worker = (overrides: Partial<WorkerCapabilities>): WorkerCapabilities => ({ ...DEFAULT_CAPABILITIES, ...overrides });

describe('route queue names (frozen: recorded in history)', () => {
  it('are the base queue, /route/, then region, gpu, model in that order, trimmed, lower-cased, percent-encoded', () => {
    expect(routedTaskQueue('orch', { region: 'eu' })).toBe('orch/route/region=eu');
    expect(routedTaskQueue('orch', { gpu: true })).toBe('orch/route/gpu=true');
    expect(routedTaskQueue('orch', { model: 'gpt-4o' })).toBe('orch/route/model=gpt-4o');
    expect(routedTaskQueue('orch', { model: ' GPT-4o ', gpu: true, region: 'EU-West' })).toBe('orch/route/region=eu-west,gpu=true,model=gpt-4o');
    // A value cannot forge a separator or another key.
    expect(routedTaskQueue('q', { region: 'eu,gpu=true', model: 'a/b c' })).toBe('q/route/region=eu%2Cgpu%3Dtrue,model=a%2Fb%20c');
  });

  it('a plan without requirements stays on the base queue: recorded histories schedule as before', () => {
    expect(routedTaskQueue('orch', undefined)).toBe('orch');
    expect(routedTaskQueue('orch', null)).toBe('orch');
    expect(routedTaskQueue('orch', {})).toBe('orch');
  });

  it('isRouteOf recognises a route under any base, and nothing else', () => {
    expect(isRouteOf('team-a/route/region=eu,gpu=true', { region: 'EU', gpu: true })).toBe(true);
    expect(isRouteOf('orch', { gpu: true })).toBe(false);
    expect(isRouteOf('orch/route/region=eu,gpu=true', { region: 'eu' })).toBe(false);
    expect(isRouteOf('anything', undefined)).toBe(true);
    // A rate-limited model's queue under the route (`<queue>/model/…`) is the route's too.
    expect(isRouteOf('orch/route/gpu=true/model/default/m', { gpu: true })).toBe(true);
    expect(isRouteOf('orch/route/gpu=true,model=x/model/default/m', { gpu: true })).toBe(false);
  });
});

describe('baseTaskQueue: the deployment a queue belongs to (what routed and other runs share)', () => {
  it('strips the route and what is below it', () => {
    expect(baseTaskQueue('orch/route/region=eu,gpu=true')).toBe('orch');
    expect(baseTaskQueue('team/a/route/gpu=true/model/default/m')).toBe('team/a');
    expect(baseTaskQueue('orch')).toBe('orch');
  });
});

describe('requirements that apply (Orloj ignores the blank and the false)', () => {
  it('blank region or model and gpu false ask for nothing', () => {
    expect(effectiveRequirements({ region: '  ', gpu: false, model: '' })).toBeNull();
    expect(effectiveRequirements({ region: null, gpu: null, model: null })).toBeNull();
    expect(effectiveRequirements({ region: ' eu ', gpu: true, model: ' gpt-4o' })).toEqual({ region: 'eu', gpu: true, model: 'gpt-4o' });
  });
});

describe("fitsRequirements: Orloj's taskFitsWorkerRequirements", () => {
  it('region: trimmed, case-insensitive; a worker of another region (or the default one) does not fit', () => {
    expect(fitsRequirements({ region: 'EU' }, worker({ region: ' eu ' }))).toBe(true);
    expect(fitsRequirements({ region: 'eu' }, worker({ region: 'us' }))).toBe(false);
    expect(fitsRequirements({ region: 'eu' }, DEFAULT_CAPABILITIES)).toBe(false);
    expect(fitsRequirements({ region: 'default' }, DEFAULT_CAPABILITIES)).toBe(true);
  });

  it('gpu: only true asks; a GPU worker also serves runs that ask for none', () => {
    expect(fitsRequirements({ gpu: true }, worker({ gpu: false }))).toBe(false);
    expect(fitsRequirements({ gpu: true }, worker({ gpu: true }))).toBe(true);
    expect(fitsRequirements(effectiveRequirements({ gpu: false }), worker({ gpu: true }))).toBe(true);
  });

  it('model: case-insensitive among supported_models; a worker that lists none serves any model', () => {
    expect(fitsRequirements({ model: 'GPT-4o' }, worker({ supportedModels: ['gpt-4o', 'claude'] }))).toBe(true);
    expect(fitsRequirements({ model: 'gpt-4o' }, worker({ supportedModels: ['claude'] }))).toBe(false);
    expect(fitsRequirements({ model: 'anything' }, worker({ supportedModels: [] }))).toBe(true);
  });

  it('no requirements: every worker', () => {
    expect(fitsRequirements(null, worker({ region: 'eu', supportedModels: ['x'] }))).toBe(true);
  });
});

describe('routeQueuesFor: what a worker polls, from its capabilities alone', () => {
  it('a GPU worker in eu with one model polls every combination it satisfies, and the base queue', () => {
    expect(routeQueuesFor('orch', worker({ region: 'eu', gpu: true, supportedModels: ['M1'] }))).toEqual([
      'orch',
      'orch/route/gpu=true',
      'orch/route/gpu=true,model=m1',
      'orch/route/model=m1',
      'orch/route/region=eu',
      'orch/route/region=eu,gpu=true',
      'orch/route/region=eu,gpu=true,model=m1',
      'orch/route/region=eu,model=m1',
    ]);
  });

  it("every queue it polls is one whose requirements it fits, and every run it fits lands on one of them", () => {
    const caps = worker({ region: 'eu', gpu: false, supportedModels: ['a', 'B'] });
    const polled = new Set(routeQueuesFor('orch', caps));
    for (const region of [undefined, 'eu', 'EU', 'us']) {
      for (const gpu of [undefined, false, true]) {
        for (const model of [undefined, 'a', 'b', 'c']) {
          const requirements = effectiveRequirements({ region, gpu, model });
          expect(polled.has(routedTaskQueue('orch', requirements)), JSON.stringify(requirements)).toBe(fitsRequirements(requirements, caps));
        }
      }
    }
  });

  it('a worker that lists no models polls a model requirement only when told of it, and only when it fits', () => {
    const plain = routeQueuesFor('orch', DEFAULT_CAPABILITIES, [{ region: 'default', model: 'gpt-4o' }, { gpu: true }, { region: 'eu' }]);
    expect(plain).toEqual(['orch', 'orch/route/region=default', 'orch/route/region=default,model=gpt-4o']);
  });
});
