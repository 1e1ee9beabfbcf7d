/**
 * Transcripts and tool results kept in the claim-check store (activities/blob-store.ts), so a
 * long agent's history grows linearly: each model call's input carries only the messages added
 * since the transcript its previous call stored, and a large tool result is in history once,
 * as a reference.
 *
 * A stored transcript is a chain of segments, each the messages added since its parent, so the
 * store grows linearly too. What is stored is exactly what history would have held (tool output
 * already masked by the tool activity), never more.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ChatMessage, StoredRef, StoredTranscript, ToolCallResult } from '../contract/activity-io.ts';
import type { JsonValue } from '../contract/plan.ts';
import { isRetryable } from '../contract/failures.ts';
import type { BlobStore } from './blob-store.ts';

/** Tool outputs larger than this (bytes of JSON) are stored; smaller ones stay in history as before. */
export const STORE_TOOL_OUTPUT_OVER_BYTES = 8 * 1024;

interface Segment {
  v: 1;
  parent: StoredTranscript | null;
  messages: ChatMessage[];
}

/** Resolved transcripts by store and digest: the next call of an agent extends the last one. */
const resolvedBy = new WeakMap<BlobStore, Map<string, ChatMessage[]>>();
const RESOLVED_KEPT = 32;

function resolvedIn(blobs: BlobStore): Map<string, ChatMessage[]> {
  let resolved = resolvedBy.get(blobs);
  if (!resolved) resolvedBy.set(blobs, (resolved = new Map()));
  return resolved;
}

function remember(resolved: Map<string, ChatMessage[]>, sha256: string, messages: ChatMessage[]): void {
  resolved.delete(sha256);
  resolved.set(sha256, messages);
  if (resolved.size > RESOLVED_KEPT) resolved.delete(resolved.keys().next().value!);
}

function corrupt(ref: StoredRef, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'STORED_PAYLOAD_CORRUPT',
    message: `stored transcript sha256:${ref.sha256} ${why}`,
    nonRetryable: !isRetryable('STORED_PAYLOAD_CORRUPT'),
    details: [{ sha256: ref.sha256, bytes: ref.bytes }],
  });
}

/** The messages of a stored transcript, each segment checked against its digest. */
export async function loadTranscript(blobs: BlobStore, ref: StoredTranscript): Promise<ChatMessage[]> {
  const resolved = resolvedIn(blobs);
  const segments: ChatMessage[][] = [];
  let base: ChatMessage[] = [];
  let at: StoredTranscript | null = ref;
  while (at) {
    const known = resolved.get(at.sha256);
    if (known) {
      base = known;
      break;
    }
    const segment: Segment = await blobs.getJson<Segment>(at);
    if (segment?.v !== 1 || !Array.isArray(segment.messages)) throw corrupt(at, 'is not a transcript segment');
    if ((segment.parent?.messages ?? 0) + segment.messages.length !== at.messages) throw corrupt(at, 'does not hold the messages its reference counts');
    segments.push(segment.messages);
    at = segment.parent;
  }
  const messages = base.concat(...segments.reverse());
  if (messages.length !== ref.messages) throw corrupt(ref, 'does not hold the messages its reference counts');
  remember(resolved, ref.sha256, messages);
  return messages;
}

/** Stores `base` + `added` as one more segment; idempotent (content-addressed). */
export async function storeTranscript(blobs: BlobStore, base: StoredTranscript | null, added: ChatMessage[]): Promise<StoredTranscript> {
  const segment: Segment = { v: 1, parent: base, messages: added };
  const ref = await blobs.putJson(segment);
  return { ...ref, messages: (base?.messages ?? 0) + added.length };
}

/** Parsed outputs by store and digest, least recently used dropped past a size: every later step reads them again. */
const outputsBy = new WeakMap<BlobStore, Map<string, { output: JsonValue; bytes: number }>>();
const OUTPUTS_KEPT_BYTES = 64 * 1024 * 1024;

async function storedOutput(blobs: BlobStore, ref: StoredRef): Promise<JsonValue> {
  let outputs = outputsBy.get(blobs);
  if (!outputs) outputsBy.set(blobs, (outputs = new Map()));
  const known = outputs.get(ref.sha256);
  if (known) {
    outputs.delete(ref.sha256);
    outputs.set(ref.sha256, known);
    return known.output;
  }
  const output = await blobs.getJson<JsonValue>(ref);
  outputs.set(ref.sha256, { output, bytes: ref.bytes });
  let kept = 0;
  for (const entry of outputs.values()) kept += entry.bytes;
  for (const [key, entry] of outputs) {
    if (kept <= OUTPUTS_KEPT_BYTES) break;
    outputs.delete(key);
    kept -= entry.bytes;
  }
  return output;
}

/** The tool messages with their stored outputs put back (each checked against its digest when read): what the model is given. */
export async function withStoredOutputs(blobs: BlobStore, messages: readonly ChatMessage[]): Promise<ChatMessage[]> {
  return Promise.all(
    messages.map(async (message) => {
      if (message.role !== 'tool' || !message.stored) return message;
      const { stored, ...rest } = message;
      return { ...rest, output: await storedOutput(blobs, stored) };
    })
  );
}

/** A large output goes to the store; history keeps its reference and a placeholder saying so. */
export async function storeLargeOutput(blobs: BlobStore, result: ToolCallResult): Promise<ToolCallResult> {
  const text = JSON.stringify(result.output ?? null);
  if (Buffer.byteLength(text, 'utf8') <= STORE_TOOL_OUTPUT_OVER_BYTES) return result;
  const stored = await blobs.put(Buffer.from(text, 'utf8'));
  return { ...result, output: storedPlaceholder(stored), stored };
}

export function storedPlaceholder(ref: StoredRef): string {
  return `[stored output: ${ref.bytes} bytes, sha256:${ref.sha256}]`;
}
