/**
 * Budgets under concurrency, on a real server, from the reproducers in test/fixtures/repro:
 * parallel tool calls in one turn, fan-out branches, parallel delegates, reservations of
 * parallel branches, and an oversized model reply. Each asserts what the tool endpoint saw
 * (the stub counts every request), the exact ledger, the audited decision and how the run ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail, type AuditEvent } from '../../client/audit.ts';
import { activitiesOf } from '../helpers/history.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { renderRepro } from '../helpers/repro-fixtures.ts';
import { compileOk, writeOverride } from '../helpers/scenario-overrides.ts';

const setup = harnessWithStub();

async function runRepro(file: string, vars: Record<string, string> = {}) {
  const plan = await compileOk([renderRepro(file, { STUB_URL: setup.stub.url, ...vars })]);
  const before = setup.stub.requests.length;
  const run = await setup.harness.client.start(plan);
  const outcome = await run.result();
  const history = await run.handle.fetchHistory();
  const requests = setup.stub.requests.slice(before);
  return { outcome, history, audit: auditTrail(history), requests, activities: activitiesOf(history) };
}

const ofKind = (audit: AuditEvent[], kind: string) => audit.filter((event) => event.kind === kind);

describe('parallel calls draw on one ledger', () => {
  it('budget-race: 10 tool calls in one turn under max_tool_calls_per_run 3 run 3; the run fails BUDGET_EXCEEDED', async () => {
    const { outcome, audit, requests, activities } = await runRepro('budget-race/manifests.yaml');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED', agent: 'a' } });
    expect(outcome.failure!.message).toContain('AgentPolicy default/three-tool-calls');
    expect(requests.filter((r) => r.path === '/tool/record')).toHaveLength(3);
    expect(activities.filter((a) => a.type === 'callTool')).toHaveLength(3);
    expect(outcome.usage.total.toolCalls).toBe(3);
    expect(ofKind(audit, 'tool.call')).toHaveLength(3);
    expect(ofKind(audit, 'policy.denied')).toEqual([expect.objectContaining({ code: 'BUDGET_EXCEEDED', agent: 'a' })]);
  });

  it('budget-race control: the same 10 calls one per turn also stop at 3', async () => {
    const { outcome, requests } = await runRepro('budget-race/control-sequential.yaml');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED' } });
    expect(requests.filter((r) => r.path === '/tool/record')).toHaveLength(3);
  });

  it('fanout-model-calls: root and a 5-way fan-out under max_model_calls_per_run 3 make 3 model calls', async () => {
    const { outcome, audit, activities } = await runRepro('fanout-model-calls/manifests.yaml');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED' } });
    expect(outcome.failure!.message).toContain('AgentPolicy default/three-model-calls');
    expect(activities.filter((a) => a.type === 'callModel')).toHaveLength(3);
    expect(outcome.usage.total.modelCalls).toBe(3);
    expect(ofKind(audit, 'model.call')).toHaveLength(3);
    expect(ofKind(audit, 'policy.denied')).toEqual([expect.objectContaining({ code: 'BUDGET_EXCEEDED' })]);
  });

  it('fanout-tokens: the fan-out under max_tokens_per_run 2500 settles at most 2500 tokens, every reservation fits', async () => {
    const { outcome, audit } = await runRepro('fanout-tokens/manifests.yaml');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED' } });
    expect(outcome.failure!.message).toContain('AgentPolicy default/tokens-2500');
    const calls = ofKind(audit, 'model.call');
    const charged = calls.reduce((sum, call) => sum + (call.usage?.totalTokens ?? 0), 0);
    expect(charged).toBe(outcome.usage.total.totalTokens);
    expect(outcome.usage.total.totalTokens).toBeLessThanOrEqual(2500);
    // Calls in flight together never reserved more than the run allows.
    expect(calls.reduce((sum, call) => sum + (call.reserved?.tokens ?? 0), 0)).toBeLessThanOrEqual(2500 + 1000);
    for (const call of calls) expect(call.usage!.totalTokens).toBeLessThanOrEqual(call.reserved!.tokens);
  });

  it('parallel-delegates: 4 delegates × 2 tool calls under max_tool_calls_per_run 3 run at most 3; the run fails naming a delegate', async () => {
    const { outcome, audit, requests } = await runRepro('parallel-delegates/manifests.yaml');
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED' } });
    expect(['w1', 'w2', 'w3', 'w4']).toContain(outcome.failure!.agent);
    expect(outcome.failure!.message).toContain('AgentPolicy default/three-tool-calls');
    const ran = requests.filter((r) => r.path === '/tool/record').length;
    // Shares of 3 tool calls over 4 delegates are 1, 1, 1, 0: three run, and every child settles before the run fails.
    expect(ran).toBe(3);
    expect(outcome.usage.total.toolCalls).toBe(ran);
    expect(ofKind(audit, 'delegation').length).toBeGreaterThan(0);
  });
});

describe('a call reserves its own bound', () => {
  it.each(['manifests.yaml', 'with-max-tokens.yaml'])(
    'reserve-remainder (%s): parallel branches of a 200,000-token run all run; each reserves its input bound plus its output cap',
    async (file) => {
      const { outcome, audit } = await runRepro(`reserve-remainder/${file}`);
      expect(outcome).toMatchObject({ status: 'succeeded' });
      const calls = ofKind(audit, 'model.call');
      expect(calls.map((call) => call.agent).sort()).toEqual(['hop', 'quick', 'root', 'slow']);
      const cap = file === 'with-max-tokens.yaml' ? 1000 : 4096;
      for (const call of calls) {
        expect(call.reserved!.tokens).toBeGreaterThan(cap);
        expect(call.reserved!.tokens).toBeLessThan(cap + 2000);
      }
    }
  );
});

describe('an oversized model reply', () => {
  let model: OpenAICompatibleServer;
  beforeAll(async () => {
    model = await startOpenAICompatibleServer({
      respond: () => ({ text: 'x'.repeat(5 * 1024 * 1024), usage: { promptTokens: 50, completionTokens: 1_310_720 } }),
    });
  });
  afterAll(() => model?.close());

  it('model-5mb: fails MODEL_RESPONSE_TOO_LARGE after one attempt, its reported tokens charged', async () => {
    const { outcome, audit, activities } = await runRepro('model-5mb/manifests.yaml', { STUB_URL: model.origin });
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'MODEL_RESPONSE_TOO_LARGE', agent: 'a' } });
    expect(model.requests).toHaveLength(1);
    expect(activities.filter((a) => a.type === 'callModel')).toHaveLength(1);
    expect(outcome.usage.total).toMatchObject({ inputTokens: 50, outputTokens: 1_310_720, totalTokens: 1_310_770, modelCalls: 0 });
    expect(ofKind(audit, 'model.call')).toEqual([
      expect.objectContaining({ outcome: 'failed', code: 'MODEL_RESPONSE_TOO_LARGE', usage: { inputTokens: 50, outputTokens: 1_310_720, totalTokens: 1_310_770 } }),
    ]);
  });
});

describe('model calls are bounded in time', () => {
  const timeouts = async (endpointSpec: Record<string, unknown>) => {
    const file = writeOverride([
      { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'm' }, spec: { provider: 'mock', ...endpointSpec } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'm' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'timed' }, spec: { agents: ['a'] } },
    ]);
    const run = await setup.harness.client.start(await compileOk([file]));
    expect((await run.result()).status).toBe('succeeded');
    const history = await run.handle.fetchHistory();
    return (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes?.activityType?.name === 'callModel')
      .map((attributes) => Number(attributes!.startToCloseTimeout?.seconds ?? 0));
  };

  it('each attempt has the endpoint’s spec.timeout, or 120 s by default', async () => {
    expect(await timeouts({})).toEqual([120]);
    expect(await timeouts({ timeout: '7s' })).toEqual([7]);
  });
});

describe('a model asking for thousands of tool calls at once', () => {
  it('runs 64 of 2,100 and refuses the rest TOO_MANY_TOOL_CALLS; the run ends', async () => {
    const calls = Array.from({ length: 2_100 }, (_, i) => ({ tool: 'record', input: { i } }));
    const file = writeOverride([
      { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'm' }, spec: { provider: 'mock', mock: { responses: { a: [{ tool_calls: calls }, { text: 'done' }] } } } },
      { apiVersion: 'orch/v1', kind: 'Tool', metadata: { name: 'record' }, spec: { endpoint: `${setup.stub.url}/tool/many`, input_schema: { type: 'object' } } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'm', tools: ['record'], limits: { max_steps: 2 } } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'many' }, spec: { agents: ['a'] } },
    ]);
    const before = setup.stub.requests.filter((r) => r.path === '/tool/many').length;
    const run = await setup.harness.client.start(await compileOk([file]));
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(setup.stub.requests.filter((r) => r.path === '/tool/many').length - before).toBe(64);
    const audit = auditTrail(await run.handle.fetchHistory());
    expect(audit.filter((e) => e.kind === 'tool.call')).toHaveLength(64);
    const refused = audit.filter((e) => e.kind === 'tool.refused');
    expect(refused).toHaveLength(2_036);
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['TOO_MANY_TOOL_CALLS']));
  }, 120_000);
});

describe('usage a hostile provider reports', () => {
  let model: OpenAICompatibleServer;
  beforeAll(async () => {
    model = await startOpenAICompatibleServer();
  });
  afterAll(() => model?.close());

  const chain = () =>
    writeOverride([
      { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'liar' }, spec: { provider: 'openai-compatible', base_url: model.url, default_model: 'liar' } },
      ...['a', 'b', 'c'].map((name) => ({ apiVersion: 'orch/v1', kind: 'Agent', metadata: { name }, spec: { model_ref: 'liar' } })),
      { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'tokens-300' }, spec: { apply_mode: 'global', max_tokens_per_run: 300 } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'lying' }, spec: { agents: ['a', 'b', 'c'], graph: { a: { next: 'b' }, b: { next: 'c' } } } },
    ]);

  it.each([
    ['negative counts are not believed: the call is charged its whole bound, never a credit', { promptTokens: -50_000, completionTokens: 10, totalTokens: -49_990 }, 'failed', null],
    ['an endless count exhausts the budget instead of turning it off', { promptTokens: 1e308, completionTokens: 1e308 }, 'failed', 2e12],
    ['no counts at all are charged as the call’s whole bound', null, 'failed', null],
  ])('%s', async (_what, usage, status, total) => {
    model.setDefault(() => ({ text: 'ok', usage }));
    const run = await setup.harness.client.start(await compileOk([chain()]));
    const outcome = await run.result();
    expect(outcome.status).toBe(status);
    if (status === 'failed') expect(outcome.failure).toMatchObject({ type: 'BUDGET_EXCEEDED' });
    const spent = outcome.usage.total.totalTokens;
    expect(Number.isFinite(spent) && spent >= 0).toBe(true);
    if (total !== null) expect(spent).toBe(total);
    else expect(spent).toBeGreaterThan(0);
    if (total === null) expect(spent).toBeLessThanOrEqual(300);
  });
});
