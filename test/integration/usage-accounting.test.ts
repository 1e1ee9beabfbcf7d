/**
 * Usage accounting on a real server: tokens of attempts that failed after the model answered
 * are charged (whether a later attempt succeeds or the call fails for good), and money
 * budgets stop a run like token budgets do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import { compile } from '../../compiler/index.ts';
import { activitiesOf, localActivitiesOf } from '../helpers/history.ts';
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

type Execution = 'activity' | 'local';

async function structuredRun(system: string, execution: Execution) {
  const file = writeOverride([
    {
      apiVersion: 'orch/v1',
      kind: 'ModelEndpoint',
      metadata: { name: 'local' },
      spec: { provider: 'openai-compatible', base_url: server.url, default_model: 'local-1', pricing: PRICING, ...(execution === 'local' ? { execution } : {}) },
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

/** The attempts of the run's model calls: activities' from their events, local ones' from their markers. */
async function modelCallAttempts(run: { handle: { fetchHistory(): Promise<Parameters<typeof activitiesOf>[0]> } }, execution: Execution) {
  const history = await run.handle.fetchHistory();
  const calls = execution === 'local' ? localActivitiesOf(history) : activitiesOf(history);
  // A local model call must not also have been an activity, and the other way round.
  expect((execution === 'local' ? activitiesOf(history) : localActivitiesOf(history)).filter((c) => c.type === 'callModel')).toEqual([]);
  return calls.filter((c) => c.type === 'callModel').map((c) => c.attempt);
}

// With `execution: local` the tally of failed attempts rides in the call record, not in heartbeats.
describe.each(['activity', 'local'] as const)('tokens of failed attempts are charged (execution: %s)', (execution) => {
  it('an answer that failed its schema is charged when a retry succeeds', async () => {
    server.enqueue(invalid, invalid, { text: '{"answer":"ok"}', usage: { promptTokens: 100, completionTokens: 20 } });
    const run = await structuredRun(`retried-schema-${execution}`, execution);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toEqual({ answer: 'ok' });
    expect(await modelCallAttempts(run, execution)).toEqual([3]);
    // One call made, three answers paid for.
    expect(outcome.usage.total).toMatchObject({ modelCalls: 1, inputTokens: 300, outputTokens: 120, totalTokens: 420 });
    expect(outcome.usage.total.costUsd).toBeCloseTo((300 * 10 + 120 * 30) / 1e6, 9);
    expect(outcome.usage.byAgent.extractor).toMatchObject({ totalTokens: 420 });
    const audited = auditTrail(await run.handle.fetchHistory()).filter((event) => event.kind === 'model.call');
    expect(audited).toMatchObject([{ outcome: 'succeeded', agent: 'extractor', subject: 'local-1', attempt: 3, usage: { totalTokens: 420 } }]);
  });

  it('a call that fails for good still charges the answers its attempts got', async () => {
    // Attempt 1 gets an answer that fails the schema; attempt 2 is refused outright (not retryable).
    server.enqueue(invalid, { status: 400 });
    const run = await structuredRun(`failed-schema-${execution}`, execution);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'MODEL_REQUEST_INVALID', agent: 'extractor' } });
    expect(outcome.usage.total).toMatchObject({ modelCalls: 0, inputTokens: 100, outputTokens: 50, totalTokens: 150 });
    const audited = auditTrail(await run.handle.fetchHistory()).filter((event) => event.kind === 'model.call');
    expect(audited).toMatchObject([{ outcome: 'failed', code: 'MODEL_REQUEST_INVALID', agent: 'extractor', subject: 'local-1', attempt: 2, usage: { totalTokens: 150 } }]);
    expect(await modelCallAttempts(run, execution)).toEqual([2]);
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
