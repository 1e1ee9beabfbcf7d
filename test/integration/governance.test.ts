/**
 * Governance on a real server: a call the policy engine refuses is never scheduled, the
 * tool's endpoint sees nothing, and the run fails closed with POLICY_DENIED naming the agent.
 */
import { renderOutcome } from '../../cli/render-outcome.ts';
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { auditTrail } from '../../client/audit.ts';
import { globalPolicy } from '../helpers/plan-builder.ts';
import { main } from '../../cli/main.ts';
import { OrchClient } from '../../client/orch-client.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

const setup = harnessWithStub();

async function runScenario(dir: string, namespace: string, agentName: string, tool: string, extra: object[] = []) {
  const override = writeOverride([
    mockEndpoint('default', 'openai-default', { [agentName]: [{ tool_calls: [{ tool, input: { query: 'governed' } }] }] }),
    httpTool(namespace, tool, `${setup.stub.url}/${tool}`),
    ...extra,
  ]);
  const plan = await compileOk([dir], { overrides: [override] });
  const run = await setup.harness.client.start(plan!);
  return { run, outcome: await run.result() };
}

describe('policy denials fail closed', () => {
  it('04-governance-deny: the role lacks the ToolPermission; the tool is never called', async () => {
    const before = setup.stub.requests.length;
    const { run, outcome } = await runScenario(`${CORPUS}/testing/scenarios/04-governance-deny`, 'rt-gov', 'rt-gov-analyst-agent', 'rt-gov-search-tool');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'rt-gov-analyst-agent', deadLettered: false } });
    expect(setup.stub.requests.length).toBe(before);
    expect(activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callTool')).toHaveLength(0);
  });

});

describe('AgentPolicy denials on a real server', () => {
  const insist = { tool_calls: [{ tool: 'publish-tool', input: { text: 'now' } }] };
  async function deniedRun(policy: Record<string, unknown>) {
    const file = writeOverride([
      mockEndpoint('default', 'writer-model', { insister: [insist, insist, insist] }),
      httpTool('default', 'publish-tool', `${setup.stub.url}/publish-tool`),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'insister' }, spec: { model_ref: 'writer-model', prompt: 'publish', tools: ['publish-tool'] } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'insisting' }, spec: { agents: ['insister'] } },
      { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'the-policy' }, spec: { apply_mode: 'global', ...policy } },
    ]);
    const plan = await compileOk([file]);
    const before = setup.stub.requests.filter((r) => r.path === '/publish-tool').length;
    const run = await setup.harness.client.start(plan!);
    const outcome = await run.result();
    const history = await run.handle.fetchHistory();
    return {
      outcome,
      toolRequests: setup.stub.requests.filter((r) => r.path === '/publish-tool').length - before,
      activities: activitiesOf(history).map((c) => c.type),
      denial: auditTrail(history).find((e) => e.kind === 'policy.denied'),
    };
  }

  it.each([
    ['a blocked tool', { blocked_tools: ['publish-tool'] }, ['callModel']],
    ['a blocked tool named in another case and separator', { blocked_tools: ['Publish_Tool'] }, ['callModel']],
    ['a model the policy does not allow', { allowed_models: ['gpt-4o'] }, []],
  ])('%s: the run fails POLICY_DENIED, nothing denied is called, the audit shows the denial', async (_name, policy, calls) => {
    const { outcome, toolRequests, activities, denial } = await deniedRun(policy);
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'insister' } });
    expect(toolRequests).toBe(0);
    expect(activities).toEqual(calls);
    expect(denial).toMatchObject({ agent: 'insister', code: 'POLICY_DENIED', outcome: 'denied' });
  });
});

describe('human approval (Orloj 17-tool-approval-live)', () => {
  const ns = 'rr-real-tool-approval';
  const tool = 'rr-real-approval-smoke-tool';
  async function startApprovalRun(options: { approvalTimeoutMs?: number } = {}) {
    const override = writeOverride([
      mockEndpoint(ns, 'rr-real-approval-model', { 'rr-real-approval-agent': [{ tool_calls: [{ tool, input: { goal: 'write' } }] }] }),
      httpTool(ns, tool, `${setup.stub.url}/${tool}`, { operation_classes: ['write'], risk_level: 'high' }),
    ]);
    const plan = await compileOk([`${CORPUS}/testing/scenarios-real/17-tool-approval-live`], { overrides: [override] });
    return setup.harness.client.start(plan!, options);
  }
  async function pendingApproval(run: Awaited<ReturnType<typeof startApprovalRun>>) {
    for (let i = 0; i < 100; i++) {
      const pending = await run.approvals().catch(() => []);
      if (pending.length > 0) return pending[0]!;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no approval was requested');
  }
  const toolCalls = () => setup.stub.requests.filter((r) => r.path === `/${tool}`).length;

  it('waits; the tool has not run; approved with the CLI, it runs exactly once', async () => {
    const before = toolCalls();
    const run = await startApprovalRun();
    const approval = await pendingApproval(run);
    expect(approval).toMatchObject({ id: 'approval-1', agent: 'rr-real-approval-agent', tool, arguments: { goal: 'write' }, rule: 'operation_rules[0]' });
    expect(toolCalls()).toBe(before);

    const io = {
      stdout: (() => {}) as (text: string) => void,
      stderr: (() => {}) as (text: string) => void,
      env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address },
      isTTY: false,
    };
    let printed = '';
    io.stdout = (text) => void (printed += text);
    // The tool answers slowly, so the run is still going when a second decision arrives.
    setup.stub.enqueue({ delayMs: 1500, body: { ok: true } });
    const code = await main(['approve', run.workflowId, approval.id, '--by', 'alice', '--reason', 'reviewed'], io);
    expect(code).toBe(0);
    expect(printed.trim()).toBe('approval-1 approved');
    // A second decision on the same approval is refused by the update's validator.
    await expect(run.approve(approval.id, 'bob')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/no pending approval approval-1/) } });

    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(toolCalls()).toBe(before + 1);
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.filter((e) => e.kind === 'approval.decided')).toMatchObject([{ subject: 'approval-1', outcome: 'allowed' }]);
    expect(trail.find((e) => e.kind === 'approval.decided')!.reason).toContain('alice');
    expect(trail.filter((e) => e.kind === 'tool.call')).toMatchObject([{ subject: tool, outcome: 'succeeded' }]);
  });

  /** `orch <argv>` in-process against the test server: exit code and what it printed. */
  async function orchCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text), env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address }, isTTY: false };
    const code = await main(argv, io);
    return { code, stdout, stderr };
  }

  it('orch approve says why it cannot: an unknown id (the run\'s own answer), no worker (promptly, nothing sent), a finished run', async () => {
    const run = await startApprovalRun();
    await pendingApproval(run);
    const unknown = await orchCli(['approve', run.workflowId, 'approval-9', '--by', 'alice']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`orch: ${run.workflowId}: no pending approval approval-9\n`);
    await run.handle.terminate('test: finished');
    const finished = await orchCli(['approve', run.workflowId, 'approval-1', '--by', 'alice']);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain(`${run.workflowId}: the run is terminated`);
    expect(await orchCli(['approvals', run.workflowId, '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });

    // A run on a queue no worker polls: nothing would answer, so nothing is sent, at once.
    const queue = `nobody-${randomUUID()}`;
    const plan = await compileOk([`${CORPUS}/testing/scenarios-real/17-tool-approval-live`], {
      overrides: [writeOverride([mockEndpoint(ns, 'rr-real-approval-model', { 'rr-real-approval-agent': [{ text: 'done' }] })])],
    });
    const unserved = await new OrchClient({ client: setup.harness.client.client, taskQueue: queue }).start(plan!, { taskQueue: queue });
    const started = Date.now();
    const noWorker = await orchCli(['approve', unserved.workflowId, 'approval-1', '--by', 'alice']);
    expect(noWorker.code).toBe(1);
    expect(noWorker.stderr).toContain(`no worker polls its task queue "${queue}"`);
    expect(noWorker.stderr).toContain(`orch worker --task-queue ${queue}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    await unserved.handle.terminate('test over');
  });

  it('denied: the run fails APPROVAL_DENIED and the tool never runs', async () => {
    const before = toolCalls();
    const run = await startApprovalRun();
    const approval = await pendingApproval(run);
    await run.deny(approval.id, 'carol', 'not today');
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'APPROVAL_DENIED', agent: 'rr-real-approval-agent' } });
    expect(toolCalls()).toBe(before);
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.map((e) => e.kind)).toEqual(['run.started', 'model.call', 'approval.requested', 'approval.decided', 'policy.denied']);
    expect(trail.find((e) => e.kind === 'approval.requested')).toMatchObject({ agent: 'rr-real-approval-agent', subject: 'approval-1', outcome: 'requested', policy: expect.stringMatching(/^ToolPermission /), rule: 'operation_rules[0]', reason: expect.stringMatching(/waits for a person, required by ToolPermission .* operation_rules\[0\]$/) });
  });

  it('unanswered: the run fails APPROVAL_TIMEOUT when the approval expires', async () => {
    const before = toolCalls();
    const run = await startApprovalRun({ approvalTimeoutMs: 1_500 });
    await pendingApproval(run);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'APPROVAL_TIMEOUT' } });
    expect(toolCalls()).toBe(before);
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.filter((e) => e.kind.startsWith('approval.'))).toMatchObject([
      { kind: 'approval.requested', subject: 'approval-1', agent: 'rr-real-approval-agent' },
      { kind: 'approval.timed_out', subject: 'approval-1', outcome: 'denied', code: 'APPROVAL_TIMEOUT' },
    ]);
  });
});

describe("approvals inside a delegate's child run", () => {
  it("are listed and decided through the root run, with the run's approval timeout", async () => {
    const tool = 'delegate-risky';
    const before = setup.stub.requests.filter((r) => r.path === `/${tool}`).length;
    const file = writeOverride([
      mockEndpoint('default', 'desk', {
        boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'write it' } }] }, { text: 'all done' }],
        hand: [{ tool_calls: [{ tool, input: { goal: 'write' } }] }, { text: 'written' }],
      }),
      httpTool('default', tool, `${setup.stub.url}/${tool}`, { operation_classes: ['write'] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'delegate' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'desk', prompt: 'act', tools: [tool], roles: ['writer'] } },
      { apiVersion: 'orch/v1', kind: 'AgentRole', metadata: { name: 'writer' }, spec: { permissions: [`tool:${tool}:invoke`] } },
      {
        apiVersion: 'orch/v1',
        kind: 'ToolPermission',
        metadata: { name: 'risky-perm' },
        spec: {
          tool_ref: tool,
          action: 'invoke',
          match_mode: 'all',
          apply_mode: 'global',
          required_permissions: [`tool:${tool}:invoke`],
          operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }],
        },
      },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'delegating' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const plan = await compileOk([file]);
    const run = await setup.harness.client.start(plan!, { approvalTimeoutMs: 90_000 });
    let pending = await run.approvals();
    for (let i = 0; i < 100 && pending.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pending = await run.approvals();
    }
    expect(pending).toMatchObject([{ id: 'hand-1/approval-1', agent: 'hand', tool, arguments: { goal: 'write' } }]);
    expect(pending[0]!.expiresAt - pending[0]!.requestedAt).toBe(90_000);
    expect(setup.stub.requests.filter((r) => r.path === `/${tool}`).length).toBe(before);

    const out: string[] = [];
    const io = { stdout: (text: string) => void out.push(text), stderr: (_: string) => {}, env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address }, isTTY: false };
    expect(await main(['approvals', run.workflowId, '--json'], io)).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject([{ id: 'hand-1/approval-1' }]);
    expect(await main(['approve', run.workflowId, 'hand-1/approval-1', '--by', 'kim'], io)).toBe(0);

    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'succeeded', output: 'all done' });
    expect(setup.stub.requests.filter((r) => r.path === `/${tool}`).length).toBe(before + 1);
  });
});

describe('budgets that pause', () => {
  async function pausingRun() {
    const spend = { tool_calls: [{ tool: 'again', input: {} }], usage: { input_tokens: 250, output_tokens: 50 } };
    const file = writeOverride([
      mockEndpoint('default', 'metered', { saver: [spend, spend, spend, spend, { text: 'finished', usage: { input_tokens: 250, output_tokens: 50 } }] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'saver' }, spec: { model_ref: 'metered', prompt: 'spend' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'paused-system' }, spec: { agents: ['saver'] } },
      {
        apiVersion: 'orch/v1',
        kind: 'AgentPolicy',
        metadata: { name: 'pause-at-thousand' },
        spec: { apply_mode: 'global', max_tokens_per_run: 1000, on_budget_exhausted: 'pause' },
      },
    ]);
    const { plan } = await compile([file]);
    return setup.harness.client.start(plan!);
  }
  async function paused(run: Awaited<ReturnType<typeof pausingRun>>) {
    for (let i = 0; i < 100; i++) {
      const pause = await run.budgetPause().catch(() => null);
      if (pause) return pause;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the run never paused');
  }

  it('waits durably when the budget is spent, and goes on after a top-up from the CLI', async () => {
    const run = await pausingRun();
    const pause = await paused(run);
    expect(pause).toMatchObject({ agent: 'saver', limit: 'tokens', policy: 'AgentPolicy default/pause-at-thousand' });
    // Two calls settle 600; the third's bound (its input, at most, plus output) does not fit in 400.
    expect(activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel')).toHaveLength(2);

    const io = { stdout: (_: string) => {}, stderr: (_: string) => {}, env: { ...process.env, TEMPORAL_ADDRESS: setup.harness.address }, isTTY: false };
    expect(await main(['budget', run.workflowId, '--add-tokens', '1000', '--by', 'dana', '--reason', 'worth it'], io)).toBe(0);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe('finished');
    expect(outcome.usage.total).toMatchObject({ modelCalls: 5, totalTokens: 1500 });
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.filter((e) => e.kind.startsWith('budget.'))).toMatchObject([
      { kind: 'budget.exhausted', agent: 'saver', subject: 'tokens', outcome: 'paused', policy: 'AgentPolicy default/pause-at-thousand' },
      { kind: 'budget.decided', subject: 'tokens +1000', outcome: 'allowed' },
    ]);
    expect(trail.find((e) => e.kind === 'budget.decided')!.reason).toContain('dana');
    // Each model call shows what the budget reserved for it, and what it settled at.
    const calls = trail.filter((e) => e.kind === 'model.call');
    expect(calls).toHaveLength(5);
    for (const call of calls) {
      expect(call.usage?.totalTokens).toBe(300);
      expect(call.reserved!.tokens).toBeGreaterThanOrEqual(250);
    }
  });

  it('wraps up when told: the run succeeds with what the agent had, nothing more is called', async () => {
    const run = await pausingRun();
    await paused(run);
    await run.wrapUp('erin', 'enough');
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.activations[0]).toMatchObject({ agent: 'saver', stoppedBy: 'budget', steps: 2 });
    expect(outcome.usage.total.modelCalls).toBe(2);
    // The outcome says it was wrapped up, and by whom: its output may be partial.
    expect(outcome.wrappedUp).toEqual({ by: 'erin', reason: 'enough' });
    expect(renderOutcome(outcome, null)).toMatch(/^wrapped up by erin: enough /m);
  });
});

describe('budgets', () => {
  it('stops a run at max_tokens_per_run before the call that would not fit, with an exact ledger', async () => {
    const spend = { tool_calls: [{ tool: 'again', input: {} }], usage: { input_tokens: 250, output_tokens: 50 } };
    const file = writeOverride([
      mockEndpoint('default', 'metered', { spender: [spend, spend, spend, spend, spend] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'spender' }, spec: { model_ref: 'metered', prompt: 'spend' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'metered-system' }, spec: { agents: ['spender'] } },
      { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'thousand-tokens' }, spec: { apply_mode: 'global', max_tokens_per_run: 1000 } },
    ]);
    const { plan } = await compile([file]);
    const run = await setup.harness.client.start(plan!);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED', agent: 'spender', deadLettered: false } });
    const models = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel');
    // Each call reserves its input bound plus the output it is given, within what is left.
    expect(models).toHaveLength(2);
    const second = models[1]!.input as { maxOutputTokens: number; reserved: { tokens: number } };
    expect(second.reserved.tokens).toBeLessThanOrEqual(1000 - 300);
    expect(second.reserved.tokens - second.maxOutputTokens).toBeGreaterThanOrEqual(250);
    expect(outcome.usage.total).toMatchObject({ inputTokens: 500, outputTokens: 100, totalTokens: 600, modelCalls: 2 });
  });
});

describe('the worker re-checks every call', () => {
  const tool = {
    id: { namespace: 'default', name: 'rogue-target' },
    name: 'rogue-target',
    type: 'http' as const,
    endpoint: '',
    description: '',
    inputSchema: null,
    capabilities: [],
    operationClasses: ['read'],
    riskLevel: 'low' as const,
    timeoutMs: 5_000,
    retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0, jitter: 'none' as const },
    auth: null,
    mcp: null,
  };
  const agentSpec = {
    id: { namespace: 'default', name: 'rogue' },
    description: '',
    prompt: '',
    model: 'default/m',
    fallbackModels: [],
    tools: ['default/rogue-target'],
    allowedTools: [],
    roles: [],
    maxSteps: 1,
    timeoutMs: null,
    outputSchema: null,
    toolUseBehavior: 'run_llm_again' as const,
    source: '',
  };
  const blocking = globalPolicy('block-rogue', { blockedTools: ['rogue-target'] });

  async function rogueCall(gate: object | undefined, workflowType: 'rogueToolCall' | 'orchRun' = 'orchRun') {
    const connection = await NativeConnection.connect({ address: setup.harness.address });
    const queue = `rogue-${randomUUID()}`;
    const worker = await Worker.create({
      connection,
      taskQueue: queue,
      workflowsPath: new URL('../fixtures/workflows/rogue-workflow.ts', import.meta.url).pathname,
    });
    const request = {
      agent: 'rogue',
      step: 1,
      tool: { ...tool, endpoint: `${setup.stub.url}/rogue-target` },
      mcpServer: null,
      call: { id: 'x', name: 'rogue-target', input: {} },
      toolKey: 'default/rogue-target',
      ...(gate ? { gate } : {}),
    };
    try {
      return await worker.runUntil(
        setup.harness.client.client.workflow
          .execute(workflowType, { taskQueue: queue, workflowId: queue, args: [setup.harness.taskQueue, request] })
          .then(
            () => 'ran',
            (error: any) => error?.cause?.cause?.type ?? 'failed'
          )
      );
    } finally {
      await connection.close();
    }
  }
  const calls = () => setup.stub.requests.filter((r) => r.path === '/rogue-target').length;
  const gate = (governance: object) => ({ system: 's', task: null, agent: 'rogue', agentSpec, governance, approval: null });

  it('refuses a call that carries no decision: the tool sees nothing', async () => {
    const before = calls();
    expect(await rogueCall(undefined)).toBe('POLICY_DENIED');
    expect(calls()).toBe(before);
  });

  it('refuses a call whose carried governance does not allow it', async () => {
    const before = calls();
    expect(await rogueCall(gate({ policies: [blocking], roles: {}, toolPermissions: [] }))).toBe('POLICY_DENIED');
    expect(calls()).toBe(before);
  });

  it("refuses a call from a workflow that is not orch's, whatever it carries", async () => {
    const before = calls();
    expect(await rogueCall(gate({ policies: [], roles: {}, toolPermissions: [] }), 'rogueToolCall')).toBe('POLICY_DENIED');
    expect(calls()).toBe(before);
  });

  it('refuses even a call whose carried decision holds: its run was not started with an orch plan', async () => {
    // The worker checks the call against the plan in its run's start event; a run of a real
    // plan is not refused (test/integration/impostor.test.ts shows both sides).
    const before = calls();
    expect(await rogueCall(gate({ policies: [], roles: {}, toolPermissions: [] }))).toBe('POLICY_DENIED');
    expect(calls()).toBe(before);
  });
});
