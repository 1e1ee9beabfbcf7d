/**
 * A Task with `mode: template` is instantiated by a TaskSchedule or TaskWebhook, never run as
 * it stands: when nothing else is chosen, compile says so at its `mode` instead of running the
 * system with an empty input.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
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

const task = (name: string, mode: string) => `apiVersion: orloj.dev/v1
kind: Task
metadata: { name: ${name} }
spec:
  system: s
  mode: ${mode}
  input: { topic: weekly }
`;

describe('template Tasks', () => {
  it('the only Task a template: TASK_IS_TEMPLATE at its mode, and no plan', async () => {
    const files = writeManifests({ 'system.yaml': SYSTEM, 'template.yaml': task('weekly', 'template') });
    const { plan, diagnostics } = await compile([files['system.yaml']!, files['template.yaml']!]);
    expect(plan).toBeNull();
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['TASK_IS_TEMPLATE']);
    expectDiagnostic(diagnostics, { code: 'TASK_IS_TEMPLATE', file: files['template.yaml']!, line: 6, column: 9 });
  });

  it('a run Task beside the template is the one that runs', async () => {
    const files = writeManifests({ 'system.yaml': SYSTEM, 'template.yaml': task('weekly', 'template'), 'run.yaml': task('now', 'run') });
    const { plan, diagnostics } = await compile(Object.values(files));
    expect(diagnostics).toEqual([]);
    expect(plan?.task?.name).toBe('now');
  });

  it('chosen explicitly, the template runs with its input; the system option runs the system with none', async () => {
    const files = writeManifests({ 'system.yaml': SYSTEM, 'template.yaml': task('weekly', 'template') });
    const named = await compile(Object.values(files), { task: 'weekly' });
    expect(named.diagnostics).toEqual([]);
    expect(named.plan?.task?.name).toBe('weekly');
    expect(named.plan?.input).toEqual({ topic: 'weekly' });
    const bare = await compile(Object.values(files), { system: 's' });
    expect(bare.diagnostics).toEqual([]);
    expect(bare.plan?.task).toBeNull();
  });
});
