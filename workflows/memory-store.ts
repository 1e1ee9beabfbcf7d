/**
 * The entries of one `in-memory` Memory and the built-in memory tools applied to them, with
 * the shared argument and result rules of validation/memory/memory-calls.ts. Pure and
 * deterministic: it runs inside the store's workflow, so the same history gives the same store.
 */
import type { JsonObject } from '../contract/plan.ts';
import type { MemoryOperationRequest, MemoryOperationResult, MemoryStoreStats } from '../contract/memory-io.ts';
import {
  byKey,
  cosine,
  embed,
  embeddingText,
  isMemoryCommand,
  keywordMatches,
  memoryError,
  memoryResults,
  parseMemoryCall,
  rankScored,
  type MemoryCommand,
} from '../validation/memory/memory-calls.ts';

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

export { chunkText, cosine, embed } from '../validation/memory/memory-calls.ts';

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

/** Search results, as Orloj gives them: `{key, value}` (plus `score` for vector memories). */
export function searchEntries(entries: Record<string, string>, query: string, limit: number, type: 'keyword' | 'vector'): JsonObject[] {
  const keys = Object.keys(entries).sort(byKey);
  if (type === 'keyword') {
    return keys
      .filter((key) => keywordMatches(query, key, entries[key]!))
      .slice(0, limit)
      .map((key) => ({ key, value: entries[key]! }));
  }
  const target = embed(query);
  return rankScored(keys.map((key) => ({ key, value: entries[key]!, score: cosine(target, embed(embeddingText(key, entries[key]!))) })), limit);
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
    const old = Object.hasOwn(state.entries, key) ? state.entries[key] : undefined;
    if (old === undefined) entries++;
    else size -= entryBytes(key, old);
    size += entryBytes(key, value);
  }
  if (entries > request.maxEntries) return `${tool}: memory is full (${entries} entries of at most ${request.maxEntries}); nothing was stored`;
  if (size > request.maxBytes) return `${tool}: memory is full (${size} bytes of at most ${request.maxBytes}); nothing was stored`;
  // Defined, not assigned: a key such as `__proto__` is an entry like any other.
  for (const [key, value] of writes) Object.defineProperty(state.entries, key, { value, enumerable: true, writable: true, configurable: true });
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
  const command = parseMemoryCall(request.tool, request.input);
  if (!isMemoryCommand(command)) return command;
  switch (command.tool) {
    case 'memory.read':
      return memoryResults.read(command.key, Object.hasOwn(state.entries, command.key) ? state.entries[command.key] : undefined);
    case 'memory.search':
      return memoryResults.search(searchEntries(state.entries, command.query, command.limit, request.type));
    case 'memory.list':
      return memoryResults.list(
        Object.keys(state.entries)
          .filter((key) => key.startsWith(command.prefix))
          .sort(byKey)
          .map((key) => ({ key, value: state.entries[key]! }))
      );
    case 'memory.write':
    case 'memory.ingest': {
      const done = state.recent.find(([id]) => id === request.requestId);
      if (done) return done[1];
      return remember(state, request.requestId, write(state, command, request));
    }
  }
}

function write(state: MemoryStoreState, command: Extract<MemoryCommand, { tool: 'memory.write' | 'memory.ingest' }>, request: MemoryOperationRequest): MemoryOperationResult {
  if (command.tool === 'memory.write') {
    const refused = put(state, command.tool, [[command.key, command.value]], request);
    return refused ? memoryError(refused) : memoryResults.written(command.key);
  }
  const refused = put(state, command.tool, command.chunks, request);
  return refused ? memoryError(refused) : memoryResults.ingested(command.source, command.chunks.length);
}
