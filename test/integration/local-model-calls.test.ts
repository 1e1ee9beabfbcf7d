/**
 * `execution: local` model calls on a real server: each call a local activity, a whole
 * pipeline in one workflow task, and still exactly once. A worker process killed with SIGKILL
 * after the first agent's model answered but before the workflow task that ran it completed
 * (so history has nothing of it) is replaced by another; the re-run task finds the answer in
 * the call record and does not call the model again, the ledger counts it once, the trail
 * names both calls, and the history replays.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchAuditTrail } from '../../client/audit.ts';
import { OrchClient } from '../../client/orch-client.ts';
import { createOrchWorker, workflowBundle } from '../../worker/index.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { activitiesOf, eventTypes, localActivitiesOf } from '../helpers/history.ts';
import { agent, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';
import { startOpenAICompatibleServer, type RecordedRequest } from '../helpers/openai-compatible-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { pollFor, startWorkerProcess } from '../helpers/worker-process.ts';
import { startHarness } from '../helpers/orch-harness.ts';
import { compileOk, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

installQuietRuntime();

/** The agent a request is for, from its system prompt (`You are <agent>.`). */
function agentOf(request: RecordedRequest): string {
  return /You are (\w+)\./.exec(JSON.stringify(request.body?.messages ?? []))?.[1] ?? '?';
}

describe('execution: local', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('a worker killed before the workflow task completes: the answered call is not repeated, the ledger is exact', async () => {
    let reviewerCalls = 0;
    const model = await startOpenAICompatibleServer({
      respond: (request) => {
        if (agentOf(request) === 'drafter') return { text: 'first draft', usage: { promptTokens: 40, completionTokens: 2 } };
        // The first reviewer call outlives the worker that makes it.
        return { text: 'reviewed draft', usage: { promptTokens: 60, completionTokens: 3 }, delayMs: ++reviewerCalls === 1 ? 4_000 : 0 };
      },
    });
    cleanups.push(() => model.close());
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'remote' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'remote-1', execution: 'local' as const };
    const plan = planOf([agent('drafter', { model: 'default/remote' }), agent('reviewer', { model: 'default/remote' })], [['drafter', 'reviewer']], {
      models: { 'default/remote': endpoint },
    });

    const taskQueue = `local-crash-${randomUUID()}`;
    const first = await startWorkerProcess(taskQueue);
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    cleanups.push(() => client.client.connection.close());
    const run = await client.start(plan);
    // The drafter has answered and the reviewer's call is in flight, all in the first workflow task.
    await pollFor(async () => (model.requests.some((r) => agentOf(r) === 'reviewer') ? true : undefined), 30_000);
    expect(eventTypes(await run.handle.fetchHistory())).not.toContain('EVENT_TYPE_MARKER_RECORDED');
    first.kill('SIGKILL');

    const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const outcome = await second.runUntil(run.result());
    expect(outcome).toMatchObject({ status: 'succeeded', output: 'reviewed draft' });
    // The drafter's model was called once, by the killed worker; the reviewer's unfinished call again.
    expect(model.requests.map(agentOf)).toEqual(['drafter', 'reviewer', 'reviewer']);
    expect(outcome.usage.total).toEqual({ inputTokens: 100, outputTokens: 5, totalTokens: 105, modelCalls: 2, toolCalls: 0, toolErrors: 0, costUsd: 0 });

    const history = await run.handle.fetchHistory();
    expect(activitiesOf(history)).toEqual([]);
    expect(localActivitiesOf(history).map((call) => [call.type, String(call.summary).split(' ')[0]])).toEqual([
      ['callModel', 'drafter'],
      ['callModel', 'reviewer'],
    ]);
    const trail = (await fetchAuditTrail(client, run.workflowId)).filter((event) => event.kind === 'model.call');
    expect(trail).toMatchObject([
      { agent: 'drafter', subject: 'remote-1', outcome: 'succeeded', usage: { totalTokens: 42 } },
      { agent: 'reviewer', subject: 'remote-1', outcome: 'succeeded', usage: { totalTokens: 63 } },
    ]);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, run.workflowId);
  }, 90_000);

  it('a worker killed mid fan-out: answered branches (one handed over) are not called again, the ledger is exact, the history replays', async () => {
    const calls = new Map<string, number>();
    const model = await startOpenAICompatibleServer({
      respond: (request) => {
        const who = agentOf(request);
        const n = (calls.get(who) ?? 0) + 1;
        calls.set(who, n);
        // b1's answer is too large for the workflow task: it is handed over to an activity of its own.
        if (who === 'b1') return { text: 'x'.repeat(100_000), usage: { promptTokens: 10, completionTokens: 7 } };
        // b4's first call outlives the worker that makes it.
        return { text: `${who} done`, usage: { promptTokens: 10, completionTokens: 1 }, delayMs: who === 'b4' && n === 1 ? 4_000 : 0 };
      },
    });
    cleanups.push(() => model.close());
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'remote' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'remote-1', execution: 'local' as const };
    const branches = ['b1', 'b2', 'b3', 'b4'];
    const plan = planOf(
      [agent('lead', { model: 'default/remote' }), ...branches.map((name) => agent(name, { model: 'default/remote' }))],
      branches.map((name) => ['lead', name] as [string, string]),
      { models: { 'default/remote': endpoint } }
    );

    const taskQueue = `local-fanout-crash-${randomUUID()}`;
    const first = await startWorkerProcess(taskQueue);
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    cleanups.push(() => client.client.connection.close());
    const run = await client.start(plan);
    // Every branch has been asked; b1 to b3 have answered, b4 is in flight.
    await pollFor(async () => (branches.every((name) => calls.has(name)) ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = eventTypes(await run.handle.fetchHistory());
    expect(before).not.toContain('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
    first.kill('SIGKILL');

    const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const outcome = await second.runUntil(run.result());
    expect(outcome.status).toBe('succeeded');
    expect(Object.fromEntries(calls)).toEqual({ lead: 1, b1: 1, b2: 1, b3: 1, b4: 2 });
    // lead 11, b1 17, b2 11, b3 11, b4 11: b4's lost first answer is the killed worker's, never delivered.
    expect(outcome.usage.total).toMatchObject({ totalTokens: 61, modelCalls: 5 });
    expect(outcome.usage.byAgent.b1?.totalTokens).toBe(17);

    const history = await run.handle.fetchHistory();
    // b1's answer came into history through the activity that brought it from the record.
    expect(activitiesOf(history).map((call) => [call.type, String(call.summary).split(' ')[0]])).toEqual([['callModel', 'b1']]);
    const trail = (await fetchAuditTrail(client, run.workflowId)).filter((event) => event.kind === 'model.call');
    expect(trail.map((event) => event.agent).sort()).toEqual(['b1', 'b2', 'b3', 'b4', 'lead']);
    expect(trail.reduce((sum, event) => sum + (event.usage?.totalTokens ?? 0), 0)).toBe(61);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, run.workflowId);
  }, 90_000);

  it('limits.timeout cancels a local call in flight: AGENT_TIMEOUT, and the slow answer is never used', async () => {
    const model = await startOpenAICompatibleServer({ respond: () => ({ text: 'too late', delayMs: 5_000 }) });
    cleanups.push(() => model.close());
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'slow' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'slow-1', execution: 'local' as const };
    const plan = planOf([agent('solo', { model: 'default/slow', timeoutMs: 1_000 })], [], { models: { 'default/slow': endpoint } });
    const taskQueue = `local-timeout-${randomUUID()}`;
    const worker = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    cleanups.push(() => client.client.connection.close());
    const started = Date.now();
    const outcome = await worker.runUntil(async () => (await client.start(plan)).result());
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'AGENT_TIMEOUT', agent: 'solo' } });
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(model.requests).toHaveLength(1);
  }, 60_000);

  it('fan-out, a join, a delegate and continue-as-new: every call local, the ledger and the trail whole, both histories replay', async () => {
    const harness = await startHarness();
    cleanups.push(() => harness.stop());
    const endpoint = mockEndpoint('default', 'desk', {
      boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'write it' } }] }, { text: 'delegated and done' }],
      hand: [{ text: 'written' }],
    });
    const file = writeOverride([
      { ...endpoint, spec: { ...(endpoint as { spec: object }).spec, execution: 'local' } },
      ...['boss', 'hand', 'left', 'right', 'editor'].map((name) => ({ apiVersion: 'orch/v1', kind: 'Agent', metadata: { name }, spec: { model_ref: 'desk', prompt: name } })),
      {
        apiVersion: 'orch/v1',
        kind: 'AgentSystem',
        metadata: { name: 'local-shapes' },
        spec: { agents: ['boss', 'hand', 'left', 'right', 'editor'], graph: { boss: { delegates: ['hand'], edges: [{ to: 'left' }, { to: 'right' }] }, left: { next: 'editor' }, right: { next: 'editor' } } },
      },
    ]);
    const plan = await compileOk([file]);
    const run = await harness.client.start(plan!, { continueAsNewAfterEvents: 12 });
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(String(outcome.output)).toMatch(/^editor: /);
    const order = outcome.activations.map((a) => a.agent);
    // The two branches run at once and finish in either order; the editor joins both.
    expect([order[0], [order[1], order[2]].sort(), order[3], order.length]).toEqual(['boss', ['left', 'right'], 'editor', 4]);
    // boss twice (the delegation, then its answer), hand once in its child run, then left, right, editor.
    expect(outcome.usage.total.modelCalls).toBe(6);
    expect(outcome.usage.byAgent.hand?.totalTokens).toBeGreaterThan(0);

    // The root's trail: its own calls (across the continue-as-new) and the delegation, which carries its child's usage.
    const events = await fetchAuditTrail(harness.client, run.workflowId);
    expect(events.filter((event) => event.kind === 'run.continued')).toHaveLength(1);
    const calls = events.filter((event) => event.kind === 'model.call');
    expect(calls.map((event) => event.agent).sort()).toEqual(['boss', 'boss', 'editor', 'left', 'right']);
    expect(calls.every((event) => event.outcome === 'succeeded' && event.subject === 'mock-1')).toBe(true);
    const delegations = events.filter((event) => event.kind === 'delegation');
    expect(delegations).toMatchObject([{ agent: 'boss', outcome: 'succeeded' }]);
    const tokens = [...calls, ...delegations].reduce((sum, event) => sum + (event.usage?.totalTokens ?? 0), 0);
    expect(tokens).toBe(outcome.usage.total.totalTokens);

    const child = harness.client.client.workflow.getHandle(`${run.workflowId}/hand-1`);
    for (const [workflowId, history] of [[run.workflowId, await run.handle.fetchHistory()], [child.workflowId, await child.fetchHistory()]] as const) {
      expect(activitiesOf(history).filter((call) => call.type === 'callModel')).toEqual([]);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    }
    expect(localActivitiesOf(await child.fetchHistory()).map((call) => call.type)).toEqual(['callModel']);
  }, 60_000);
});
