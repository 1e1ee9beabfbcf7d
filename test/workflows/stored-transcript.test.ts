/**
 * The agent loop's side of the claim check: once a transcript is large, each model call sends
 * only its delta over the transcript the previous call stored, and the transcript it stands for
 * is exactly the one it would have sent whole; a run whose history predates the change
 * (`patched` false) sends it whole; stored tool outputs travel by reference, repeats included.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ModelCallRequest, StoredTranscript, ToolCallResult } from '../../contract/activity-io.ts';
import type { Effects } from '../../workflows/effects.ts';
import { inertEffects } from '../helpers/inert-effects.ts';
import { runPlan } from '../../workflows/interpreter.ts';
import { agent, planOf, tool } from '../helpers/plan-builder.ts';

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
const STEPS = 6;
const fetchTool = tool('fetch');

/** Effects standing in for the activities: a transcript store, and a tool whose large output is stored. */
function storingEffects(patched?: boolean) {
  const segments = new Map<string, { parent: StoredTranscript | null; messages: ChatMessage[] }>();
  const requests: ModelCallRequest[] = [];
  const whole: ChatMessage[][] = [];
  const load = (ref: StoredTranscript | null): ChatMessage[] => {
    if (!ref) return [];
    const segment = segments.get(ref.sha256)!;
    return [...load(segment.parent), ...segment.messages];
  };
  const effects: Effects = {
    async callModel(request) {
      requests.push(structuredClone(request));
      const messages = request.transcript ? [...load(request.transcript.base), ...request.messages] : request.messages;
      whole.push(structuredClone(messages));
      let transcript: StoredTranscript | undefined;
      if (request.transcript) {
        const sha256 = `t${segments.size}`;
        segments.set(sha256, { parent: request.transcript.base, messages: structuredClone(request.messages) });
        transcript = { sha256, bytes: 1, messages: messages.length };
      }
      // The same page twice in the last step: the second is answered from the recorded call.
      const toolCalls =
        request.step < STEPS
          ? [{ id: `c${request.step}`, name: 'fetch', input: { page: request.step } }, ...(request.step === STEPS - 1 ? [{ id: 'again', name: 'fetch', input: { page: 1 } }] : [])]
          : [];
      return { text: request.step < STEPS ? '' : 'done', toolCalls, finishReason: 'stop', usage, modelId: 'm', ...(transcript ? { transcript } : {}) };
    },
    async callTool(request): Promise<ToolCallResult> {
      const page = (request.call.input as { page: number }).page;
      return { output: `[stored output: 20000 bytes, sha256:p${page}]`, stored: { sha256: `p${page}`, bytes: 20_000 }, isError: false, durationMs: 1, truncated: false };
    },
    ...inertEffects(),
    ...(patched === undefined ? {} : { patched: () => patched }),
  };
  return { effects, requests, whole };
}

const plan = planOf([agent('reader', { tools: ['default/fetch'], maxSteps: STEPS })], [], { tools: { 'default/fetch': fetchTool } });

describe('transcripts by reference', () => {
  it('sends deltas over the stored transcript once it is large, standing for the very transcript sent whole before', async () => {
    const byReference = storingEffects();
    const inline = storingEffects(false);
    await runPlan(plan, 'go', byReference.effects);
    await runPlan(plan, 'go', inline.effects);
    // Step 1 is small (the inbox alone) and goes whole; from step 2 on only the delta goes.
    expect(byReference.requests[0]).not.toHaveProperty('transcript');
    expect(byReference.requests[1]!.transcript).toEqual({ base: null });
    for (const request of byReference.requests.slice(2)) expect(request.transcript?.base).not.toBeNull();
    expect(byReference.requests.slice(2, -1).map((r) => r.messages.length)).toEqual([2, 2, 2]);
    expect(byReference.requests.at(-1)!.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'tool']);
    // What each call stands for is what a run from before the change sends whole, stored references included.
    expect(byReference.whole).toEqual(inline.whole);
    for (const request of inline.requests) expect(request).not.toHaveProperty('transcript');
    expect(inline.requests.at(-1)!.messages).toHaveLength(1 + 2 * (STEPS - 1) + 1);
    const repeated = inline.whole.at(-1)!.filter((m) => m.role === 'tool' && m.toolCallId === 'again');
    expect(repeated).toEqual([{ role: 'tool', toolCallId: 'again', toolName: 'fetch', output: '[stored output: 20000 bytes, sha256:p1]', stored: { sha256: 'p1', bytes: 20_000 }, isError: false }]);
  });
});
