/**
 * Governance on a real server: a call the policy engine refuses is never scheduled, the
 * tool's endpoint sees nothing, and the run fails closed with POLICY_DENIED naming the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { CORPUS, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

let harness: Harness;
let stub: RecordingServer;

beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  stub = await startRecordingServer();
});
afterAll(async () => {
  await harness?.stop();
  await stub?.close();
});

async function runScenario(dir: string, namespace: string, agentName: string, tool: string, extra: object[] = []) {
  const override = writeOverride([
    mockEndpoint('default', 'openai-default', { [agentName]: [{ tool_calls: [{ tool, input: { query: 'governed' } }] }] }),
    httpTool(namespace, tool, `${stub.url}/${tool}`),
    ...extra,
  ]);
  const { plan, diagnostics } = await compile([dir], { overrides: [override] });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const run = await harness.client.start(plan!);
  return { run, outcome: await run.result() };
}

describe('policy denials fail closed', () => {
  it('04-governance-deny: the role lacks the ToolPermission; the tool is never called', async () => {
    const before = stub.requests.length;
    const { run, outcome } = await runScenario(`${CORPUS}/testing/scenarios/04-governance-deny`, 'rt-gov', 'rt-gov-analyst-agent', 'rt-gov-search-tool');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'rt-gov-analyst-agent', deadLettered: false } });
    expect(stub.requests.length).toBe(before);
    expect(activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callTool')).toHaveLength(0);
  });

  it('17-tool-approval-live: a write-class tool under approval_required fails closed while approvals do not exist', async () => {
    const ns = 'rr-real-tool-approval';
    const tool = 'rr-real-approval-smoke-tool';
    const override = writeOverride([
      mockEndpoint(ns, 'rr-real-approval-model', { 'rr-real-approval-agent': [{ tool_calls: [{ tool, input: { goal: 'write' } }] }] }),
      httpTool(ns, tool, `${stub.url}/${tool}`, { operation_classes: ['write'], risk_level: 'high' }),
    ]);
    const { plan, diagnostics } = await compile([`${CORPUS}/testing/scenarios-real/17-tool-approval-live`], { overrides: [override] });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const before = stub.requests.length;
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'rr-real-approval-agent' } });
    expect(stub.requests.length).toBe(before);
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
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED', agent: 'spender', deadLettered: false } });
    const models = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel');
    expect(models).toHaveLength(3);
    expect(models[2]!.input.maxOutputTokens).toBe(1000 - 600 - 250);
    expect(outcome.usage.total).toMatchObject({ inputTokens: 750, outputTokens: 150, totalTokens: 900, modelCalls: 3 });
  });
});
