/**
 * What a tool call hands back to the model, and how big it may be.
 *
 * A tool result is an activity result, recorded in workflow history and sent to the
 * model on every later step, so it is kept small: text past the limit (64 KiB by
 * default) is cut with a visible marker, and media never travels as base64, only as a
 * one-line description.
 */
import type { JsonObject, JsonValue } from '../contract/plan.ts';

/** Default size limit of a tool's output, in bytes of UTF-8 text. */
export const DEFAULT_MAX_TOOL_OUTPUT_BYTES = 64 * 1024;

/** How much of a response beyond the limit is read (and discarded) to report its size. */
export const RESPONSE_COUNT_CAP_BYTES = 8 * 1024 * 1024;

export interface LimitedOutput {
  output: JsonValue;
  truncated: boolean;
}

/** The marker appended to cut text. `more` when the full size is unknown. */
export function truncationMarker(cutBytes: number, more = false): string {
  return `…[truncated ${more ? 'more than ' : ''}${cutBytes} bytes]`;
}

/** The longest prefix of `bytes` of at most `max` bytes that ends on a UTF-8 character boundary. */
function utf8Prefix(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.byteLength <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Cuts text to `maxBytes` of UTF-8, marking the cut. */
export function limitText(text: string, maxBytes: number): LimitedOutput {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes) return { output: text, truncated: false };
  const kept = utf8Prefix(bytes, maxBytes);
  return {
    output: Buffer.from(kept).toString('utf8') + truncationMarker(bytes.byteLength - kept.byteLength),
    truncated: true,
  };
}

/**
 * Applies the limit to any output: text is cut; JSON whose serialisation is over the
 * limit becomes its serialisation, cut (a half object is not JSON, but it is readable).
 */
export function limitOutput(output: JsonValue, maxBytes: number): LimitedOutput {
  if (typeof output === 'string') return limitText(output, maxBytes);
  if (output === null || typeof output !== 'object') return { output, truncated: false };
  const text = JSON.stringify(output);
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { output, truncated: false };
  return limitText(text, maxBytes);
}

/** A response body read up to a limit. */
export interface CappedBody {
  /** At most `maxBytes` bytes, cut on a character boundary when truncated. */
  bytes: Uint8Array;
  truncated: boolean;
  /** Bytes not kept; a lower bound when `exact` is false. */
  cutBytes: number;
  exact: boolean;
}

/**
 * Reads a body keeping at most `maxBytes`; the rest is counted (up to `countCapBytes`,
 * then the stream is cancelled), never buffered, so a huge body cannot exhaust memory.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  countCapBytes: number = RESPONSE_COUNT_CAP_BYTES
): Promise<CappedBody> {
  if (!body) return { bytes: new Uint8Array(0), truncated: false, cutBytes: 0, exact: true };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let extra = 0;
  let exact = true;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (kept < maxBytes) {
        const room = maxBytes - kept;
        const take = value.byteLength <= room ? value : value.subarray(0, room);
        chunks.push(take);
        kept += take.byteLength;
        extra += value.byteLength - take.byteLength;
      } else {
        extra += value.byteLength;
      }
      if (extra > countCapBytes) {
        exact = false;
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  const all = Buffer.concat(chunks);
  if (extra === 0) return { bytes: all, truncated: false, cutBytes: 0, exact: true };
  // Drop a character the cut split in two.
  const bytes = utf8CompletePrefix(all);
  return { bytes, truncated: true, cutBytes: extra + (all.byteLength - bytes.byteLength), exact };
}

/** The longest prefix of `bytes` that does not end inside a multi-byte character. */
function utf8CompletePrefix(bytes: Uint8Array): Uint8Array {
  let end = bytes.byteLength;
  if (end === 0) return bytes;
  // Find the start of the last character and check whether it is complete.
  let start = end - 1;
  while (start > 0 && (bytes[start]! & 0xc0) === 0x80) start--;
  const lead = bytes[start]!;
  const length = lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 1;
  if (end - start < length) end = start;
  return bytes.subarray(0, end);
}

/** Decoded size of base64 data, without decoding it. */
export function base64Size(data: string): number {
  const clean = data.replace(/\s+/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/** One MCP content block, loosely typed: servers send more than the SDK's union names. */
type McpContent = { type?: unknown; [key: string]: unknown };

/** One content block as text for the model. */
export function describeMcpContent(item: McpContent): string {
  switch (item.type) {
    case 'text':
      return typeof item.text === 'string' ? item.text : '';
    case 'image':
    case 'audio': {
      const mime = typeof item.mimeType === 'string' ? item.mimeType : 'application/octet-stream';
      const size = typeof item.data === 'string' ? base64Size(item.data) : 0;
      return `[${item.type} ${mime}, ${size} bytes]`;
    }
    case 'resource': {
      const resource = (item.resource ?? {}) as { uri?: unknown; mimeType?: unknown; text?: unknown; blob?: unknown };
      if (typeof resource.text === 'string') return resource.text;
      const uri = typeof resource.uri === 'string' ? resource.uri : '';
      const mime = typeof resource.mimeType === 'string' ? `${resource.mimeType}, ` : '';
      const size = typeof resource.blob === 'string' ? base64Size(resource.blob) : 0;
      return `[resource ${uri} (${mime}${size} bytes)]`;
    }
    case 'resource_link':
      return `[resource ${typeof item.uri === 'string' ? item.uri : ''}]`;
    default:
      return `[${typeof item.type === 'string' ? item.type : 'unknown'} content]`;
  }
}

/**
 * An MCP `tools/call` result as the model's output: `structuredContent` when present
 * (the JSON the tool meant), else the content blocks as text (one block: its text; several:
 * joined by newlines). Text is kept as text, never parsed: a tool that wants JSON seen as
 * JSON says so with `structuredContent`.
 */
export function mcpResultOutput(result: { content?: unknown; structuredContent?: unknown; toolResult?: unknown }): JsonValue {
  const structured = result.structuredContent;
  if (structured !== undefined && structured !== null && typeof structured === 'object' && !Array.isArray(structured)) {
    return structured as JsonObject;
  }
  if (Array.isArray(result.content)) {
    const parts = (result.content as McpContent[]).map((item) => describeMcpContent(item ?? {}));
    return parts.length === 1 ? parts[0]! : parts.join('\n');
  }
  // Protocol 2024-10-07 servers answer with `toolResult`.
  if (result.toolResult !== undefined) return result.toolResult as JsonValue;
  return '';
}
