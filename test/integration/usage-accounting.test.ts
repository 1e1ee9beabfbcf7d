/**
 * Usage accounting on a real server: tokens of attempts that failed after the model answered
 * are charged (whether a later attempt succeeds or the call fails for good), and money
 * budgets stop a run like token budgets do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import { compile } from '../../compiler/index.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { compileOk, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

let harness: Harness;
let server: OpenAICompatibleServer;

beforeAll(async () => {
  harness = await startHarness();
  server = await startOpenAICompatibleServer();
});
afterAll(async () => {
  await harness?.stop();
  await server?.close();
});

const PRICING = { input_per_million: 10, output_per_million: 30 };

async function structuredRun(system: string) {
  const file = writeOverride([
    {
      apiVersion: 'orch/v1',
      kind: 'ModelEndpoint',
      metadata: { name: 'local' },
      spec: { provider: 'openai-compatible', base_url: server.url, default_model: 'local-1', pricing: PRICING },
    },
    {
      apiVersion: 'orch/v1',
      kind: 'Agent',
      metadata: { name: 'extractor' },
      spec: {
        model_ref: 'local',
        prompt: 'answer in JSON',
        execution: { output_schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } },
      },
    },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: system }, spec: { agents: ['extractor'] } },
  ]);
  const plan = await compileOk([file]);
  return harness.client.start(plan!);
}

const invalid = { text: '{"answer": 5}', usage: { promptTokens: 100, completionTokens: 50 } };

describe('tokens of failed attempts are charged', () => {
  it('an answer that failed its schema is charged when a retry succeeds', async () => {
    server.enqueue(invalid, invalid, { text: '{"answer":"ok"}', usage: { promptTokens: 100, completionTokens: 20 } });
    const run = await structuredRun('retried-schema');
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toEqual({ answer: 'ok' });
    const [call] = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel');
    expect(call!.attempt).toBe(3);
    // One call made, three answers paid for.
    expect(outcome.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 300, outputTokens: 120, totalTokens: 420 });
    expect(outcome.usage.total.costUsd).toBeCloseTo((300 * 10 + 120 * 30) / 1e6, 9);
    expect(outcome.usage.byAgent.extractor).toMatchObject({ totalTokens: 420 });
    const audited = auditTrail(await run.handle.fetchHistory()).filter((event) => event.kind === 'model.call');
    expect(audited).toMatchObject([{ outcome: 'succeeded', usage: { totalTokens: 420 } }]);
  });

  it('a call that fails for good still charges the answers its attempts got', async () => {
    // Attempt 1 gets an answer that fails the schema; attempt 2 is refused outright (not retryable).
    server.enqueue(invalid, { status: 400 });
    const run = await structuredRun('failed-schema');
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'MODEL_REQUEST_INVALID', agent: 'extractor' } });
    expect(outcome.usage.total).toMatchObject({ modelCalls: 0, inputTokens: 100, outputTokens: 50, totalTokens: 150 });
    const audited = auditTrail(await run.handle.fetchHistory()).filter((event) => event.kind === 'model.call');
    expect(audited).toMatchObject([{ outcome: 'failed', code: 'MODEL_REQUEST_INVALID', attempt: 2, usage: { totalTokens: 150 } }]);
  });
});

describe('money budgets', () => {
  it('stop the run at max_cost_usd_per_run before the call that would not fit', async () => {
    const spend = { tool_calls: [{ tool: 'again', input: {} }], usage: { input_tokens: 250, output_tokens: 50 } };
    const metered = mockEndpoint('default', 'priced', { buyer: [spend, spend, spend, spend] }) as { spec: Record<string, unknown> };
    metered.spec.pricing = PRICING;
    const file = writeOverride([
      metered,
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'buyer' }, spec: { model_ref: 'priced', prompt: 'spend' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'priced-system' }, spec: { agents: ['buyer'] } },
      { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'one-cent' }, spec: { apply_mode: 'global', max_cost_usd_per_run: 0.01 } },
    ]);
    const { plan } = await compile([file]);
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    // Each call costs 250 × $10/M + 50 × $30/M = $0.004: two fit in a cent, a third does not.
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED', agent: 'buyer' } });
    expect(activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel')).toHaveLength(2);
    expect(outcome.usage.total).toMatchObject({ modelCalls: 2, totalTokens: 600, costUsd: 0.008 });
  });
});
