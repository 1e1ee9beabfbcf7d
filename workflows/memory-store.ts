/**
 * The entries of one `in-memory` Memory and the built-in memory tools applied to them, with
 * Orloj's argument and result shapes (`runtime/builtin_tools_memory.go`). Pure and
 * deterministic: it runs inside the store's workflow, so the same history gives the same store.
 */
import type { JsonObject, JsonValue } from '../contract/plan.ts';
import type { MemoryOperationRequest, MemoryOperationResult, MemoryStoreStats } from '../contract/memory-io.ts';

/** What the store carries into its next execution when it continues as new. */
export interface MemoryStoreState {
  entries: Record<string, string>;
  writesApplied: number;
  /** Results of the latest writes and ingests by request id, oldest first, so a retried request is answered, not applied twice. */
  recent: [string, MemoryOperationResult][];
  /** Continue as new past this many history events (default MAX_HISTORY_EVENTS of memory-workflow.ts); tests set it low. */
  continueAfterEvents?: number;
}

/** Results of writes kept for retried requests; a retry comes seconds after its first attempt. */
const RECENT_REQUESTS = 512;
/** Orloj's defaults: ten search results; chunks of 1000 characters overlapping by 200. */
const DEFAULT_TOP_K = 10;
const DEFAULT_CHUNK_SIZE = 1000;
const DEFAULT_OVERLAP = 200;
/** Dimensions of the offline embedding (a hashed bag of words). */
const EMBEDDING_DIMENSIONS = 256;

export function emptyStore(): MemoryStoreState {
  return { entries: {}, writesApplied: 0, recent: [] };
}

/** UTF-8 length, counted without an encoder (the workflow sandbox may lack one). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function entryBytes(key: string, value: string): number {
  return utf8Length(key) + utf8Length(value);
}

function fail(message: string): MemoryOperationResult {
  return { output: { error: message }, isError: true };
}

function ok(output: JsonObject): MemoryOperationResult {
  return { output, isError: false };
}

function field(input: JsonValue, name: string): JsonValue | undefined {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? input[name] : undefined;
}

function text(input: JsonValue, name: string): string {
  const value = field(input, name);
  return typeof value === 'string' ? value : '';
}

function integer(input: JsonValue, name: string): number {
  const value = field(input, name);
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

/** Orloj's `ChunkText`: windows of `chunkSize` characters, each repeating `overlap` of the last. */
export function chunkText(content: string, chunkSize: number, overlap: number): string[] {
  const size = chunkSize > 0 ? chunkSize : DEFAULT_CHUNK_SIZE;
  let repeat = overlap < 0 ? DEFAULT_OVERLAP : overlap;
  if (repeat >= size) repeat = Math.floor(size / 5);
  const chars = Array.from(content);
  const step = Math.max(size - repeat, 1);
  const chunks: string[] = [];
  for (let offset = 0; offset < chars.length; offset += step) {
    const end = Math.min(offset + size, chars.length);
    chunks.push(chars.slice(offset, end).join(''));
    if (end === chars.length) break;
  }
  return chunks;
}

/** Words of a text, lowercased: letters and digits. */
function words(value: string): string[] {
  return value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** FNV-1a over a word, for the embedding's bucket. */
function bucket(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
  return hash % EMBEDDING_DIMENSIONS;
}

/** A deterministic, offline embedding: a hashed bag of words, unit length (zero for no words). */
export function embed(value: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of words(value)) vector[bucket(word)]! += 1;
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * (b[i] ?? 0);
  return dot;
}

/** Search results, as Orloj gives them: `{key, value}` (plus `score` for vector memories). */
export function searchEntries(entries: Record<string, string>, query: string, topK: number, type: 'keyword' | 'vector'): JsonObject[] {
  const limit = topK > 0 ? topK : DEFAULT_TOP_K;
  const keys = Object.keys(entries).sort();
  if (type === 'keyword') {
    // Orloj's in-memory search: the query as a substring of key or value, case-insensitive, by key.
    const wanted = query.toLowerCase();
    return keys
      .filter((key) => key.toLowerCase().includes(wanted) || entries[key]!.toLowerCase().includes(wanted))
      .slice(0, limit)
      .map((key) => ({ key, value: entries[key]! }));
  }
  const target = embed(query);
  return keys
    .map((key) => ({ key, value: entries[key]!, score: Math.round(cosine(target, embed(`${key} ${entries[key]!}`)) * 1e6) / 1e6 }))
    .filter((result) => result.score > 0)
    .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1))
    .slice(0, limit);
}

export function storeStats(state: MemoryStoreState): MemoryStoreStats {
  let bytes = 0;
  for (const [key, value] of Object.entries(state.entries)) bytes += entryBytes(key, value);
  return { entries: Object.keys(state.entries).length, bytes, writesApplied: state.writesApplied };
}

/**
 * Puts entries when they fit the store's bounds; otherwise refuses them all (never evicts: the
 * entries belong to every run of the deployment, and one run's write must not erase another's).
 */
function put(state: MemoryStoreState, tool: string, writes: readonly [string, string][], request: MemoryOperationRequest): string | null {
  const { entries: count, bytes } = storeStats(state);
  let entries = count;
  let size = bytes;
  for (const [key, value] of writes) {
    const old = state.entries[key];
    if (old === undefined) entries++;
    else size -= entryBytes(key, old);
    size += entryBytes(key, value);
  }
  if (entries > request.maxEntries) return `${tool}: memory is full (${entries} entries of at most ${request.maxEntries}); nothing was stored`;
  if (size > request.maxBytes) return `${tool}: memory is full (${size} bytes of at most ${request.maxBytes}); nothing was stored`;
  for (const [key, value] of writes) state.entries[key] = value;
  state.writesApplied++;
  return null;
}

function remember(state: MemoryStoreState, requestId: string, result: MemoryOperationResult): MemoryOperationResult {
  state.recent.push([requestId, result]);
  if (state.recent.length > RECENT_REQUESTS) state.recent.splice(0, state.recent.length - RECENT_REQUESTS);
  return result;
}

/** Applies one memory tool call; errors are Orloj's (`memory.write: key is required`), told to the model. */
export function applyMemoryOperation(state: MemoryStoreState, request: MemoryOperationRequest): MemoryOperationResult {
  const { tool, input } = request;
  switch (tool) {
    case 'memory.read': {
      const key = text(input, 'key').trim();
      if (key === '') return fail('memory.read: key is required');
      const value = Object.hasOwn(state.entries, key) ? state.entries[key] : undefined;
      return ok(value === undefined ? { found: false, key } : { found: true, key, value });
    }
    case 'memory.search': {
      const query = text(input, 'query').trim();
      if (query === '') return fail('memory.search: query is required');
      const results = searchEntries(state.entries, query, integer(input, 'top_k'), request.type);
      return ok({ results, count: results.length });
    }
    case 'memory.list': {
      const prefix = text(input, 'prefix');
      const entries = Object.keys(state.entries)
        .filter((key) => key.startsWith(prefix))
        .sort()
        .map((key) => ({ key, value: state.entries[key]! }));
      return ok({ entries, count: entries.length });
    }
    case 'memory.write':
    case 'memory.ingest': {
      const done = state.recent.find(([id]) => id === request.requestId);
      if (done) return done[1];
      return remember(state, request.requestId, write(state, request));
    }
  }
  return fail(`unknown memory tool: ${String(tool)}`);
}

function write(state: MemoryStoreState, request: MemoryOperationRequest): MemoryOperationResult {
  const { tool, input } = request;
  if (tool === 'memory.write') {
    const key = text(input, 'key').trim();
    if (key === '') return fail('memory.write: key is required');
    const refused = put(state, tool, [[key, text(input, 'value')]], request);
    return refused ? fail(refused) : ok({ status: 'ok', key });
  }
  const source = text(input, 'source').trim();
  if (source === '') return fail('memory.ingest: source is required');
  const content = text(input, 'content');
  if (content.trim() === '') return fail('memory.ingest: content is required');
  const chunks = chunkText(content, integer(input, 'chunk_size'), integer(input, 'overlap'));
  const writes = chunks.map((chunk, index): [string, string] => [`${source}/chunk-${String(index).padStart(4, '0')}`, chunk]);
  const refused = put(state, tool, writes, request);
  return refused ? fail(refused) : ok({ status: 'ok', source, chunks_stored: chunks.length });
}
