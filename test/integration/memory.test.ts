/**
 * Built-in memory tools end to end on the real dev server, with Orloj's memory scenarios
 * (06: one run's agent writes, a later agent of the same run searches and reads; 07: one Task
 * seeds, another Task's run recalls) and a scripted mock model in place of the hosted one.
 * The `in-memory` store is a workflow: entries are shared by runs and by workers, and a
 * policy can block the tools like any other.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchWorker, workflowBundle } from '../../worker/index.ts';
import { memoryOperationUpdate, memoryStatsQuery, WORKFLOW_TYPES } from '../../contract/wire-names.ts';
import { memoryStoreId } from '../../activities/call-memory.ts';
import { activitiesOf } from '../helpers/history.ts';
import { auditTrail } from '../../client/audit.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, mockEndpoint, writeOverride, type ScriptedStep } from '../helpers/scenario-overrides.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { pollFor, startWorkerProcess } from '../helpers/worker-process.ts';
import { compile } from '../../compiler/index.ts';

const SHARED = `${CORPUS}/testing/scenarios-real/06-memory-shared-handoff`;
const REUSE = `${CORPUS}/testing/scenarios-real/07-memory-persistent-reuse`;
const FACTS = 'rollback completed at 14:17 UTC; error rate dropped to 4% by 14:24 UTC; VIP merchants still impacted';
const RECOMMENDATION = 'Prioritize VIP merchant recovery and direct outreach; confirm rollback stabilization; publish customer update within 30 minutes with no root-cause claims.';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness?.stop());

function call(tool: string, input: unknown): ScriptedStep {
  return { tool_calls: [{ tool, input }] };
}

function sharedModel(): string {
  return writeOverride([
    mockEndpoint('rr-real-memory-shared', 'rr-real-model-default', {
      'rr-real-memory-shared-planner-agent': [{ text: 'TRIAGE_OBJECTIVES: what is impacted\nHANDOFF_READY: yes' }],
      'rr-real-memory-shared-research-agent': [
        call('memory.write', { key: 'incident/facts', value: FACTS }),
        call('memory.write', { key: 'triage/recommendation', value: RECOMMENDATION }),
        { text: 'MEMORY_WRITE: ok\nSTORED_KEY_1: incident/facts\nSTORED_KEY: triage/recommendation' },
      ],
      'rr-real-memory-shared-writer-agent': [
        call('memory.search', { query: 'rollback completed VIP merchants', top_k: 3 }),
        call('memory.read', { key: 'triage/recommendation' }),
        { text: 'USED_MEMORY: yes\nRETRIEVED_FACT: rollback completed at 14:17 UTC' },
      ],
    }),
  ]);
}

describe('06-memory-shared-handoff', () => {
  it('a later agent of the run searches and reads what an earlier one wrote', async () => {
    const plan = await compileOk([SHARED], { overrides: [sharedModel()] });
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage.total.toolCalls).toBe(4);

    const calls = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callMemory');
    expect(calls.map((c) => c.input.call.name)).toEqual(['memory.write', 'memory.write', 'memory.search', 'memory.read']);
    expect(calls[0]!.result.output).toEqual({ status: 'ok', key: 'incident/facts' });
    const search = calls[2]!.result.output;
    expect(search.count).toBeGreaterThan(0);
    expect(search.results[0]).toMatchObject({ key: 'incident/facts', value: FACTS });
    expect(calls[3]!.result.output).toEqual({ found: true, key: 'triage/recommendation', value: RECOMMENDATION });

    // The audit names them as tool calls of their agents.
    const audit = auditTrail(await run.handle.fetchHistory());
    const toolCalls = audit.filter((r) => r.kind === 'tool.call');
    expect(toolCalls.map((r) => [r.agent, r.subject, r.outcome])).toEqual([
      ['rr-real-memory-shared-research-agent', 'memory.write', 'succeeded'],
      ['rr-real-memory-shared-research-agent', 'memory.write', 'succeeded'],
      ['rr-real-memory-shared-writer-agent', 'memory.search', 'succeeded'],
      ['rr-real-memory-shared-writer-agent', 'memory.read', 'succeeded'],
    ]);
    // The run with its memory calls replays against the current workflow code.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await run.handle.fetchHistory(), run.workflowId);
  }, 60_000);

  it('an AgentPolicy blocking memory.write refuses it before it runs, and nothing is stored', async () => {
    const namespace = 'rr-real-memory-shared';
    const policy = {
      apiVersion: 'orloj.dev/v1',
      kind: 'AgentPolicy',
      metadata: { name: 'no-memory-writes', namespace },
      spec: { apply_mode: 'global', blocked_tools: ['memory.write'], on_violation: 'feedback' },
    };
    const model = mockEndpoint(namespace, 'rr-real-model-default', {
      'rr-real-memory-shared-planner-agent': [{ text: 'planned' }],
      'rr-real-memory-shared-research-agent': [call('memory.write', { key: 'blocked/key', value: 'never stored' }), { text: 'done' }],
      'rr-real-memory-shared-writer-agent': [call('memory.read', { key: 'blocked/key' }), { text: 'written' }],
    });
    const plan = await compileOk([SHARED], { overrides: [writeOverride([model, policy])] });
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    const calls = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callMemory');
    expect(calls.map((c) => c.input.call.name)).toEqual(['memory.read']);
    expect(calls[0]!.result.output).toEqual({ found: false, key: 'blocked/key' });
    const audit = auditTrail(await run.handle.fetchHistory());
    expect(audit.find((r) => r.subject === 'memory.write')).toMatchObject({ code: 'POLICY_DENIED', agent: 'rr-real-memory-shared-research-agent' });
  }, 60_000);
});

describe('07-memory-persistent-reuse', () => {
  it('a second Task, on another worker, recalls what the seed Task stored', async () => {
    const agent = 'rr-real-memory-reuse-agent';
    const runbook = 'If the checkout API returns HTTP 503 after a deploy, first pause the rollout, roll back release 2026.03.18.2, and publish a customer update within 30 minutes.';
    const seedModel = writeOverride([
      mockEndpoint('rr-real-memory-reuse', 'rr-real-model-default', {
        [agent]: [
          call('memory.ingest', { source: 'runbook', content: runbook }),
          call('memory.write', { key: 'runbook/primary_action', value: 'pause the rollout and roll back release 2026.03.18.2' }),
          { text: 'MODE: seed\nSEEDED: yes' },
        ],
      }),
    ]);
    const queryModel = writeOverride([
      mockEndpoint('rr-real-memory-reuse', 'rr-real-model-default', {
        [agent]: [
          call('memory.search', { query: 'first operator action when checkout API returns HTTP 503 after a deploy', top_k: 3 }),
          call('memory.read', { key: 'runbook/primary_action' }),
          { text: 'MODE: query\nUSED_MEMORY: yes' },
        ],
      }),
    ]);
    const seed = await compileOk([REUSE], { task: 'rr-real-memory-seed-task', overrides: [seedModel] });
    const query = await compileOk([REUSE], { task: 'rr-real-memory-query-task', overrides: [queryModel] });
    const taskQueue = `memory-${randomUUID()}`;

    const first = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const seeded = await first.runUntil(async () => (await harness.client.start(seed, { taskQueue })).result());
    expect(seeded.status).toBe('succeeded');

    // Another worker: the store's entries live in its workflow, not in the first worker.
    const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const store = harness.client.client.workflow.getHandle(memoryStoreId(taskQueue, { id: { namespace: 'rr-real-memory-reuse', name: 'rr-real-memory-reuse-store' } }));
    const recalled = await second.runUntil(async () => {
      const run = await harness.client.start(query, { taskQueue });
      return { outcome: await run.result(), history: await run.handle.fetchHistory(), stats: await store.query(memoryStatsQuery) };
    });
    expect(recalled.outcome.status).toBe('succeeded');
    const calls = activitiesOf(recalled.history).filter((c) => c.type === 'callMemory');
    const [search, read] = calls.map((c) => c.result.output);
    expect(search.results[0]).toMatchObject({ key: 'runbook/chunk-0000', value: runbook });
    expect(read).toEqual({ found: true, key: 'runbook/primary_action', value: 'pause the rollout and roll back release 2026.03.18.2' });

    expect((await store.describe()).type).toBe(WORKFLOW_TYPES.memory);
    expect(recalled.stats).toMatchObject({ entries: 2, writesApplied: 2 });
    await store.terminate('test done');
  }, 90_000);
});




describe('crash safety', () => {
  it('a worker killed after memory.write completed: the run finishes on another worker and the write is applied once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-memory-crash-'));
    writeFileSync(
      join(dir, 'system.yaml'),
      [
        `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: scripted\nspec:\n  provider: mock\n  mock:\n    responses:\n      scribe:\n        - tool_calls: [{tool: memory.write, input: {key: decision, value: roll back}}]\n        - text: stored\n          latency: 6000ms\n`,
        `apiVersion: orch/v1\nkind: Memory\nmetadata:\n  name: notes\nspec:\n  type: keyword\n`,
        `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: scribe\nspec:\n  model_ref: scripted\n  prompt: note it\n  memory:\n    ref: notes\n    allow: [write]\n`,
        `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: crash-memory\nspec:\n  agents: [scribe]\n`,
      ].join('---\n')
    );
    const { plan } = await compile([dir]);
    const taskQueue = `memory-crash-${randomUUID()}`;
    const first = await startWorkerProcess(taskQueue);
    const firstIdentity = `${first.pid}@${hostname()}`;
    const run = await harness.client.start(plan!, { taskQueue });
    // The write has completed and the slow second model call is running: kill the worker.
    await pollFor(async () => {
      const calls = activitiesOf(await run.handle.fetchHistory());
      return calls.some((c) => c.type === 'callMemory' && c.completed) && calls.filter((c) => c.type === 'callModel').length === 2 ? true : undefined;
    }, 30_000);
    first.kill('SIGKILL');

    const store = harness.client.client.workflow.getHandle(memoryStoreId(taskQueue, { id: { namespace: 'default', name: 'notes' } }));
    const second = await createOrchWorker({ address: temporalAddress(), taskQueue });
    const { outcome, history, stats } = await second.runUntil(async () => {
      const outcome = await run.result();
      return { outcome, history: await run.handle.fetchHistory(), stats: await store.query(memoryStatsQuery) };
    });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe('stored');
    const writes = activitiesOf(history).filter((c) => c.type === 'callMemory');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ attempt: 1, identity: firstIdentity });
    expect(stats).toEqual({ entries: 1, bytes: 'decision'.length + 'roll back'.length, writesApplied: 1 });
    expect(outcome.usage.total.toolCalls).toBe(1);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, run.workflowId);
    await store.terminate('test done');
  }, 90_000);
});

describe('the store workflow', () => {
  it('continues as new when its history grows, carrying entries and the record of applied writes', async () => {
    const client = harness.client.client;
    const workflowId = `orch-memory/${harness.taskQueue}/test/continued-${randomUUID()}`;
    const request = (requestId: string, key: string) => ({ requestId, tool: 'memory.write' as const, input: { key, value: `value of ${key}` }, type: 'keyword' as const, maxEntries: 100, maxBytes: 100_000 });
    const handle = await client.workflow.start(WORKFLOW_TYPES.memory, {
      workflowId,
      taskQueue: harness.taskQueue,
      args: [{ entries: {}, writesApplied: 0, recent: [], continueAfterEvents: 20 }],
    });
    const firstRun = (await handle.describe()).runId;
    for (let i = 0; i < 12; i++) await client.workflow.getHandle(workflowId).executeUpdate(memoryOperationUpdate, { args: [request(`r-${i}`, `k${i}`)], updateId: `r-${i}` });
    const stats = await pollFor(async () => {
      const now = await client.workflow.getHandle(workflowId).describe();
      return now.runId !== firstRun ? client.workflow.getHandle(workflowId).query(memoryStatsQuery) : undefined;
    }, 20_000);
    expect(stats).toMatchObject({ entries: 12, writesApplied: 12 });
    // A retried write from before continuing is answered from the record, not applied again.
    const retried = await client.workflow.getHandle(workflowId).executeUpdate(memoryOperationUpdate, { args: [request('r-3', 'k3')], updateId: 'r-3' });
    expect(retried).toEqual({ output: { status: 'ok', key: 'k3' }, isError: false });
    expect(await client.workflow.getHandle(workflowId).query(memoryStatsQuery)).toMatchObject({ entries: 12, writesApplied: 12 });
    await client.workflow.getHandle(workflowId).terminate('test done');
  }, 60_000);

  it('40 writes at once, each also retried at once, across continue-as-new: every one applied exactly once', async () => {
    const client = harness.client.client;
    const workflowId = `orch-memory/${harness.taskQueue}/test/parallel-${randomUUID()}`;
    const request = (requestId: string, key: string) => ({ requestId, tool: 'memory.write' as const, input: { key, value: `value of ${key}` }, type: 'keyword' as const, maxEntries: 100, maxBytes: 100_000 });
    await client.workflow.start(WORKFLOW_TYPES.memory, {
      workflowId,
      taskQueue: harness.taskQueue,
      args: [{ entries: {}, writesApplied: 0, recent: [], continueAfterEvents: 20 }],
    });
    const firstRun = (await client.workflow.getHandle(workflowId).describe()).runId;
    const send = (i: number) => client.workflow.getHandle(workflowId).executeUpdate(memoryOperationUpdate, { args: [request(`p-${i}`, `k${i}`)], updateId: `p-${i}` });
    // Each write twice, concurrently: a retry racing its own first attempt.
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => [send(i), send(i)]).flat());
    for (const [index, reply] of replies.entries()) expect(reply).toEqual({ output: { status: 'ok', key: `k${Math.floor(index / 2)}` }, isError: false });
    expect(await client.workflow.getHandle(workflowId).query(memoryStatsQuery)).toMatchObject({ entries: 40, writesApplied: 40 });
    // The burst outgrew one execution's history: the store continued as new while writes were in flight.
    expect((await client.workflow.getHandle(workflowId).describe()).runId).not.toBe(firstRun);
    await client.workflow.getHandle(workflowId).terminate('test done');
  }, 60_000);
});
