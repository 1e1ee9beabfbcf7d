/**
 * `execution: local` keeps what `execution: activity` guarantees, side by side on a real
 * server: a call whose attempts failed after answering and then timed out charges the same
 * tokens and leaves the same trail (agent, code, usage, the refusal the model was told about),
 * and many large answers in a row complete instead of overflowing one workflow task's
 * completion (Temporal refuses one over 4 MiB and terminates the run).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchAuditTrail } from '../../client/audit.ts';
import { OrchClient } from '../../client/orch-client.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import type { JsonObject } from '../../contract/plan.ts';
import { activitiesOf, localActivitiesOf } from '../helpers/history.ts';
import { agent, MOCK_MODEL, planOf } from '../helpers/plan-builder.ts';
import { startOpenAICompatibleServer, type ScriptedReply } from '../helpers/openai-compatible-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';

installQuietRuntime();

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function runSolo(
  execution: 'activity' | 'local',
  respond: (n: number) => ScriptedReply,
  agentOverrides: Parameters<typeof agent>[1] = {},
  timeoutMs?: number,
  { trail = true, history = false } = {}
) {
  let n = 0;
  const model = await startOpenAICompatibleServer({ respond: () => respond(++n) });
  cleanups.push(() => model.close());
  const endpoint = {
    ...MOCK_MODEL,
    id: { namespace: 'default', name: 'm' },
    provider: 'openai-compatible' as const,
    baseUrl: model.url,
    model: 'm-1',
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(execution === 'local' ? { execution } : {}),
  };
  const plan = planOf([agent('solo', { model: 'default/m', ...agentOverrides })], [], { models: { 'default/m': endpoint } });
  const taskQueue = `parity-${execution}-${randomUUID()}`;
  const worker = await createOrchWorker({ address: temporalAddress(), taskQueue });
  const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
  cleanups.push(() => client.client.connection.close());
  const run = await client.start(plan);
  const outcome = await worker.runUntil(run.result());
  return { outcome, model, trail: trail ? await fetchAuditTrail(client, run.workflowId) : [], history: history ? await run.handle.fetchHistory() : null };
}

describe.concurrent('execution: local against execution: activity', () => {
  it.each(['activity', 'local'] as const)('a refusal, answers that failed, then timeouts: the same tokens charged, the same trail (%s)', async (execution) => {
    const schema: JsonObject = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    const { outcome, trail } = await runSolo(
      execution,
      (n) =>
        n === 1
          ? { toolCalls: [{ name: 'undeclared', arguments: {} }], usage: { promptTokens: 10, completionTokens: 1 } }
          : n <= 3
            ? { text: 'not json', usage: { promptTokens: 90, completionTokens: 10 } }
            : { text: '{"a":1}', delayMs: 2_000 },
      { outputSchema: schema },
      400
    );
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'CALL_TIMEOUT', agent: 'solo' } });
    // The first call's 11 tokens, the two answers that failed the schema: 200.
    expect(outcome.usage.total).toMatchObject({ inputTokens: 190, outputTokens: 21, totalTokens: 211 });
    expect(trail.map((event) => [event.kind, event.agent, event.code])).toEqual([
      ['run.started', null, null],
      ['model.call', 'solo', null],
      ['tool.refused', 'solo', 'TOOL_NOT_DECLARED'],
      ['model.call', 'solo', 'CALL_TIMEOUT'],
      ['run.failed', 'solo', 'CALL_TIMEOUT'],
    ]);
    expect(trail.filter((event) => event.kind === 'model.call').map((event) => [event.subject, event.usage?.totalTokens])).toEqual([
      ['m-1', 11],
      ['m-1', 200],
    ]);
  }, 60_000);

  it('18 answers of 240 KB in a row (4.3 MB) complete with execution: local; in one workflow task they would be refused', async () => {
    const big = 'x'.repeat(240_000);
    const { outcome, model } = await runSolo(
      'local',
      (n) => (n <= 18 ? { text: big, toolCalls: [{ name: 'undeclared', arguments: {} }], usage: { promptTokens: 1, completionTokens: 1 } } : { text: 'done', usage: { promptTokens: 1, completionTokens: 1 } }),
      { maxSteps: 30 },
      undefined,
      { trail: false }
    );
    // The history (over 4 MiB) is past what a client fetches by default; the outcome says it all.
    expect(outcome).toMatchObject({ status: 'succeeded', output: 'done' });
    expect(model.requests).toHaveLength(19);
  }, 90_000);

  it('a local answer too large for its workflow task is handed over: the model called once, one call in the trail, the ledger exact', async () => {
    const large = 'y'.repeat(100_000);
    const { outcome, model, trail, history } = await runSolo('local', () => ({ text: large, usage: { promptTokens: 30, completionTokens: 25_000 } }), {}, undefined, { history: true });
    expect(outcome).toMatchObject({ status: 'succeeded', output: large });
    expect(model.requests).toHaveLength(1);
    expect(outcome.usage.total).toMatchObject({ inputTokens: 30, outputTokens: 25_000, modelCalls: 1 });
    // The local call's marker holds where the answer is; an activity of its own brought it from the record.
    const [marker] = localActivitiesOf(history!);
    expect(marker!.result).toMatchObject({ text: '', handedOver: { activityId: expect.any(String) } });
    const [activity] = activitiesOf(history!).filter((call) => call.type === 'callModel');
    expect(activity!.result).toMatchObject({ text: large, usage: { totalTokens: 25_030 } });
    expect(trail.filter((event) => event.kind === 'model.call')).toMatchObject([{ agent: 'solo', outcome: 'succeeded', usage: { totalTokens: 25_030 } }]);
  }, 60_000);
});
