/**
 * The rules every Memory provider shares: a built-in memory tool call's arguments read as a
 * command (Orloj's `runtime/builtin_tools_memory.go`: its defaults, its error texts), Orloj's
 * chunking, orch's offline embedding, and the result shapes the model is given. Pure and
 * deterministic: the `in-memory` store runs them inside a workflow, the `pgvector` provider
 * in the `callMemory` activity, so both answer a call alike.
 */
import type { MemoryOperationResult } from '../../contract/memory-io.ts';
import type { JsonObject, JsonValue, MemoryToolName } from '../../contract/plan.ts';

/** Orloj's defaults: ten search results; chunks of 1000 characters overlapping by 200. */
const DEFAULT_TOP_K = 10;
const DEFAULT_CHUNK_SIZE = 1000;
const DEFAULT_OVERLAP = 200;
/** Dimensions of the offline embedding (a hashed bag of words); a pgvector table's `vector(256)`. */
export const EMBEDDING_DIMENSIONS = 256;

/** A memory tool call with its arguments read and defaulted. */
export type MemoryCommand =
  | { tool: 'memory.read'; key: string }
  | { tool: 'memory.search'; query: string; limit: number }
  | { tool: 'memory.list'; prefix: string }
  | { tool: 'memory.write'; key: string; value: string }
  | { tool: 'memory.ingest'; source: string; chunks: [string, string][] };

export function memoryError(message: string): MemoryOperationResult {
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

/** Reads a call's arguments; a missing one is Orloj's error (`memory.write: key is required`), told to the model. */
export function parseMemoryCall(tool: MemoryToolName, input: JsonValue): MemoryCommand | MemoryOperationResult {
  switch (tool) {
    case 'memory.read': {
      const key = text(input, 'key').trim();
      return key === '' ? memoryError('memory.read: key is required') : { tool, key };
    }
    case 'memory.search': {
      const query = text(input, 'query').trim();
      const topK = integer(input, 'top_k');
      return query === '' ? memoryError('memory.search: query is required') : { tool, query, limit: topK > 0 ? topK : DEFAULT_TOP_K };
    }
    case 'memory.list':
      return { tool, prefix: text(input, 'prefix') };
    case 'memory.write': {
      const key = text(input, 'key').trim();
      return key === '' ? memoryError('memory.write: key is required') : { tool, key, value: text(input, 'value') };
    }
    case 'memory.ingest': {
      const source = text(input, 'source').trim();
      if (source === '') return memoryError('memory.ingest: source is required');
      const content = text(input, 'content');
      if (content.trim() === '') return memoryError('memory.ingest: content is required');
      const chunks = chunkText(content, integer(input, 'chunk_size'), integer(input, 'overlap'));
      return { tool, source, chunks: chunks.map((chunk, index): [string, string] => [`${source}/chunk-${String(index).padStart(4, '0')}`, chunk]) };
    }
  }
  return memoryError(`unknown memory tool: ${String(tool)}`);
}

export function isMemoryCommand(parsed: MemoryCommand | MemoryOperationResult): parsed is MemoryCommand {
  return 'tool' in parsed;
}

/** What a call gives an embedding model (a ModelEndpoint embeds the value alone): the query, the value, each chunk. */
export function embeddedTexts(command: MemoryCommand): string[] {
  switch (command.tool) {
    case 'memory.search':
      return [command.query];
    case 'memory.write':
      return [command.value];
    case 'memory.ingest':
      return command.chunks.map(([, chunk]) => chunk);
    default:
      return [];
  }
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

/** What an entry's embedding is taken of: its key and its value. */
export function embeddingText(key: string, value: string): string {
  return `${key} ${value}`;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * (b[i] ?? 0);
  return dot;
}

/** Keyword search (Orloj's in-memory search): the query as a substring of key or value, case-insensitive. */
export function keywordMatches(query: string, key: string, value: string): boolean {
  const wanted = query.toLowerCase();
  return key.toLowerCase().includes(wanted) || value.toLowerCase().includes(wanted);
}

export interface ScoredEntry {
  key: string;
  value: string;
  score: number;
}

/** Vector search results: scores to six places, only related entries (score above 0), best first, then by key. */
export function rankScored(candidates: readonly ScoredEntry[], limit: number): JsonObject[] {
  return candidates
    .map((entry) => ({ key: entry.key, value: entry.value, score: Math.round(entry.score * 1e6) / 1e6 }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || byKey(a.key, b.key))
    .slice(0, limit);
}

/** Keys in code-unit order, as every provider lists them. */
export function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const memoryResults = {
  read: (key: string, value: string | undefined): MemoryOperationResult => ok(value === undefined ? { found: false, key } : { found: true, key, value }),
  search: (results: JsonObject[]): MemoryOperationResult => ok({ results, count: results.length }),
  list: (entries: { key: string; value: string }[]): MemoryOperationResult => ok({ entries: entries.map(({ key, value }) => ({ key, value })), count: entries.length }),
  written: (key: string): MemoryOperationResult => ok({ status: 'ok', key }),
  ingested: (source: string, chunks: number): MemoryOperationResult => ok({ status: 'ok', source, chunks_stored: chunks }),
};
