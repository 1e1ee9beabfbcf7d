/**
 * pgvector Memories with `embedding_model`: the `mock` endpoint embeds offline and ranks similar
 * text first; an OpenAI-compatible endpoint embeds through `POST /v1/embeddings` (a real local
 * server), its table takes the model's dimensions, its tokens are recorded, its credential goes
 * only to it; a model of other dimensions is a clear TOOL_CONFIG_INVALID, not mixed vectors; a
 * hostile embeddings answer is a coded failure.
 */
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallMemory } from '../../activities/call-memory.ts';
import { activityRuntime } from '../../activities/deps.ts';
import { memoryEmbedder } from '../../activities/embeddings.ts';
import { pgliteDatabase } from '../../activities/memory-databases.ts';
import { applyPgvectorOperation, initPgvectorSchema } from '../../activities/memory-pgvector.ts';
import type { MemoryCallRequest, MemoryOperationRequest } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName, PlanMemory, PlanModel } from '../../contract/plan.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';

const API_KEY = 'embedding-key-0b8f3e61';
let models: OpenAICompatibleServer;
/** One database per embedder (an embedded PGlite takes seconds to start): 256 dimensions offline, 32 for the server's. */
let offlineDb: Awaited<ReturnType<typeof pgliteDatabase>>;
let modelDb: Awaited<ReturnType<typeof pgliteDatabase>>;
beforeAll(async () => {
  models = await startOpenAICompatibleServer({ embeddingDimensions: 32 });
  [offlineDb, modelDb] = await Promise.all([pgliteDatabase(), pgliteDatabase()]);
  await Promise.all([initPgvectorSchema(offlineDb, null), initPgvectorSchema(modelDb, null)]);
}, 60_000);
afterAll(async () => {
  await models.close();
  await Promise.all([offlineDb?.close(), modelDb?.close()]);
});

function model(overrides: Partial<PlanModel> = {}): PlanModel {
  return {
    id: { namespace: 'team', name: 'embedder' },
    provider: 'openai-compatible',
    baseUrl: models.url,
    model: 'test-embedding-3',
    options: {},
    secretRef: { namespace: 'team', name: 'embedding-key', key: 'value' },
    pricing: null,
    rateLimit: null,
    mock: null,
    ...overrides,
  };
}

function runtimeFor(declared: PlanModel[] = [model()]) {
  return activityRuntime({ env: {}, secrets: { 'team/embedding-key': { value: API_KEY } }, manifests: { models: declared } });
}

let sequence = 0;
function request(tool: MemoryToolName, input: JsonValue): MemoryOperationRequest {
  return { requestId: `r-${++sequence}`, tool, input, type: 'vector', maxEntries: 1000, maxBytes: 1_000_000 };
}

const NOTES: [string, string][] = [
  ['deploy', 'pause the rollout and roll back the checkout release'],
  ['lunch', 'the team orders pizza on fridays'],
  ['vip', 'tell the vip merchants about the checkout outage'],
];

async function seededRanking(embedModel: PlanModel, db: typeof offlineDb) {
  const runtime = runtimeFor();
  try {
    const embedder = memoryEmbedder(runtime, embedModel, undefined);
    for (const [key, value] of NOTES) await applyPgvectorOperation(db, request('memory.write', { key, value }), 'vector', embedder);
    const search = await applyPgvectorOperation(db, request('memory.search', { query: 'roll back the checkout rollout', top_k: 3 }), 'vector', embedder);
    const { rows } = await db.query<{ dimensions: number }>("SELECT atttypmod AS dimensions FROM pg_attribute WHERE attrelid = 'orloj_memory'::regclass AND attname = 'embedding'");
    return { keys: (search.output.results as { key: string }[]).map((r) => r.key), dimensions: rows[0]!.dimensions, tokens: embedder.tokens };
  } finally {
    await runtime.close();
  }
}

describe('embedding_model', () => {
  it('mock embeds offline and deterministically: search ranks the similar entry first', async () => {
    const ranked = await seededRanking(model({ provider: 'mock', baseUrl: null, secretRef: null }), offlineDb);
    expect(ranked.keys).toEqual(['deploy', 'vip', 'lunch']);
    expect(ranked.dimensions).toBe(256);
    expect(ranked.tokens).toBeGreaterThan(0);
  });

  it('an OpenAI-compatible endpoint embeds through POST /v1/embeddings: its dimensions, its ranking, its key only there', async () => {
    models.requests.length = 0;
    const ranked = await seededRanking(model(), modelDb);
    expect(ranked.keys[0]).toBe('deploy');
    expect(ranked.keys.at(-1)).toBe('lunch');
    expect(ranked.dimensions).toBe(32);
    const calls = models.requests.filter((r) => r.path === '/v1/embeddings');
    // Orloj embeds the value on write and the query on search.
    expect(calls.map((r) => r.body.input)).toEqual([...NOTES.map(([, value]) => [value]), ['roll back the checkout rollout']]);
    expect(calls.every((r) => r.body.model === 'test-embedding-3' && r.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
    expect(ranked.tokens).toBeGreaterThan(0);
  });

  it('a key not bound to the endpoint is refused before any request (SECRET_DESTINATION_DENIED)', async () => {
    const runtime = runtimeFor([]);
    const before = models.requests.length;
    try {
      const embedder = memoryEmbedder(runtime, model(), undefined);
      await expect(applyPgvectorOperation(modelDb, request('memory.write', { key: 'k', value: 'v' }), 'vector', embedder)).rejects.toMatchObject({ type: 'SECRET_DESTINATION_DENIED' });
      expect(models.requests.length).toBe(before);
    } finally {
      await runtime.close();
    }
  });

  const hostile: [string, Parameters<OpenAICompatibleServer['enqueueEmbeddings']>[0], string, boolean][] = [
    // Retried, as a malformed model answer is (the catalog's MODEL_RESPONSE_INVALID), within the activity's attempts.
    ['too few vectors', { embeddings: [] }, 'MODEL_RESPONSE_INVALID', false],
    ['a vector of text', { embeddings: [['a', 'b']] }, 'MODEL_RESPONSE_INVALID', false],
    ['an empty vector', { embeddings: [[]] }, 'MODEL_RESPONSE_INVALID', false],
    ['500', { status: 500 }, 'MODEL_UNAVAILABLE', false],
    ['401', { status: 401 }, 'MODEL_AUTH_FAILED', true],
    ['a dropped connection', { drop: true }, 'MODEL_UNAVAILABLE', false],
  ];
  it.each(hostile)('a hostile embeddings answer (%s) is %s', async (_name, reply, type, nonRetryable) => {
    const runtime = runtimeFor();
    models.enqueueEmbeddings(reply);
    try {
      const failure = await applyPgvectorOperation(modelDb, request('memory.search', { query: 'q' }), 'vector', memoryEmbedder(runtime, model(), undefined)).catch((e: unknown) => e);
      expect(failure).toMatchObject({ type, nonRetryable });
      expect(String((failure as Error).message)).not.toContain(API_KEY);
    } finally {
      await runtime.close();
    }
  });

  it('an anthropic endpoint has no embeddings API: MODEL_CONFIG_INVALID', async () => {
    const runtime = activityRuntime({ env: { ANTHROPIC_API_KEY: 'sk-ant-test-key' } });
    const embedder = memoryEmbedder(runtime, model({ provider: 'anthropic', baseUrl: null, secretRef: null }), undefined);
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ type: 'MODEL_CONFIG_INVALID', nonRetryable: true });
    await runtime.close();
  });
});

describe('callMemory on pgvector over pg, with an embedding model', () => {
  it('records the tokens; a model of other dimensions on the same table is TOOL_CONFIG_INVALID, the table untouched', async () => {
    const backing = await pgliteDatabase();
    const server = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await server.start();
    const runtime = runtimeFor();
    const memory: PlanMemory = {
      id: { namespace: 'team', name: 'notes' },
      type: 'vector',
      provider: 'pgvector',
      endpoint: `postgres://postgres@${server.getServerConn()}/postgres`,
      embeddingModel: 'embedder',
      embedding: model(),
      maxEntries: 10,
      maxBytes: 1000,
    };
    const call = (name: MemoryToolName, input: JsonValue, activityId: string) => {
      const req: MemoryCallRequest = { agent: 'scribe', step: 1, memoryKey: 'team/notes', memory, call: { id: 'c', name, input } };
      return new MockActivityEnvironment({ activityId }).run(createCallMemory(runtime), req);
    };
    try {
      const written = await call('memory.write', { key: 'deploy', value: 'roll back the release' }, 'w-1');
      expect(written).toMatchObject({ output: { status: 'ok', key: 'deploy' }, isError: false, usage: { outputTokens: 0 } });
      expect(written.usage!.inputTokens).toBeGreaterThan(0);
      models.setEmbeddingDimensions(16);
      const failure = await call('memory.write', { key: 'other', value: 'something else' }, 'w-2').catch((e: unknown) => e);
      expect(failure).toMatchObject({ type: 'TOOL_CONFIG_INVALID', nonRetryable: true });
      expect(String((failure as Error).message)).toMatch(/32-dimension embeddings.*gives 16/);
      const search = await call('memory.search', { query: 'roll back' }, 's-1').catch((e: unknown) => e);
      expect(search).toMatchObject({ type: 'TOOL_CONFIG_INVALID' });
      const { rows } = await backing.query<{ key: string }>('SELECT key FROM orloj_memory');
      expect(rows.map((r) => r.key)).toEqual(['deploy']);
    } finally {
      models.setEmbeddingDimensions(32);
      await runtime.close();
      await server.stop();
      await backing.close();
    }
  }, 60_000);
});
