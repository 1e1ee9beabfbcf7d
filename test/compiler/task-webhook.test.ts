/** TaskWebhook: Orloj's per-profile defaults, located diagnostics, and the compiled webhook with its Task's plan. */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { ORLOJ_CORPUS, errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const SYSTEM = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock, default_model: mock-1 }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m, prompt: hi }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orloj.dev/v1
kind: Task
metadata: { name: t }
spec: { system: s, mode: template, input: { topic: x } }
`;

function hook(spec: string): string {
  return `apiVersion: orloj.dev/v1
kind: TaskWebhook
metadata: { name: h }
spec:
${spec}`;
}

async function validateHook(spec: string, system = SYSTEM) {
  const paths = writeManifests({ 'system.yaml': system, 'hook.yaml': hook(spec) });
  return { ...(await validate(Object.values(paths))), file: paths['hook.yaml']! };
}

describe('TaskWebhook', () => {
  it('applies the generic defaults and carries the plan of its Task template', async () => {
    const { diagnostics, webhooks } = await validateHook('  task_ref: t\n  auth: { secret_ref: key }\n');
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(webhooks).toHaveLength(1);
    const [w] = webhooks;
    expect({ ...w, plan: undefined }).toEqual({
      namespace: 'default',
      name: 'h',
      endpointId: expect.stringMatching(/^[0-9a-f]{24}$/),
      task: 'default/t',
      suspend: false,
      profile: 'generic',
      secretRef: { namespace: 'default', name: 'key', key: 'value' },
      signatureHeader: 'X-Signature',
      signaturePrefix: 'sha256=',
      timestampHeader: 'X-Timestamp',
      maxSkewSeconds: 300,
      eventIdHeader: 'X-Event-Id',
      dedupeWindowSeconds: 86_400,
      inputKey: 'webhook_payload',
      plan: undefined,
    });
    expect(w!.plan.task?.name).toBe('t');
    expect(w!.plan.input).toEqual({ topic: 'x' });
    expect(w!.plan.hash).toMatch(/^sha256:/);
  });

  it("github's defaults: its signature and delivery headers, no timestamp, a 72 h window", async () => {
    const { webhooks } = await validateHook('  task_ref: t\n  auth: { profile: GitHub, secret_ref: key }\n  payload: { input_key: event }\n');
    expect(webhooks[0]).toMatchObject({
      profile: 'github',
      signatureHeader: 'X-Hub-Signature-256',
      timestampHeader: null,
      eventIdHeader: 'X-GitHub-Delivery',
      dedupeWindowSeconds: 259_200,
      inputKey: 'event',
    });
  });

  it('is returned by compile as well, beside the selected plan', async () => {
    const paths = writeManifests({ 'system.yaml': SYSTEM, 'hook.yaml': hook('  task_ref: t\n  auth: { secret_ref: key }\n') });
    const { webhooks } = await compile(Object.values(paths), { system: 's' });
    expect(webhooks.map((w) => w.name)).toEqual(['h']);
  });

  it.each([
    ['a missing secret_ref', '  task_ref: t\n  auth: { profile: generic }\n', 'MISSING_FIELD', 6, 3],
    ['a missing auth', '  task_ref: t\n', 'MISSING_FIELD', 4, 1],
    ['an unknown profile', '  task_ref: t\n  auth: { profile: gitlab, secret_ref: key }\n', 'INVALID_VALUE', 6, 20],
    ['a payload mode other than raw', '  task_ref: t\n  auth: { secret_ref: key }\n  payload: { mode: json }\n', 'INVALID_VALUE', 7, 20],
    ['a header name that is no HTTP token', '  task_ref: t\n  auth: { secret_ref: key, signature_header: "X Sig" }\n', 'INVALID_VALUE', 6, 46],
    ['a negative dedupe window', '  task_ref: t\n  auth: { secret_ref: key }\n  idempotency: { dedupe_window_seconds: -1 }\n', 'INVALID_VALUE', 7, 41],
    ['an unknown field', '  task_ref: t\n  auth: { secret_ref: key, secret: x }\n', 'UNKNOWN_FIELD', 6, 28],
    ['a Task that does not exist', '  task_ref: nope\n  auth: { secret_ref: key }\n', 'UNKNOWN_REFERENCE', 5, 13],
  ] as const)('%s is a located error and no webhook', async (_, spec, code, line, column) => {
    const { diagnostics, webhooks, file } = await validateHook(spec);
    expectDiagnostic(diagnostics, { code, file, line, column });
    expect(webhooks).toEqual([]);
  });

  it('a Task that is not a template is an error at task_ref: Orloj instantiates only templates', async () => {
    const { diagnostics, webhooks, file } = await validateHook('  task_ref: t\n  auth: { secret_ref: key }\n', SYSTEM.replace('mode: template', 'mode: run'));
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 5, column: 13 });
    expect(webhooks).toEqual([]);
  });

  it("a cycle its Task's max_turns leaves unbounded is an error at task_ref", async () => {
    const cyclic = SYSTEM.replace('spec: { agents: [a] }', 'spec: { agents: [a], graph: { a: { next: a } } }').replace(
      'kind: Task\nmetadata: { name: t }',
      'kind: Task\nmetadata: { name: bounded }\nspec: { system: s, max_turns: 3 }\n---\napiVersion: orloj.dev/v1\nkind: Task\nmetadata: { name: t }',
    );
    const { diagnostics, webhooks, file } = await validateHook('  task_ref: t\n  auth: { secret_ref: key }\n', cyclic);
    expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file, line: 5, column: 13 });
    expect(webhooks).toEqual([]);
  });

  it("compiles Orloj's webhook examples without errors", async () => {
    for (const dir of ['examples/use-cases/event-driven-webhook', 'testing/scenarios-real/11-webhook-live-flow']) {
      const { diagnostics, webhooks } = await validate([`${ORLOJ_CORPUS}/${dir}`]);
      expect(errorsOf(diagnostics), dir).toEqual([]);
      expect(webhooks, dir).toHaveLength(1);
    }
    const single = await validate([`${ORLOJ_CORPUS}/examples/resources/task-webhooks`]);
    // Their Task template lives elsewhere in the corpus.
    expect(errorsOf(single.diagnostics).map((d) => d.code)).toEqual(['UNKNOWN_REFERENCE', 'UNKNOWN_REFERENCE']);
  });
});
