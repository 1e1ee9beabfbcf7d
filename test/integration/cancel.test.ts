/**
 * A run cancelled (orch cancel, the Temporal CLI or Web UI) ends `canceled`: the model call in
 * flight is cancelled, nothing new starts, delegates' child runs are cancelled with it, and the
 * outcome and the audit say so. Terminated, it ends `terminated`.
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { workflowBundle } from '../../worker/index.ts';
import { OrchStatus } from '../../contract/search-attributes.ts';
import { approvalRequired, compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { fetchAuditTrail } from '../../client/audit.ts';
import { agent, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { pollFor } from '../helpers/worker-process.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { replayHistories } from '../../worker/replay.ts';

let harness: Harness;
let model: OpenAICompatibleServer;
let stub: RecordingServer;
beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  model = await startOpenAICompatibleServer({ respond: () => ({ text: 'slow answer', delayMs: 30_000 }) });
  stub = await startRecordingServer();
});
afterAll(async () => {
  await harness?.stop();
  await model?.close();
  await stub?.close();
});

function slowPlan() {
  const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'slow' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'slow-1' };
  return planOf([agent('first', { model: 'default/slow' }), agent('second', { model: 'default/slow' })], [['first', 'second']], { models: { 'default/slow': endpoint } });
}

describe('cancelling a run', () => {
  it('ends canceled: the call in flight is cancelled, nothing after it starts, the audit says so', async () => {
    const before = model.requests.length;
    const run = await harness.client.start(slowPlan());
    await pollFor(async () => (model.requests.length > before ? true : undefined), 20_000);
    await run.handle.cancel();
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'canceled', failure: { type: 'CANCELED' } });
    expect((await run.handle.describe()).status.name).toBe('CANCELLED');
    expect(model.requests.length - before).toBe(1);
    // The Web UI's live details say how it ended.
    const metadata = await run.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails?.split('\n')[0]).toMatch(/^\*\*test-system\*\* · canceled · /);
    const trail = await fetchAuditTrail(harness.client, run.workflowId);
    expect(trail.at(-1)).toMatchObject({ kind: 'run.failed', code: 'CANCELED' });
  });

  /** `orch <argv>` in-process against the test server. */
  async function orch(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text), env: { ...process.env, TEMPORAL_ADDRESS: harness.address }, isTTY: false };
    const code = await main(argv, io);
    return { code, stdout, stderr };
  }

  it('orch cancel: a supervisor waiting on its delegate ends canceled, the delegate too; the history replays', async () => {
    const file = writeOverride([
      mockEndpoint('default', 'desk', { boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'write it' } }] }, { text: 'never' }] }),
      { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'slow' }, spec: { provider: 'openai-compatible', base_url: model.url, default_model: 'slow-1' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'boss' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'slow', prompt: 'You are hand.' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'cancel-delegation' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const before = model.requests.length;
    const run = await harness.client.start(await compileOk([file]));
    await pollFor(async () => (model.requests.length > before ? true : undefined), 20_000);
    const cancelled = await orch(['cancel', run.workflowId, '--reason', 'operator: wrong input']);
    expect(cancelled).toMatchObject({ code: 0, stdout: `cancel requested: ${run.workflowId}\n` });
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'canceled', failure: { type: 'CANCELED' } });
    const child = harness.client.client.workflow.getHandle(`${run.workflowId}/hand-1`);
    await pollFor(async () => ((await child.describe()).status.name === 'CANCELLED' ? true : undefined), 20_000);
    const description = await run.handle.describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(description.typedSearchAttributes.get(OrchStatus)).toBe('canceled');
    const history = await run.handle.fetchHistory();
    const requested = history.events?.find((event) => event.workflowExecutionCancelRequestedEventAttributes);
    expect(requested?.workflowExecutionCancelRequestedEventAttributes?.cause).toBe('operator: wrong input');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, run.workflowId);

    // Once it has ended there is nothing to cancel.
    expect(await orch(['cancel', run.workflowId])).toMatchObject({ code: 1, stderr: `orch: ${run.workflowId}: the run is cancelled already\n` });
    expect(await orch(['cancel', `no-such-run-${Date.now()}`])).toMatchObject({ code: 1, stderr: expect.stringMatching(/: no such run\n$/) });
  });

  it('cancelled while a person approves: at the same moment, the tool runs at most once; approved after the cancel was accepted, never; each run ends canceled and replays', async () => {
    const planFor = async (path: string) =>
      compileOk([
        writeOverride([
          mockEndpoint('default', 'race-model', { racer: [{ tool_calls: [{ tool: 'race-publish', input: { slug: 'x' } }] }, { text: 'published' }] }),
          httpTool('default', 'race-publish', `${stub.url}/${path}`, { operation_classes: ['write'] }),
          { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'racer' }, spec: { model_ref: 'race-model', prompt: 'publish', tools: ['race-publish'] } },
          { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'race-system' }, spec: { agents: ['racer'] } },
          approvalRequired('race-publish', 'race-needs-approval'),
        ]),
      ]);
    const calls = (path: string) => stub.requests.filter((r) => r.path === `/${path}`).length;
    const [together, cancelFirst] = await Promise.all([planFor('together'), planFor('cancel-first')]);
    const start = (plan: typeof together) => Promise.all(Array.from({ length: 4 }, () => harness.client.start(plan)));
    const [both, late] = await Promise.all([start(together), start(cancelFirst)]);
    const runs = [...both, ...late];
    await Promise.all(runs.map((run) => pollFor(async () => ((await run.approvals().catch(() => [])).length > 0 ? true : undefined), 20_000)));

    const answers = await Promise.all([
      // Sent together, neither waiting for the other.
      ...both.map((run) => Promise.allSettled([run.approve('approval-1', 'alice'), run.handle.cancel()]).then(([answer]) => answer)),
      // The approval sent once the server has the cancel request.
      ...late.map((run) => run.handle.cancel().then(() => Promise.allSettled([run.approve('approval-1', 'alice')]).then(([answer]) => answer))),
    ]);
    for (const answer of answers) {
      // Applied, or refused by the run (closed, or no longer pending): answered, never left hanging.
      if (answer.status === 'fulfilled') expect(answer.value).toMatchObject({ decision: 'approved' });
      else expect(answer.reason).toBeInstanceOf(Error);
    }
    for (const run of runs) {
      expect(await run.result()).toMatchObject({ status: 'canceled', failure: { type: 'CANCELED' } });
      const history = await run.handle.fetchHistory();
      expect((await replayHistories([{ workflowId: run.workflowId, runId: run.runId ?? '', history }]))[0]!.divergence).toBeNull();
    }
    expect(calls('together')).toBeLessThanOrEqual(both.length);
    // A cancelled run starts nothing new, approved or not.
    expect(calls('cancel-first')).toBe(0);
  });

  it('orch terminate ends a run at once: terminated, with the reason', async () => {
    const before = model.requests.length;
    const run = await harness.client.start(slowPlan());
    await pollFor(async () => (model.requests.length > before ? true : undefined), 20_000);
    expect(await orch(['terminate', run.workflowId])).toMatchObject({ code: 2 });
    expect(await orch(['terminate', run.workflowId, '--reason', 'runaway'])).toMatchObject({ code: 0, stdout: `terminated: ${run.workflowId}\n` });
    expect(await run.result()).toMatchObject({ status: 'terminated', failure: { type: 'TERMINATED', message: 'runaway' } });
  });
});
