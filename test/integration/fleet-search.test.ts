/**
 * Runs are searchable across the fleet: each run keeps orch's search attributes (status,
 * tokens, cost, denials) current, and `orch runs --query` filters on them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { OrchClient, type RunSummary } from '../../client/orch-client.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { OrchStatus } from '../../contract/search-attributes.ts';
import { main } from '../../cli/main.ts';
import { compile } from '../../compiler/index.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { waitFor } from '../helpers/processes.ts';

const setup = harnessWithStub();

/** One system per test file run, so other files' runs on the shared server never match. */
const SYSTEM = `searchable-${randomUUID().slice(0, 8)}`;

async function start(script: object[], extra: object[] = []) {
  const endpoint = mockEndpoint('default', 'priced', { worker: script }) as { spec: Record<string, unknown> };
  endpoint.spec.pricing = { input_per_million: 10, output_per_million: 30 };
  const file = writeOverride([
    endpoint,
    httpTool('default', 'publish', `${setup.stub.url}/publish`, { operation_classes: ['write'] }),
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'worker' }, spec: { model_ref: 'priced', prompt: 'work', tools: ['publish'] } },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: SYSTEM }, spec: { agents: ['worker'] } },
    ...extra,
  ]);
  const plan = await compileOk([file]);
  return setup.harness.client.start(plan!);
}

/** Visibility is eventually consistent: polls until the run's listing satisfies `ready`. */
async function listed(workflowId: string, ready: (run: RunSummary) => boolean): Promise<RunSummary> {
  let last: RunSummary | undefined;
  for (let i = 0; i < 100; i++) {
    last = (await setup.harness.client.listRuns({ query: `WorkflowId = '${workflowId}'` }))[0];
    if (last && ready(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${workflowId} never listed as expected; last: ${JSON.stringify(last)}`);
}

const cli = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address }, isTTY: false };
  return { io, out, err };
};

const usage = { input_tokens: 250, output_tokens: 50 };
const blockPublish = { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'no-publish' }, spec: { apply_mode: 'global', blocked_tools: ['publish'] } };

describe('search attributes on every run', () => {
  it('a completed run shows its status, tokens and cost', async () => {
    const run = await start([{ text: 'done', usage }]);
    expect((await run.result()).status).toBe('succeeded');
    const summary = await listed(run.workflowId, (r) => r.status === 'completed');
    expect(summary).toMatchObject({ system: SYSTEM, executionStatus: 'COMPLETED', totalTokens: 300, costUsd: 0.004, denials: 0 });
  });

  it('a run a policy stopped is denied, with its denial counted', async () => {
    const run = await start([{ tool_calls: [{ tool: 'publish', input: {} }], usage }], [blockPublish]);
    expect((await run.result()).failure?.type).toBe('POLICY_DENIED');
    expect(await listed(run.workflowId, (r) => r.status === 'denied')).toMatchObject({ executionStatus: 'FAILED', denials: 1, totalTokens: 300 });
  });

  it('a run waiting for a person shows it while it waits', async () => {
    const permission = {
      apiVersion: 'orch/v1',
      kind: 'ToolPermission',
      metadata: { name: 'publish-needs-approval' },
      spec: { tool_ref: 'publish', action: 'invoke', apply_mode: 'global', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }] },
    };
    const run = await start([{ tool_calls: [{ tool: 'publish', input: {} }], usage }, { text: 'published', usage }], [permission]);
    await listed(run.workflowId, (r) => r.status === 'awaiting_approval');
    const [pending] = await run.approvals();
    await run.approve(pending!.id, 'lee');
    expect((await run.result()).status).toBe('succeeded');
    expect(await listed(run.workflowId, (r) => r.status === 'completed')).toMatchObject({ totalTokens: 600, denials: 0 });
  });
});

describe('orch runs', () => {
  it('--query filters on orch attributes; --json prints the summaries', async () => {
    const denied = await start([{ tool_calls: [{ tool: 'publish', input: {} }], usage }], [blockPublish]);
    await denied.result();
    await listed(denied.workflowId, (r) => r.status === 'denied');
    const { io, out } = cli();
    const query = `OrchSystem = '${SYSTEM}' AND OrchDenials > 0`;
    expect(await main(['runs', '--query', query, '--json'], io)).toBe(0);
    const runs = JSON.parse(out.join('')) as RunSummary[];
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((r) => r.system === SYSTEM && r.status === 'denied' && (r.denials ?? 0) > 0)).toBe(true);
    expect(runs.map((r) => r.workflowId)).toContain(denied.workflowId);

    const table = cli();
    expect(await main(['runs', '--query', `WorkflowId = '${denied.workflowId}'`], table.io)).toBe(0);
    expect(table.out.join('')).toMatch(new RegExp(`${denied.workflowId}\\s+denied\\s+${SYSTEM}\\s+300\\s+0\\.004000\\s+1`));
  });

  it('a run ended from outside shows how it ended, not the wait it was in; delegates\' child runs are listed', async () => {
    const permission = {
      apiVersion: 'orch/v1',
      kind: 'ToolPermission',
      metadata: { name: 'publish-needs-approval' },
      spec: { tool_ref: 'publish', action: 'invoke', apply_mode: 'global', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }] },
    };
    const waiting = await start([{ tool_calls: [{ tool: 'publish', input: {} }], usage }], [permission]);
    await listed(waiting.workflowId, (r) => r.status === 'awaiting_approval');
    await waiting.handle.terminate('operator');
    expect(await listed(waiting.workflowId, (r) => r.executionStatus === 'TERMINATED')).toMatchObject({ status: 'terminated', kind: 'run' });

    const file = writeOverride([
      mockEndpoint('default', 'desk', { boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'write it' } }] }, { text: 'done' }], hand: [{ text: 'written' }] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'boss' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'desk', prompt: 'hand' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: `${SYSTEM}-delegating` }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const supervisor = await setup.harness.client.start(await compileOk([file]));
    expect((await supervisor.result()).status).toBe('succeeded');
    const child = await listed(`${supervisor.workflowId}/hand-1`, (r) => r.status === 'completed');
    expect(child).toMatchObject({ kind: 'delegate', parentWorkflowId: supervisor.workflowId });
    const { io, out } = cli();
    expect(await main(['runs', '--query', `WorkflowId STARTS_WITH '${supervisor.workflowId}'`], io)).toBe(0);
    expect(out.join('')).toMatch(new RegExp(`^${supervisor.workflowId}/hand-1\\s+completed\\s`, 'm'));
  });

  it('a query the server cannot parse is a usage error (exit 2), not a stack trace', async () => {
    const { io, err } = cli();
    expect(await main(['runs', '--query', 'OrchStatus ==== nonsense'], io)).toBe(2);
    expect(err.join('')).toMatch(/^orch: --query: /m);
    expect(err.join('')).not.toMatch(/\n\s+at /);
  });
});

describe('a namespace without orch search attributes', () => {
  it('still runs orch: the run starts without them and never upserts them', async () => {
    const namespace = `orch-plain-${randomUUID().slice(0, 8)}`;
    const connection = await Connection.connect({ address: setup.harness.address });
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await waitFor(() => connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false), 10_000, `namespace ${namespace}`);
    await connection.close();
    const taskQueue = `plain-${randomUUID()}`;
    const worker = await createOrchWorker({ address: setup.harness.address, namespace, taskQueue });
    const client = await OrchClient.connect({ address: setup.harness.address, namespace, taskQueue });
    try {
      const { plan } = await compile([writeOverride([mockEndpoint('default', 'm', {}), { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'solo' }, spec: { model_ref: 'm', prompt: 'hi' } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'plain' }, spec: { agents: ['solo'] } },
      ])]);
      const outcome = await worker.runUntil(async () => (await client.start(plan!)).result());
      expect(outcome.status).toBe('succeeded');
      const description = await client.getRun(outcome.workflowId).handle.describe();
      expect(description.typedSearchAttributes.get(OrchStatus)).toBeUndefined();
    } finally {
      await client.client.connection.close();
    }
    // The CLI on a cluster (TEMPORAL_ADDRESS) registers them where it may, and says so once.
    const { io, err } = cli();
    expect(await main(['runs', '--namespace', namespace, '--json'], io)).toBe(0);
    expect(err.join('')).toMatch(/^orch: registered search attributes OrchSystem, OrchTask, .*OrchDenials on namespace orch-plain-/m);
    const again = cli();
    expect(await main(['runs', '--namespace', namespace, '--json'], again.io)).toBe(0);
    expect(again.err.join('')).toBe('');
  }, 60_000);
});
