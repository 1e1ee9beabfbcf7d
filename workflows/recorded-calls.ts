/**
 * Orloj's `duplicate_tool_call_policy: short_circuit` (its default, and orch's rule): within
 * one activation, a tool call identical to an earlier successful one (the same plan tool, the
 * same arguments as canonical JSON) gets that call's recorded result, and the tool is not
 * called again. A model that repeats itself cannot repeat a side effect or spend budget on it.
 * Only plan tools: delegations and built-in tools (memory) read or change state, so a repeat
 * there may rightly answer differently.
 */
import type { ChatMessage, StoredRef, ToolCall } from '../contract/activity-io.ts';
import { canonicalJson } from '../contract/canonical-json.ts';
import type { JsonValue } from '../contract/plan.ts';

/** What a call of this activation answered, by tool and arguments; undefined when it did not succeed. */
export class RecordedCalls {
  /** A stored output is recorded by its reference (see activities/stored-transcript.ts). */
  private readonly outputs = new Map<string, Promise<{ output: JsonValue; stored?: StoredRef } | undefined>>();

  /**
   * Runs `run` unless an identical call succeeded before; an identical call still running is
   * waited for (calls of one turn run in parallel). Deterministic: keyed by value, awaited in
   * the order the model asked.
   */
  async run(toolKey: string | null, call: ToolCall, run: () => Promise<ChatMessage>): Promise<ChatMessage> {
    if (toolKey === null) return run();
    const key = `${toolKey}\u0000${canonicalJson(call.input ?? null)}`;
    const earlier = this.outputs.get(key);
    if (earlier !== undefined) {
      const recorded = await earlier;
      if (recorded !== undefined) return { role: 'tool', toolCallId: call.id, toolName: call.name, ...recorded, isError: false };
      // The earlier call did not succeed: this one is a call of its own, after it.
      if (this.outputs.get(key) !== earlier) return this.run(toolKey, call, run);
    }
    const pending = run();
    this.outputs.set(
      key,
      pending.then(
        (message) =>
          message.role === 'tool' && !message.isError ? { output: message.output, ...(message.stored ? { stored: message.stored } : {}) } : undefined,
        () => undefined
      )
    );
    return pending;
  }
}
