/** The `in-memory` store's tools with Orloj's argument and result shapes, its search, its bounds and its idempotence. */
import { describe, expect, it } from 'vitest';
import type { MemoryOperationRequest } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName } from '../../contract/plan.ts';
import { applyMemoryOperation, chunkText, emptyStore, storeStats, type MemoryStoreState } from '../../workflows/memory-store.ts';
import { memoryToolDeclaration } from '../../workflows/memory-tools.ts';
import { validateArguments } from '../../workflows/validate-arguments.ts';

let sequence = 0;
function op(state: MemoryStoreState, tool: MemoryToolName, input: JsonValue, overrides: Partial<MemoryOperationRequest> = {}) {
  return applyMemoryOperation(state, { requestId: `r-${++sequence}`, tool, input, type: 'keyword', maxEntries: 100, maxBytes: 100_000, ...overrides });
}

describe('argument shapes', () => {
  it('the declared schemas refuse what Orloj cannot read before any call runs', () => {
    const issues = (tool: MemoryToolName, input: JsonValue) => validateArguments(input, memoryToolDeclaration(tool).inputSchema).map((i) => [i.path, i.keyword]);
    expect(issues('memory.write', { value: 'v' })).toEqual([['$.key', 'required']]);
    expect(issues('memory.write', { key: 7, value: 'v' })).toEqual([['$.key', 'type']]);
    expect(issues('memory.search', { query: 'q', top_k: 'three' })).toEqual([['$.top_k', 'type']]);
    expect(issues('memory.ingest', { source: 'doc' })).toEqual([['$.content', 'required']]);
    expect(issues('memory.read', 'incident/facts')).toEqual([['$', 'type']]);
    expect(issues('memory.list', {})).toEqual([]);
  });

  it('blank keys, queries, sources and contents are Orloj errors, told to the model as a tool error', () => {
    const state = emptyStore();
    expect(op(state, 'memory.write', { key: '   ', value: 'v' })).toEqual({ output: { error: 'memory.write: key is required' }, isError: true });
    expect(op(state, 'memory.read', { key: '' })).toEqual({ output: { error: 'memory.read: key is required' }, isError: true });
    expect(op(state, 'memory.search', { query: ' ' })).toEqual({ output: { error: 'memory.search: query is required' }, isError: true });
    expect(op(state, 'memory.ingest', { source: 'doc', content: '  ' })).toEqual({ output: { error: 'memory.ingest: content is required' }, isError: true });
    expect(op(state, 'memory.ingest', { source: '', content: 'x' })).toEqual({ output: { error: 'memory.ingest: source is required' }, isError: true });
    expect(storeStats(state)).toEqual({ entries: 0, bytes: 0, writesApplied: 0 });
  });
});

describe('results', () => {
  it('write, read, list: Orloj shapes, keys trimmed, values as given', () => {
    const state = emptyStore();
    expect(op(state, 'memory.write', { key: ' incident/facts ', value: 'rollback at 14:17' }).output).toEqual({ status: 'ok', key: 'incident/facts' });
    op(state, 'memory.write', { key: 'triage/next', value: 'call VIPs' });
    expect(op(state, 'memory.read', { key: 'incident/facts' }).output).toEqual({ found: true, key: 'incident/facts', value: 'rollback at 14:17' });
    expect(op(state, 'memory.read', { key: 'nope' }).output).toEqual({ found: false, key: 'nope' });
    // A key named like an Object property is an entry like any other, never the prototype's.
    expect(op(state, 'memory.read', { key: 'constructor' }).output).toEqual({ found: false, key: 'constructor' });
    expect(op(state, 'memory.list', { prefix: 'triage/' }).output).toEqual({ entries: [{ key: 'triage/next', value: 'call VIPs' }], count: 1 });
    expect(op(state, 'memory.list', {}).output).toMatchObject({ count: 2 });
  });

  it('keyword search: the query as a case-insensitive substring of key or value, by key, at most top_k (default 10)', () => {
    const state = emptyStore();
    for (let i = 11; i >= 0; i--) op(state, 'memory.write', { key: `k${String(i).padStart(2, '0')}`, value: i % 2 ? 'Payment API' : 'other' });
    const found = op(state, 'memory.search', { query: 'payment api' }).output as { results: { key: string }[]; count: number };
    expect(found.results.map((r) => r.key)).toEqual(['k01', 'k03', 'k05', 'k07', 'k09', 'k11']);
    expect((op(state, 'memory.search', { query: 'k', top_k: 3 }).output as { count: number }).count).toBe(3);
    expect((op(state, 'memory.search', { query: 'k' }).output as { count: number }).count).toBe(10);
  });

  it('vector search ranks by similarity of words, deterministically, with a score', () => {
    const state = emptyStore();
    op(state, 'memory.write', { key: 'runbook/primary_action', value: 'pause the rollout and roll back the release' });
    op(state, 'memory.write', { key: 'lunch', value: 'pizza on friday' });
    const search = () => op(state, 'memory.search', { query: 'what to do after a bad release: roll back?', top_k: 5 }, { type: 'vector' }).output;
    const first = search() as { results: { key: string; score: number }[] };
    expect(first.results.map((r) => r.key)).toEqual(['runbook/primary_action']);
    expect(first.results[0]!.score).toBeGreaterThan(0);
    expect(search()).toEqual(first);
  });

  it('ingest stores Orloj chunks as <source>/chunk-NNNN', () => {
    expect(chunkText('abcdefghij', 4, 1)).toEqual(['abcd', 'defg', 'ghij']);
    expect(chunkText('abc', 0, 0)).toEqual(['abc']);
    // An overlap as large as the chunk falls back to a fifth of it; characters, not UTF-16 units.
    expect(chunkText('🙂🙂🙂🙂🙂🙂', 5, 9)).toEqual(['🙂🙂🙂🙂🙂', '🙂🙂']);
    const state = emptyStore();
    expect(op(state, 'memory.ingest', { source: 'runbook', content: 'abcdefghij', chunk_size: 4, overlap: 1 }).output).toEqual({ status: 'ok', source: 'runbook', chunks_stored: 3 });
    expect(op(state, 'memory.list', { prefix: 'runbook/' }).output).toEqual({
      entries: [
        { key: 'runbook/chunk-0000', value: 'abcd' },
        { key: 'runbook/chunk-0001', value: 'defg' },
        { key: 'runbook/chunk-0002', value: 'ghij' },
      ],
      count: 3,
    });
  });
});

describe('bounds and retries', () => {
  it('a write past the store bounds is refused whole, and nothing is evicted', () => {
    const state = emptyStore();
    op(state, 'memory.write', { key: 'a', value: '1' }, { maxEntries: 2 });
    op(state, 'memory.write', { key: 'b', value: '2' }, { maxEntries: 2 });
    const full = op(state, 'memory.write', { key: 'c', value: '3' }, { maxEntries: 2 });
    expect(full.isError).toBe(true);
    expect(String((full.output as { error: string }).error)).toMatch(/^memory\.write: memory is full \(3 entries of at most 2\)/);
    // Replacing an entry adds none.
    expect(op(state, 'memory.write', { key: 'a', value: '11' }, { maxEntries: 2 }).isError).toBe(false);
    expect(op(state, 'memory.ingest', { source: 'doc', content: 'x'.repeat(50), chunk_size: 10, overlap: 0 }, { maxBytes: 60 }).isError).toBe(true);
    expect(op(state, 'memory.list', {}).output).toEqual({ entries: [{ key: 'a', value: '11' }, { key: 'b', value: '2' }], count: 2 });
  });

  it('a retried request is answered from the record, not applied again', () => {
    const state = emptyStore();
    const request: MemoryOperationRequest = { requestId: 'run/1/7', tool: 'memory.write', input: { key: 'k', value: 'first' }, type: 'keyword', maxEntries: 10, maxBytes: 1000 };
    const first = applyMemoryOperation(state, request);
    op(state, 'memory.write', { key: 'k', value: 'second' });
    expect(applyMemoryOperation(state, request)).toEqual(first);
    expect(op(state, 'memory.read', { key: 'k' }).output).toMatchObject({ value: 'second' });
    expect(storeStats(state).writesApplied).toBe(2);
  });
});
