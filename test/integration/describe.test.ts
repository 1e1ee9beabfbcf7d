/**
 * `orch describe`: where a run stands, without waiting on it or on a worker. A run at work shows
 * its agents; one waiting for a person names the approval, its policy and rule; one nobody
 * serves says so at once; one that ended shows how, with its tokens.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { OrchClient, type RunDescription } from '../../client/orch-client.ts';
import { agent, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { approvalRequired, compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { pollFor } from '../helpers/worker-process.ts';

const setup = harnessWithStub();
let model: OpenAICompatibleServer;
beforeAll(async () => {
  model = await startOpenAICompatibleServer({ respond: () => ({ text: 'slow answer', usage: { promptTokens: 7, completionTokens: 3 }, delayMs: 30_000 }) });
});
afterAll(async () => model?.close());

async function orch(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text), env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address }, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function described(workflowId: string): Promise<RunDescription> {
  const { code, stdout } = await orch(['describe', workflowId, '--json']);
  expect(code).toBe(0);
  return JSON.parse(stdout) as RunDescription;
}

describe('orch describe', () => {
  it('a run at work: its agents and what they do, the queue and its workers', async () => {
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'slow' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'slow-1' };
    const plan = planOf([agent('first', { model: 'default/slow' }), agent('second', { model: 'default/slow' })], [['first', 'second']], { models: { 'default/slow': endpoint } });
    const before = model.requests.length;
    const run = await setup.harness.client.start(plan);
    await pollFor(async () => (model.requests.length > before ? true : undefined), 20_000);
    const json = await described(run.workflowId);
    expect(json).toMatchObject({ workflowId: run.workflowId, status: 'running', kind: 'run', taskQueue: setup.harness.taskQueue, pollers: 1, live: 'answered', closeTime: null });
    expect(json.progress?.agents).toMatchObject({ first: { phase: 'running', step: 1 }, second: { phase: 'waiting' } });
    const text = await orch(['describe', run.workflowId]);
    expect(text.stdout).toMatch(new RegExp(`^run ${run.workflowId} running$`, 'm'));
    expect(text.stdout).toMatch(/^queue {5}\S+: 1 worker polling$/m);
    expect(text.stdout).toMatch(/^ {2}first +running · step 1/m);
    await run.handle.terminate('test over');
  });

  it('a run waiting for a person names the approval, the policy and the rule that require it', async () => {
    const file = writeOverride([
      mockEndpoint('default', 'desk', { editor: [{ tool_calls: [{ tool: 'publish', input: { slug: 'x' } }] }, { text: 'published' }] }),
      httpTool('default', 'publish', `${setup.stub.url}/publish`, { operation_classes: ['write'] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'editor' }, spec: { model_ref: 'desk', prompt: 'edit', tools: ['publish'] } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'describe-approval' }, spec: { agents: ['editor'] } },
      approvalRequired('publish', 'publish-needs-approval'),
    ]);
    const run = await setup.harness.client.start(await compileOk([file]));
    await pollFor(async () => ((await run.approvals().catch(() => [])).length > 0 ? true : undefined), 20_000);
    const json = await described(run.workflowId);
    expect(json.status).toBe('awaiting_approval');
    expect(json.approvals).toMatchObject([{ id: 'approval-1', agent: 'editor', tool: 'publish', policy: expect.stringContaining('publish-needs-approval'), rule: 'operation_rules[0]' }]);
    const text = await orch(['describe', run.workflowId]);
    expect(text.stdout).toMatch(/^ {2}approval approval-1: editor → publish, required by ToolPermission default\/publish-needs-approval operation_rules\[0\] /m);
    await run.handle.terminate('test over');
  });

  it("a delegate's child run shows its own live details in the Web UI: the delegate, its agent, the approval it waits for", async () => {
    const file = writeOverride([
      mockEndpoint('default', 'desk', {
        boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'publish it' } }] }, { text: 'boss done' }],
        hand: [{ tool_calls: [{ tool: 'publish', input: { slug: 'y' } }] }, { text: 'hand done' }],
      }),
      httpTool('default', 'publish', `${setup.stub.url}/publish`, { operation_classes: ['write'] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'lead' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'desk', prompt: 'do', tools: ['publish'] } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'describe-delegate' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
      approvalRequired('publish', 'publish-needs-approval'),
    ]);
    const run = await setup.harness.client.start(await compileOk([file]));
    await pollFor(async () => ((await run.approvals().catch(() => [])).length > 0 ? true : undefined), 20_000);
    const child = setup.harness.client.client.workflow.getHandle(`${run.workflowId}/hand-1`);
    const details = await pollFor(async () => {
      const metadata = await child.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return metadata.currentDetails?.includes('approval-1') ? metadata.currentDetails : undefined;
    }, 20_000);
    const lines = details.split('\n');
    expect(lines[0]).toMatch(/^\*\*delegate hand of describe-delegate\*\* · running · /);
    expect(details).toContain('ToolPermission default/publish-needs-approval');
    // Only the delegate's own agent: the supervisor does not run in this child run.
    expect(lines.filter((line) => line.startsWith('- '))).toEqual([expect.stringMatching(/^- \*\*hand\*\* — running · /)]);
    await run.handle.terminate('test over');
  });

  it("a delegate's child run that ended says so in its details, with what it used", async () => {
    const file = writeOverride([
      mockEndpoint('default', 'desk', {
        boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'count' } }] }, { text: 'boss done' }],
        hand: [{ text: 'counted', usage: { input_tokens: 6, output_tokens: 2 } }],
      }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'lead' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'desk', prompt: 'do' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'describe-delegate-done' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const run = await setup.harness.client.start(await compileOk([file]));
    expect((await run.result()).status).toBe('succeeded');
    const metadata = await setup.harness.client.client.workflow.getHandle(`${run.workflowId}/hand-1`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    const lines = (metadata.currentDetails ?? '').split('\n');
    expect(lines[0]).toMatch(/^\*\*delegate hand of describe-delegate-done\*\* · succeeded · 8 tokens · 1 model call · /);
    expect(lines.filter((line) => line.startsWith('- '))).toEqual([expect.stringMatching(/^- \*\*hand\*\* — done · 1 activation · step 1 · 8 tokens · 1 model call/)]);
  });

  it('a run no worker serves: said at once, with what the server knows', async () => {
    const queue = `nobody-${randomUUID()}`;
    const run = await new OrchClient({ client: setup.harness.client.client, taskQueue: queue }).start(planOf([agent('solo')], []), { taskQueue: queue });
    const started = Date.now();
    const json = await described(run.workflowId);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(json).toMatchObject({ status: 'running', pollers: 0, live: 'no_worker', progress: null, taskQueue: queue });
    expect((await orch(['describe', run.workflowId])).stdout).toContain(`queue     ${queue}: no worker polls it, the run waits for one`);
    await run.handle.terminate('test over');
  });

  it('a run that ended shows how, and its tokens; an unknown id is exit 1', async () => {
    const run = await setup.harness.client.start(planOf([agent('solo')], []));
    const outcome = await run.result();
    const json = await described(run.workflowId);
    expect(json).toMatchObject({ status: 'completed', live: 'closed', totalTokens: outcome.usage.total.totalTokens });
    expect(json.closeTime).not.toBeNull();
    expect(await orch(['describe', `no-such-${randomUUID()}`])).toMatchObject({ code: 1, stderr: expect.stringMatching(/: no such run\n$/) });
  });
});
