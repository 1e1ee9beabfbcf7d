/**
 * A long agent's history grows linearly: 200 steps, each a tool call returning 60 KB, on the
 * real dev server with `orch worker` processes sharing one claim-check store. The large results
 * and the transcript live in the store; history holds references and each model call's delta.
 * The first worker is killed mid-run and the second finishes it without repeating a completed
 * call; the history replays; `orch audit` and `orch result` work on the run; a blob tampered with mid-run ends a run
 * with STORED_PAYLOAD_CORRUPT, never a wrong transcript.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { workflowBundle } from '../../worker/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { orch, singleJson } from '../cli/cli-harness.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { agent, MOCK_MODEL, planOf, tool } from '../helpers/plan-builder.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { pollFor, startWorkerProcess } from '../helpers/worker-process.ts';

const STEPS = 200;
const PAGE_BYTES = 60_000;

let stub: RecordingServer;
let blobDir: string;
/** Requests to `/held` wait until the test releases them. */
let releaseHeld: () => void = () => {};
let held = new Promise<void>((resolve) => (releaseHeld = resolve));

beforeAll(async () => {
  blobDir = mkdtempSync(path.join(tmpdir(), 'orch-linear-'));
  stub = await startRecordingServer({
    respond: async (request) => {
      if (request.path === '/held') await held;
      const page = Number((request.json as { page?: number } | undefined)?.page ?? 0);
      // Every page different, so every result is a blob of its own.
      return { body: { page, text: `page ${page} `.padEnd(PAGE_BYTES, 'abcdefghij') } };
    },
  });
});
afterAll(async () => {
  releaseHeld();
  await stub?.close();
  rmSync(blobDir, { recursive: true, force: true });
});

function fetchingPlan(steps: number, extra: { held?: boolean; firstPage?: number } = {}): Plan {
  const fetch = tool('fetch', {
    endpoint: `${stub.url}/page`,
    inputSchema: { type: 'object', properties: { page: { type: 'integer' } }, required: ['page'] },
    // A call in flight when its worker dies is retried on another (same Idempotency-Key).
    retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 1_000, jitter: 'none' },
  });
  const slow = tool('slow', { endpoint: `${stub.url}/held`, inputSchema: fetch.inputSchema });
  const responses = Array.from({ length: steps }, (_, i) => ({
    toolCalls: [{ tool: 'fetch', input: { page: i + (extra.firstPage ?? 1) } }, ...(extra.held && i === 0 ? [{ tool: 'slow', input: { page: 0 } }] : [])],
  }));
  return planOf([agent('reader', { tools: extra.held ? ['default/fetch', 'default/slow'] : ['default/fetch'], maxSteps: steps + 1 })], [], {
    models: { 'default/mock': { ...MOCK_MODEL, mock: { latencyMs: 0, responses: { reader: responses } } } },
    tools: { 'default/fetch': fetch, 'default/slow': slow },
  });
}

/** Bytes of each history event as the server stores it, in order. */
function eventSizes(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? []).map((event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length);
}

describe('a 200-step agent with 60 KB tool results', () => {
  it('completes across a worker crash with a history linear in its steps, and audit and result work on it', { timeout: 180_000 }, async () => {
    const taskQueue = `linear-${randomUUID()}`;
    const env = { ORCH_TOOLS_ALLOW_LOOPBACK: 'true', ORCH_BLOB_STORE: blobDir };
    const first = await startWorkerProcess(taskQueue, env);
    const client = await OrchClient.connect({ address: temporalAddress(), taskQueue });
    try {
      const plan = fetchingPlan(STEPS);
      const run = await client.start(plan);
      // Kill the first worker a third of the way through; the second one finishes the run.
      await pollFor(async () => (stub.requests.filter((r) => r.path === '/page').length >= Math.round(STEPS / 3) ? true : undefined), 90_000);
      first.kill('SIGKILL');
      await startWorkerProcess(taskQueue, env);
      const outcome = await run.result();
      expect(outcome.status).toBe('succeeded');
      // The default mock answers with the start of the last tool output it was given: the stored one, resolved.
      expect(JSON.stringify(outcome.output)).toContain(`page ${STEPS} abcdefghij`);

      const history = await run.handle.fetchHistory();
      // The run replays: deltas and references are decided from history alone.
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
      const calls = activitiesOf(history);
      // One activity per call: nothing completed was scheduled again after the crash.
      expect(calls.filter((c) => c.type === 'callModel')).toHaveLength(STEPS + 1);
      const toolCalls = calls.filter((c) => c.type === 'callTool');
      expect(toolCalls).toHaveLength(STEPS);
      expect(toolCalls.every((c) => c.completed && c.result.stored?.bytes > PAGE_BYTES)).toBe(true);
      // Each page was fetched once; only a call in flight at the kill may have been sent again, with its key.
      const byPage = new Map<number, string[]>();
      for (const request of stub.requests.filter((r) => r.path === '/page')) {
        const page = (request.json as { page: number }).page;
        byPage.set(page, [...(byPage.get(page) ?? []), String(request.headers['idempotency-key'])]);
      }
      expect([...byPage.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      const repeated = [...byPage.values()].filter((keys) => keys.length > 1);
      expect(repeated.length).toBeLessThanOrEqual(1);
      for (const keys of repeated) expect(new Set(keys).size).toBe(1);
      // Model calls past the first few carry only their delta: an assistant turn and its tool result.
      const modelInputs = calls.filter((c) => c.type === 'callModel').map((c) => c.input);
      expect(modelInputs.slice(2).every((input) => input.transcript && input.messages.length === 2)).toBe(true);

      // Linear: the history after 200 steps is about twice that after 100, and far below the limits.
      const sizes = eventSizes(history);
      const total = sizes.reduce((sum, size) => sum + size, 0);
      const hundredth = toolCalls[STEPS / 2 - 1]!.scheduledEventId;
      const half = sizes.slice(0, hundredth).reduce((sum, size) => sum + size, 0);
      expect(total / half).toBeLessThan(2.2);
      // The mock's script (200 replies, ~9 KB) rides in every model call's endpoint config: a test
      // artifact, a real endpoint's config is a few hundred bytes. Without it, and with it.
      const script = JSON.stringify(plan.models['default/mock']!.mock).length * (STEPS + 1);
      expect(total - script).toBeLessThan(1.5 * 1024 * 1024);
      expect(total).toBeLessThan(4 * 1024 * 1024);
      expect(Math.max(...sizes)).toBeLessThan(16 * 1024);
      const described = await run.handle.describe();
      if (described.historySize !== undefined) expect(described.historySize).toBeLessThan(4 * 1024 * 1024);
      // Whether steps slow down as the run grows (reported, not asserted: timings are noisy here).
      const starts = calls.filter((c) => c.type === 'callModel').map((c) => c.startedAt ?? 0);
      const medianStep = (from: number, to: number) => starts.slice(from, to).map((t, i) => starts[from + i + 1]! - t).sort((a, b) => a - b)[Math.floor((to - from) / 2)];
      console.log(`ms per step, median: steps 11-40 ${Math.round(medianStep(10, 40)!)}, steps 161-190 ${Math.round(medianStep(160, 190)!)}`);
      console.log(`linear history: ${STEPS} steps, ${sizes.length} events, ${total} bytes (${total - script} without the mock's script; ${half} after ${STEPS / 2} steps, ratio ${(total / half).toFixed(3)}), server historySize ${described.historySize}`);

      const cli = { env: { TEMPORAL_ADDRESS: temporalAddress() }, taskQueue };
      const audit = await orch(['audit', run.workflowId, '--format', 'jsonl'], cli);
      expect(audit.code).toBe(0);
      const events = audit.stdout.trim().split('\n').map((line) => JSON.parse(line));
      expect(events.filter((e) => e.kind === 'model.call')).toHaveLength(STEPS + 1);
      const audited = events.filter((e) => e.kind === 'tool.call');
      expect(audited).toHaveLength(STEPS);
      expect(audited.every((e) => e.outcome === 'succeeded' && /^[0-9a-f]{64}$/.test(e.storedOutput?.sha256) && e.storedOutput.bytes > PAGE_BYTES)).toBe(true);
      const result = await orch(['result', run.workflowId, '--json'], cli);
      expect(result.code).toBe(0);
      expect(singleJson(result.stdout)).toMatchObject({ status: 'succeeded' });
      expect(result.stdout).toContain(`page ${STEPS} abcdefghij`);

      // A blob changed after it was written (pages of their own: the worker has read none of them): the next
    // model call fails with a code, and so does the run.
      const tampered = await client.start(fetchingPlan(2, { held: true, firstPage: 1001 }));
      const stored = await pollFor(async () => {
        const done = activitiesOf(await tampered.handle.fetchHistory()).find((c) => c.type === 'callTool' && c.completed);
        return done?.result.stored as { sha256: string } | undefined;
      }, 30_000);
      writeFileSync(path.join(blobDir, stored.sha256.slice(0, 2), stored.sha256), JSON.stringify({ page: 1001, text: 'forged' }));
      releaseHeld();
      const failed = await tampered.result();
      expect(failed.status).toBe('failed');
      expect(JSON.stringify(failed)).toContain('STORED_PAYLOAD_CORRUPT');
    } finally {
      await client.close();
    }
  });
});
