/**
 * Every decision is in the audit, and a person is asked only about a call that would run,
 * on a real server: feedback denials and last-step refusals (test/fixtures/repro/feedback-audit),
 * a delegate's refusals, an approval that arrives after its deadline, and a call whose
 * arguments are invalid (refused before anyone is asked).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditTrail, type AuditEvent } from '../../client/audit.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { renderRepro } from '../helpers/repro-fixtures.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { OrchClient } from '../../client/orch-client.ts';

const setup = harnessWithStub();

async function finish(plan: Awaited<ReturnType<typeof compileOk>>) {
  const run = await setup.harness.client.start(plan);
  const outcome = await run.result();
  return { outcome, audit: auditTrail(await run.handle.fetchHistory()) };
}

const refusals = (audit: AuditEvent[]) => audit.filter((event) => event.kind === 'tool.refused');

describe('refusals in the audit', () => {
  it('feedback-denial: a POLICY_DENIED the model is told about is audited with its policy', async () => {
    const before = setup.stub.requests.length;
    const { outcome, audit } = await finish(await compileOk([renderRepro('feedback-audit/feedback-denial.yaml', { STUB_URL: setup.stub.url })]));
    expect(outcome.status).toBe('succeeded');
    expect(setup.stub.requests.length).toBe(before);
    expect(refusals(audit)).toEqual([
      expect.objectContaining({ agent: 'a', subject: 'send-email', code: 'POLICY_DENIED', policy: 'AgentPolicy default/no-email', rule: 'blocked_tools' }),
    ]);
  });

  it.each([
    ['last-step-refusal.yaml', 'the refusal of the last step, which no model call follows'],
    ['control-refusal-not-last.yaml', 'the refusal a second model call is told about'],
  ])('%s: %s is audited once as TOOL_NOT_DECLARED', async (file) => {
    const { outcome, audit } = await finish(await compileOk([renderRepro(`feedback-audit/${file}`, { STUB_URL: setup.stub.url })]));
    expect(outcome.status).toBe('succeeded');
    expect(refusals(audit)).toEqual([expect.objectContaining({ agent: 'a', subject: 'delete-db', code: 'TOOL_NOT_DECLARED', outcome: 'refused' })]);
  });

  it("a delegate's refusals are in the root run's audit", async () => {
    const file = writeOverride([
      mockEndpoint('default', 'm', {
        boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'go' } }] }, { text: 'boss done' }],
        hand: [{ tool_calls: [{ tool: 'wipe-disk', input: {} }] }, { text: 'hand done' }],
      }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'm' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'm' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'delegating' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const { outcome, audit } = await finish(await compileOk([file]));
    expect(outcome.status).toBe('succeeded');
    expect(refusals(audit)).toEqual([expect.objectContaining({ agent: 'hand', subject: 'wipe-disk', code: 'TOOL_NOT_DECLARED' })]);
  });
});

function approvalSystem(tool: string, inputSchema?: object) {
  return writeOverride([
    mockEndpoint('default', 'm', {
      writer: [{ tool_calls: [{ tool, input: { text: 42 } }] }, { text: 'done' }],
    }),
    httpTool('default', tool, `${setup.stub.url}/${tool}`, {
      operation_classes: ['write'],
      ...(inputSchema ? { input_schema: inputSchema } : {}),
    }),
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'writer' }, spec: { model_ref: 'm', tools: [tool], roles: ['author'] } },
    { apiVersion: 'orch/v1', kind: 'AgentRole', metadata: { name: 'author' }, spec: { permissions: [`tool:${tool}:invoke`] } },
    {
      apiVersion: 'orch/v1',
      kind: 'ToolPermission',
      metadata: { name: 'ask-first' },
      spec: {
        tool_ref: tool,
        action: 'invoke',
        apply_mode: 'global',
        required_permissions: [`tool:${tool}:invoke`],
        operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }],
      },
    },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'approving' }, spec: { agents: ['writer'] } },
  ]);
}

describe('approvals', () => {
  it('a call whose arguments violate its input_schema is refused without asking anyone', async () => {
    const tool = 'typed-write';
    const { outcome, audit } = await finish(await compileOk([approvalSystem(tool, { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] })]));
    expect(outcome.status).toBe('succeeded');
    expect(audit.filter((event) => event.kind.startsWith('approval.'))).toEqual([]);
    expect(refusals(audit)).toEqual([expect.objectContaining({ subject: tool, code: 'INVALID_ARGUMENTS' })]);
    expect(setup.stub.requests.filter((r) => r.path === `/${tool}`)).toHaveLength(0);
  });

  it('an approval that reaches the run after its deadline is recorded and refused; the tool never runs', async () => {
    const tool = 'late-write';
    const taskQueue = `late-${randomUUID()}`;
    const env = { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' };
    const address = setup.harness.address;
    const client = await OrchClient.connect({ address, taskQueue });
    try {
      const first = await createOrchWorker({ address, taskQueue, env });
      const firstRunning = first.run();
      const run = await client.start(await compileOk([approvalSystem(tool)]), { approvalTimeoutMs: 2_000 });
      let pending = await run.approvals();
      for (let i = 0; i < 100 && pending.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        pending = await run.approvals();
      }
      expect(pending).toMatchObject([{ id: 'approval-1' }]);
      // No worker is up when the approval's timer fires; the decision arrives after that.
      first.shutdown();
      await firstRunning;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const decision = run.approve('approval-1', 'late-larry');
      const second = await createOrchWorker({ address, taskQueue, env });
      const secondRunning = second.run();
      try {
        await expect(decision).resolves.toMatchObject({ id: 'approval-1', decision: 'expired' });
        const outcome = await run.result();
        expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'APPROVAL_TIMEOUT' } });
        expect(setup.stub.requests.filter((r) => r.path === `/${tool}`)).toHaveLength(0);
        const audit = auditTrail(await run.handle.fetchHistory());
        expect(audit.filter((event) => event.kind.startsWith('approval.'))).toMatchObject([
          { kind: 'approval.requested', subject: 'approval-1' },
          { kind: 'approval.timed_out', subject: 'approval-1', code: 'APPROVAL_TIMEOUT' },
          { kind: 'approval.decided', subject: 'approval-1', outcome: 'refused', code: 'APPROVAL_TIMEOUT' },
        ]);
        expect(audit.filter((event) => event.kind === 'tool.call')).toEqual([]);
      } finally {
        second.shutdown();
        await secondRunning;
      }
    } finally {
      await client.client.connection.close();
    }
  });
});
