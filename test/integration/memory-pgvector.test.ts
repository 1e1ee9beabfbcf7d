/**
 * The `pgvector` Memory provider end to end on the real dev server: one run writes and a later
 * run recalls, on the embedded PGlite under the worker's memory home; and, with `pg` over a
 * socket to a real PostgreSQL wire server, a worker SIGKILLed after the database committed a
 * write but before the worker heard of it: the retried call on another worker is answered
 * from the record, and the write is applied once; and a Memory whose password is a Secret and
 * whose embedding model is a mock endpoint: nothing of the password in history.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase } from '../../activities/memory-databases.ts';
import { compile } from '../../compiler/index.ts';
import { createOrchWorker, workflowBundle } from '../../worker/index.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';

const home = mkdtempSync(join(tmpdir(), 'orch-pgvector-home-'));
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ memoryHome: home });
});
afterAll(async () => {
  await harness?.stop();
  rmSync(home, { recursive: true, force: true });
});

function manifests(memory: string, responses: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-pgvector-'));
  writeFileSync(
    join(dir, 'system.yaml'),
    [
      `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: scripted\nspec:\n  provider: mock\n  mock:\n    responses:\n      scribe:\n${responses}`,
      `apiVersion: orch/v1\nkind: Memory\nmetadata:\n  name: notes\nspec:\n  provider: pgvector\n  type: vector\n${memory}`,
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: scribe\nspec:\n  model_ref: scripted\n  prompt: note it\n  memory:\n    ref: notes\n    allow: [read, write, search, ingest]\n`,
      `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: pgvector-memory\nspec:\n  agents: [scribe]\n`,
    ].join('---\n')
  );
  return dir;
}

async function planOf(dir: string) {
  const { plan, diagnostics } = await compile([dir]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return plan!;
}

const memoryResults = (history: Parameters<typeof activitiesOf>[0]) =>
  activitiesOf(history)
    .filter((c) => c.type === 'callMemory')
    .map((c) => [(c.input as { call: { name: string } }).call.name, (c.result as { output: unknown }).output]);

describe('embedded pgvector', () => {
  it('one run writes and ingests; a later run searches and reads what it stored, from $memoryHome/<namespace>/<name>', async () => {
    const seed = await planOf(
      manifests(
        '',
        [
          '        - tool_calls: [{tool: memory.write, input: {key: runbook/primary_action, value: pause the rollout and roll back the release}}]',
          '        - tool_calls: [{tool: memory.ingest, input: {source: runbook, content: "When checkout returns HTTP 503 after a deploy, pause the rollout first."}}]',
          '        - text: seeded',
          '',
        ].join('\n')
      )
    );
    const seeded = await harness.client.start(seed);
    expect((await seeded.result()).status).toBe('succeeded');
    expect(existsSync(join(home, 'default', 'notes'))).toBe(true);

    const recall = await planOf(
      manifests(
        '',
        [
          '        - tool_calls: [{tool: memory.search, input: {query: first action when checkout returns 503 after a deploy, top_k: 2}}]',
          '        - tool_calls: [{tool: memory.read, input: {key: runbook/primary_action}}]',
          '        - text: recalled',
          '',
        ].join('\n')
      )
    );
    const recalled = await harness.client.start(recall);
    const outcome = await recalled.result();
    expect(outcome.status).toBe('succeeded');
    const history = await recalled.handle.fetchHistory();
    const [search, read] = memoryResults(history);
    expect(search![0]).toBe('memory.search');
    expect((search![1] as { results: { key: string }[] }).results.map((r) => r.key)).toEqual(['runbook/chunk-0000', 'runbook/primary_action']);
    expect(read).toEqual(['memory.read', { found: true, key: 'runbook/primary_action', value: 'pause the rollout and roll back the release' }]);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, recalled.workflowId);
  }, 90_000);
});

/**
 * A TCP relay to the database that, once, withholds the server's answer to COMMIT and calls
 * `onCommit`; it counts the entry upserts clients send (each attempt's statements pass here).
 */
function commitTrap(target: number, onCommit: () => void): Promise<{ server: Server; port: number; upserts: () => number }> {
  let sprung = false;
  let upserts = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect(target, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('INSERT INTO orloj_memory')) upserts++;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // CommandComplete carries the tag `COMMIT\0`: the transaction is durable, the client not yet told.
      if (!sprung && chunk.includes('COMMIT\0')) {
        sprung = true;
        onCommit();
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, upserts: () => upserts })));
}



describe('pgvector over pg: crash safety', () => {
  it('a worker killed after the database committed memory.write, before it heard so: the retry on another worker is answered from the record, applied once', async () => {
    const backing = await pgliteDatabase();
    const database = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await database.start();
    let first: ChildProcess | undefined;
    let killed = false;
    const trap = await commitTrap(Number(database.getServerConn().split(':').at(-1)), () => {
      killed = true;
      first!.kill('SIGKILL');
    });
    try {
      const url = `postgres://postgres@127.0.0.1:${trap.port}/postgres`;
      const plan = await planOf(
        manifests(`  endpoint: ${url}\n`, '        - tool_calls: [{tool: memory.write, input: {key: decision, value: roll back}}]\n        - text: stored\n')
      );
      const taskQueue = `pgvector-crash-${randomUUID()}`;
      first = await startWorkerProcess(taskQueue, { ORCH_HOME: home });
      const run = await harness.client.start(plan, { taskQueue });
      const second = await createOrchWorker({ address: temporalAddress(), taskQueue, memoryHome: home });
      const { outcome, history } = await second.runUntil(async () => {
        const outcome = await run.result();
        return { outcome, history: await run.handle.fetchHistory() };
      });
      expect(killed).toBe(true);
      expect(outcome.status).toBe('succeeded');
      const calls = activitiesOf(history).filter((c) => c.type === 'callMemory');
      expect(calls).toHaveLength(1);
      // The attempt that completed is a retry: the first worker died inside the call.
      expect(calls[0]!.attempt).toBeGreaterThan(1);
      expect((calls[0]!.result as { output: unknown }).output).toEqual({ status: 'ok', key: 'decision' });
      const requests = await backing.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_memory_requests');
      expect(requests.rows[0]!.n).toBe(1);
      const rows = await backing.query<{ key: string; value: string }>('SELECT key, value FROM orloj_memory');
      expect(rows.rows).toEqual([{ key: 'decision', value: 'roll back' }]);
      // The retry found the committed claim and sent no second upsert.
      expect(trap.upserts()).toBe(1);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, run.workflowId);
    } finally {
      trap.server.close();
      await database.stop();
      await backing.close();
    }
  }, 120_000);
});

describe('pgvector over pg with a Secret password and an embedding model', () => {
  it("an embedding model's tokens are reserved before the memory call: a write that could take the run past max_tokens_per_run is not made", async () => {
    const big = 'rollback '.repeat(400).trim();
    const dir = manifests(
      '  embedding_model: scripted\n',
      [
        '        - tool_calls: [{tool: memory.write, input: {key: small, value: roll back}}]',
        `        - tool_calls: [{tool: memory.write, input: {key: big, value: "${big}"}}]`,
        '        - text: done',
        '',
      ].join('\n')
    );
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: orch/v1\nkind: AgentPolicy\nmetadata:\n  name: cap\nspec:\n  apply_mode: global\n  max_tokens_per_run: 3000\n');
    const run = await harness.client.start(await planOf(dir));
    const outcome = await run.result();
    // The big value embeds at most its 3,599 bytes (+ 8): with what the run used, past 3,000.
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'BUDGET_EXCEEDED', agent: 'scribe' } });
    expect(outcome.failure?.message).toMatch(/memory call's embeddings \(at most 3607 tokens\)/);
    const writes = activitiesOf(await run.handle.fetchHistory())
      .filter((c) => c.type === 'callMemory')
      .map((c) => (c.input as { call: { input: { key: string } } }).call.input.key);
    // The small write ran (and its tokens were charged); the big one was never scheduled.
    expect(writes).toEqual(['small']);
    expect(outcome.usage.total.totalTokens).toBeLessThanOrEqual(3000);
  });

  it('the password comes from the Secret inside the activity, never in history; the mock model embeds and its tokens are recorded', async () => {
    const PASSWORD = 'pg-run-secret-5b2d8e';
    const backing = await pgliteDatabase();
    const database = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await database.start();
    const dir = manifests(
      `  endpoint: postgres://postgres@${database.getServerConn()}/postgres\n  embedding_model: scripted\n  auth:\n    secretRef: pg-password\n`,
      [
        '        - tool_calls: [{tool: memory.write, input: {key: runbook/rollback, value: pause the rollout and roll back the release}}]',
        '        - tool_calls: [{tool: memory.write, input: {key: lunch, value: pizza on fridays}}]',
        '        - tool_calls: [{tool: memory.search, input: {query: roll back the release, top_k: 2}}]',
        '        - text: done',
        '',
      ].join('\n')
    );
    writeFileSync(join(dir, 'secret.yaml'), `apiVersion: orch/v1\nkind: Secret\nmetadata:\n  name: pg-password\nspec:\n  stringData:\n    value: ${PASSWORD}\n`);
    const loaded = await compile([dir]);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const own = await startHarness({ memoryHome: home, secrets: loaded.secrets, manifests: loaded.manifests });
    try {
      const run = await own.client.start(loaded.plan!);
      const outcome = await run.result();
      expect(outcome.status).toBe('succeeded');
      const history = await run.handle.fetchHistory();
      const calls = activitiesOf(history).filter((c) => c.type === 'callMemory');
      expect(calls.map((c) => (c.result as { output: { results?: { key: string }[] } }).output.results?.map((r) => r.key) ?? null)).toEqual([
        null,
        null,
        // Only related entries rank (a score above 0): lunch shares no word with the query.
        ['runbook/rollback'],
      ]);
      for (const call of calls) expect((call.result as { usage?: { inputTokens: number } }).usage?.inputTokens).toBeGreaterThan(0);
      // The embedding tokens are the run's: its usage is the model calls' plus the memory calls'.
      const tokens = (type: string) =>
        activitiesOf(history)
          .filter((c) => c.type === type)
          .reduce((sum, c) => sum + ((c.result as { usage?: { inputTokens: number } }).usage?.inputTokens ?? 0), 0);
      expect(outcome.usage.total.inputTokens).toBe(tokens('callModel') + tokens('callMemory'));
      expect(outcome.usage.total.modelCalls).toBe(4);
      expect(historyText(history)).not.toContain(PASSWORD);
      const { rows } = await backing.query<{ dimensions: number }>("SELECT atttypmod AS dimensions FROM pg_attribute WHERE attrelid = 'orloj_memory'::regclass AND attname = 'embedding'");
      expect(rows[0]!.dimensions).toBe(256);
    } finally {
      await own.stop();
      await database.stop();
      await backing.close();
    }
  }, 120_000);
});
