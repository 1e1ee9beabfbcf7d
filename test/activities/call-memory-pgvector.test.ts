/**
 * The `callMemory` activity on a `pgvector` Memory: it answers in the tool-result shape, and its
 * failures are classified: an unreachable database is retried (TOOL_UNAVAILABLE, no password in
 * the message), a database that refuses the table is not (TOOL_CONFIG_INVALID), and a Memory
 * whose name would leave the memory home is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, describe, expect, it } from 'vitest';
import { createCallMemory } from '../../activities/call-memory.ts';
import { activityRuntime } from '../../activities/deps.ts';
import { pgliteDatabase } from '../../activities/memory-databases.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName, PlanMemory } from '../../contract/plan.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';

const home = mkdtempSync(path.join(tmpdir(), 'orch-call-memory-'));
const runtime = activityRuntime({ memoryHome: home, env: {} });
const callMemory = createCallMemory(runtime);
afterAll(async () => {
  await runtime.close();
  rmSync(home, { recursive: true, force: true });
});

function memory(overrides: Partial<PlanMemory> = {}): PlanMemory {
  return { id: { namespace: 'team', name: 'notes' }, type: 'keyword', provider: 'pgvector', embeddingModel: null, maxEntries: 10, maxBytes: 1000, ...overrides };
}

function call(plan: PlanMemory, name: MemoryToolName, input: JsonValue, activityId = 'a-1') {
  const request: MemoryCallRequest = { agent: 'scribe', step: 1, memoryKey: `${plan.id.namespace}/${plan.id.name}`, memory: plan, call: { id: 'c', name, input } };
  return new MockActivityEnvironment({ activityId }).run(callMemory, request);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('callMemory on pgvector', () => {
  it('the embedded database answers in the tool-result shape', async () => {
    expect(await call(memory(), 'memory.write', { key: 'k', value: 'v' }, 'w-1')).toMatchObject({ output: { status: 'ok', key: 'k' }, isError: false, truncated: false });
    expect(await call(memory(), 'memory.read', { key: 'k' })).toMatchObject({ output: { found: true, key: 'k', value: 'v' }, isError: false });
    expect(await call(memory(), 'memory.read', { key: ' ' })).toMatchObject({ output: { error: 'memory.read: key is required' }, isError: true });
  }, 60_000);

  it('a name that would leave the memory home is TOOL_CONFIG_INVALID', async () => {
    await expect(call(memory({ id: { namespace: 'team', name: '..' } }), 'memory.list', {})).rejects.toMatchObject({ type: 'TOOL_CONFIG_INVALID', nonRetryable: true });
  });

  it('an unreachable database is TOOL_UNAVAILABLE, retried, and the password is not in the message', async () => {
    const endpoint = `postgres://orch:hunter2-secret@127.0.0.1:${await freePort()}/memory`;
    const failure = await call(memory({ endpoint }), 'memory.list', {}).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
    expect(String((failure as Error).message)).not.toContain('hunter2-secret');
  });

  it('a database whose table has another dimension is TOOL_CONFIG_INVALID, not retried', async () => {
    const backing = await pgliteDatabase();
    await backing.query('CREATE EXTENSION IF NOT EXISTS vector');
    await backing.query('CREATE TABLE orloj_memory (key TEXT PRIMARY KEY, value TEXT NOT NULL, embedding vector(3), created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now())');
    const server = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await server.start();
    try {
      const endpoint = `postgres://postgres@${server.getServerConn()}/postgres`;
      await expect(call(memory({ endpoint }), 'memory.write', { key: 'k', value: 'v' }, 'w-2')).rejects.toMatchObject({ type: 'TOOL_CONFIG_INVALID', nonRetryable: true });
    } finally {
      await runtime.memoryDatabases.close();
      await server.stop();
      await backing.close();
    }
  }, 60_000);
});
