/**
 * The calls a dry-run reads from a history, against hostile or broken payloads: a history
 * whose plan is not a plan has none, a local call's echo naming `__proto__` or carrying
 * counts that are not numbers is read without crashing and without a made-up total, and a
 * handed-over answer is left to the activity that brought it.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { callsInHistory } from '../../client/history-calls.ts';
import { agent, planOf } from '../helpers/plan-builder.ts';

type Event = temporal.api.history.v1.IHistoryEvent;
const payloads = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value) as temporal.api.common.v1.IPayload] });
// Plain numbers where the proto types say Long: the reader takes either.
const event = (fields: Record<string, unknown>): Event => fields as Event;
const started = (input: unknown): Event => event({ eventId: 1, eventTime: { seconds: 1 }, workflowExecutionStartedEventAttributes: { input: payloads(input) } });
const marker = (eventId: number, result: unknown): Event =>
  event({
    eventId,
    eventTime: { seconds: 2 },
    markerRecordedEventAttributes: { markerName: 'core_local_activity', details: { data: payloads({ activity_type: 'callModel', attempt: 1 }), result: payloads(result) } },
  });

describe('callsInHistory', () => {
  it('a plan that is not a plan is none; the calls are still read', () => {
    const { plan, calls } = callsInHistory('w', { events: [started({ plan: {} }), marker(2, { call: { agent: 'a', model: 'm' }, usage: { inputTokens: 1, outputTokens: 2 } })] });
    expect(plan).toBeNull();
    expect(calls).toMatchObject([{ kind: 'model', agent: 'a', target: 'm', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }]);
  });

  it("an echo naming __proto__, counts that are not numbers, a handed-over answer: read safely", () => {
    const plan = planOf([agent('a')], []);
    const { calls } = callsInHistory('w', {
      events: [
        started({ plan }),
        marker(2, { call: { agent: '__proto__', model: 'mock-1' }, usage: { inputTokens: 'many', outputTokens: 2 } }),
        marker(3, { call: { agent: 'a', model: 'mock-1' }, usage: { inputTokens: 4, outputTokens: 1, totalTokens: Number.NaN } }),
        marker(4, { handedOver: true, call: { agent: 'a', model: 'mock-1' } }),
      ],
    });
    expect(calls.map((c) => [c.eventId, c.agent, c.target, c.usage])).toEqual([
      [2, '__proto__', 'mock-1', null],
      [3, 'a', 'default/mock', { inputTokens: 4, outputTokens: 1, totalTokens: 5 }],
    ]);
  });
});
