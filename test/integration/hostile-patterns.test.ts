/**
 * What a manifest or a model writes cannot hang a run or slip past argument validation, on a
 * real server: the ReDoS reproducer (`repro/redos`) ends, succeeded, with its edge not fired
 * and no failed workflow task; and tool arguments that break `format`, `uniqueItems`,
 * `multipleOf` or a `$ref`'d schema go back to the model as INVALID_ARGUMENTS without a
 * request reaching the tool.
 */
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../worker/index.ts';
import { activitiesOf, eventTypes } from '../helpers/history.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { REPRO } from '../helpers/repro-fixtures.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

const setup = harnessWithStub();

/** Fails the test instead of waiting forever: the defect this file guards against is a run that never ends. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('redos: a backtracking-prone output_matches pattern', () => {
  it('ends the run, succeeded, with the edge not fired and no workflow task failed', async () => {
    const plan = await compileOk([`${REPRO}/redos/manifests.yaml`]);
    const started = Date.now();
    const run = await setup.harness.client.start(plan);
    const outcome = await within(30_000, run.result());
    expect(outcome.status).toBe('succeeded');
    expect(outcome.activations.map((a) => a.agent)).toEqual(['a']);
    expect(outcome.output).toBe('a'.repeat(40) + '!');
    const history = await run.handle.fetchHistory();
    const events = eventTypes(history);
    expect(events.filter((type) => type.includes('WORKFLOW_TASK_FAILED') || type.includes('WORKFLOW_TASK_TIMED_OUT'))).toEqual([]);
    expect(activitiesOf(history).filter((a) => a.type === 'callModel')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    // And the recorded history replays against the workflow code.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, outcome.workflowId);
  });

  it('still fires the edge when the output does match', async () => {
    const ns = 'redos-control';
    const plan = await compileOk([
      writeOverride([
        mockEndpoint(ns, 'm', { a: [{ text: 'all words here' }] }),
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a', namespace: ns }, spec: { model_ref: 'm' } },
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'b', namespace: ns }, spec: { model_ref: 'm' } },
        {
          apiVersion: 'orch/v1',
          kind: 'AgentSystem',
          metadata: { name: 'redos-control', namespace: ns },
          spec: { agents: ['a', 'b'], graph: { a: { edges: [{ to: 'b', condition: { output_matches: '^(\\w+\\s?)*$' } }] } } },
        },
      ]),
    ]);
    const outcome = await within(30_000, (await setup.harness.client.start(plan)).result());
    expect(outcome.status).toBe('succeeded');
    expect(outcome.activations.map((a) => a.agent)).toEqual(['a', 'b']);
  });
});

describe('tool arguments against the full input_schema', () => {
  const ns = 'schema-args';
  const schema = {
    type: 'object',
    required: ['reporter', 'tags', 'estimate', 'parent'],
    properties: {
      reporter: { type: 'string', format: 'email' },
      tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
      estimate: { type: 'number', multipleOf: 0.5 },
      parent: { $ref: '#/$defs/ticketRef' },
    },
    additionalProperties: false,
    $defs: { ticketRef: { type: 'string', pattern: '^[A-Z]+-\\d+$' } },
  };
  const good = { reporter: 'ops@example.com', tags: ['db', 'urgent'], estimate: 1.5, parent: 'OPS-12' };
  const bad = { reporter: 'not-an-address', tags: ['db', 'db'], estimate: 0.3, parent: 'ops-12' };

  it('refuses each violation before any request, and lets fitting arguments through', async () => {
    const plan = await compileOk([
      writeOverride([
        mockEndpoint(ns, 'scripted', { clerk: [{ tool_calls: [{ tool: 'ticket', input: bad }] }, { tool_calls: [{ tool: 'ticket', input: good }] }, { text: 'done' }] }),
        httpTool(ns, 'ticket', `${setup.stub.url}/tool/ticket`, { input_schema: schema }),
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'clerk', namespace: ns }, spec: { model_ref: 'scripted', prompt: 'file it', tools: ['ticket'] } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'desk', namespace: ns }, spec: { agents: ['clerk'] } },
      ]),
    ]);
    const run = await setup.harness.client.start(plan);
    const outcome = await within(30_000, run.result());
    expect(outcome.status).toBe('succeeded');
    const requests = setup.stub.requests.filter((r) => r.path === '/tool/ticket');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.json).toEqual(good);
    const activities = activitiesOf(await run.handle.fetchHistory());
    expect(activities.filter((a) => a.type === 'callTool')).toHaveLength(1);
    const refused = activities.filter((a) => a.type === 'callModel')[1]!.input.messages.at(-1);
    expect(refused).toMatchObject({ role: 'tool', isError: true, output: { error: 'INVALID_ARGUMENTS' } });
    expect(refused.output.issues.map((i: { path: string; keyword: string }) => `${i.path} ${i.keyword}`).sort()).toEqual(
      ['$.estimate multipleOf', '$.parent pattern', '$.reporter format', '$.tags[1] uniqueItems'].sort(),
    );
  });
});
