/**
 * The compiler's side of routing: a Task's requirements enter its plan (only those that apply,
 * and only when some do), Workers are normalized as Orloj reads them, and a Task no Worker of
 * the same manifests serves is a located REQUIREMENTS_UNMATCHED warning.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const SYSTEM = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
`;

const task = (requirements: string) => `---
apiVersion: orloj.dev/v1
kind: Task
metadata: { name: t }
spec:
  system: s
${requirements}`;

const workerDoc = (name: string, spec: string) => `---
apiVersion: orloj.dev/v1
kind: Worker
metadata: { name: ${name} }
spec: ${spec}
`;

function where(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

describe('Task.requirements in the plan', () => {
  it('the requirements that apply, trimmed; gpu false and blank values are dropped', async () => {
    const { file } = writeManifests({ file: SYSTEM + task('  requirements: { region: " eu ", gpu: true, model: "" }\n') });
    const { plan, diagnostics } = await compile([file!], { task: 't' });
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(plan?.requirements).toEqual({ region: 'eu', gpu: true });
  });

  it('a Task whose requirements ask for nothing, or that has none, compiles to a plan without the field (hash as before)', async () => {
    for (const requirements of ['  requirements: { gpu: false, region: "" }\n', '']) {
      const { file } = writeManifests({ file: SYSTEM + task(requirements) });
      const { plan } = await compile([file!], { task: 't' });
      expect(plan).not.toBeNull();
      expect('requirements' in plan!, requirements).toBe(false);
    }
    // The same file (plans name their manifests' locations), without and with a requirement that asks nothing.
    const { file } = writeManifests({ file: SYSTEM + task('') });
    const without = (await compile([file!], { task: 't' })).plan!.hash;
    writeFileSync(file!, SYSTEM + task('  requirements: { gpu: false }\n'));
    expect((await compile([file!], { task: 't' })).plan!.hash).toBe(without);
  });
});

describe('Worker manifests', () => {
  it("are normalized as Orloj reads them: no region is 'default', max_concurrent_tasks 0 is 1, absent is no bound", async () => {
    const { file } = writeManifests({
      file: SYSTEM + workerDoc('w1', '{ max_concurrent_tasks: 0, capabilities: { supported_models: [" gpt-4o "] } }') + workerDoc('w2', '{ region: eu, capabilities: { gpu: true } }'),
    });
    const { resources, diagnostics } = await validate([file!]);
    expect(diagnostics).toEqual([]);
    expect(resources.workers.map((w) => [w.name, w.spec])).toEqual([
      ['w1', { region: 'default', gpu: false, supportedModels: ['gpt-4o'], maxConcurrentTasks: 1 }],
      ['w2', { region: 'eu', gpu: true, supportedModels: [] }],
    ]);
  });

  it('a Task that no Worker of the manifests serves is a REQUIREMENTS_UNMATCHED warning at its requirements', async () => {
    const text = SYSTEM + workerDoc('cpu', '{ region: eu }') + workerDoc('gpu-us', '{ region: us, capabilities: { gpu: true } }') + task('  requirements: { region: eu, gpu: true }\n');
    const { file } = writeManifests({ file: text });
    const { diagnostics, plan } = await compile([file!], { task: 't' });
    expect(diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([['REQUIREMENTS_UNMATCHED', 'warning', ['spec', 'requirements']]]);
    expectDiagnostic(diagnostics, { code: 'REQUIREMENTS_UNMATCHED', file: file!, ...where(text, 'requirements:') });
    // A warning: the fleet may have a worker started with --capabilities.
    expect(plan?.requirements).toEqual({ region: 'eu', gpu: true });
  });

  it('is quiet when one Worker serves it (Orloj matching: case, and a worker listing no models serves any)', async () => {
    const text = SYSTEM + workerDoc('cpu', '{ region: eu }') + workerDoc('gpu', '{ region: EU, capabilities: { gpu: true } }') + task('  requirements: { region: eu, gpu: true, model: gpt-4o }\n');
    const { file } = writeManifests({ file: text });
    expect((await validate([file!])).diagnostics).toEqual([]);
  });

  it('is quiet without any Worker in the manifests: the fleet is what runs', async () => {
    const { file } = writeManifests({ file: SYSTEM + task('  requirements: { region: mars }\n') });
    expect((await validate([file!])).diagnostics).toEqual([]);
  });
});
