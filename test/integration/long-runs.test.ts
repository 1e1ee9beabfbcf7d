/**
 * Limits on a real server: what a long loop carries through continue-as-new stays flat, and a
 * run that would cross Temporal's payload limit fails at once with a typed failure instead of
 * having its continue-as-new or completion refused (and retried) for ever.
 * `ORCH_LONG_TESTS=1` adds the 7,000-turn loop.
 */
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../../worker/index.ts';
import type { RunResult } from '../../contract/run-io.ts';
import { MAX_ACTIVATION_RECORDS } from '../../workflows/interpreter.ts';
import { agent, planOf, tool } from '../helpers/plan-builder.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';

let harness: Harness;
let stub: RecordingServer;
const BIG = 'x'.repeat(600 * 1024);

beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' }, maxToolOutputBytes: 1024 * 1024 });
  stub = await startRecordingServer({ respond: () => ({ body: BIG }) });
});
afterAll(async () => {
  await harness?.stop();
  await stub?.close();
});

function pingPong(turns: number) {
  return planOf([agent('ping'), agent('pong')], [['ping', 'pong'], ['pong', 'ping']], { maxTurns: turns });
}

/** Bytes of the input each execution of the run handed to the next, in order. */
async function carriedSizes(workflowId: string, firstRunId: string): Promise<number[]> {
  const sizes: number[] = [];
  for (let runId: string | null | undefined = firstRunId; runId; ) {
    const history: History = await harness.client.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const last = history.events!.at(-1)!;
    const continued = last.workflowExecutionContinuedAsNewEventAttributes;
    if (!continued) break;
    sizes.push((continued.input?.payloads ?? []).reduce((sum, payload) => sum + (payload.data?.length ?? 0), 0));
    runId = continued.newExecutionRunId;
  }
  return sizes;
}

async function loop(turns: number, continueAsNewAfterEvents: number | undefined) {
  const started = Date.now();
  const run = await harness.client.start(pingPong(turns), continueAsNewAfterEvents === undefined ? {} : { continueAsNewAfterEvents });
  const result = (await run.handle.result()) as RunResult;
  const elapsed = Date.now() - started;
  // The client's outcome says how many records the result left out, as the result does.
  expect((await run.result()).activationsOmitted).toBe(result.activationsOmitted ?? 0);
  const sizes = await carriedSizes(run.workflowId, run.runId!);
  console.log(`${turns} turns: ${result.executions} executions, ${elapsed} ms; carried bytes per boundary: ${sizes.join(' ')}`);
  return { result, sizes };
}

function expectBoundedRecords(result: RunResult, turns: number): void {
  expect(result.usage.total.modelCalls).toBe(turns);
  expect(result.turnLimitReached).toBe(true);
  // The latest records, in order, the older ones counted.
  expect(result.activations).toHaveLength(MAX_ACTIVATION_RECORDS);
  expect(result.activationsOmitted).toBe(turns - MAX_ACTIVATION_RECORDS);
  expect(result.activations.map((a) => a.turn)).toEqual(Array.from({ length: MAX_ACTIVATION_RECORDS }, (_, i) => turns - MAX_ACTIVATION_RECORDS + i + 1));
  expect(result.activations.at(-1)!.turnLimitReached).toBe(true);
}

describe('limits', () => {
  it('a loop past the record window carries flat state through every continue-as-new', async () => {
    const turns = MAX_ACTIVATION_RECORDS * 2 + 200;
    const { result, sizes } = await loop(turns, 400);
    expectBoundedRecords(result, turns);
    expect(sizes.length).toBeGreaterThan(10);
    expect(sizes).toHaveLength(result.executions - 1);
    // It grows while the window fills, then stops: the last boundaries carry what the middle ones did.
    const firstHalf = sizes.slice(0, Math.floor(sizes.length / 4));
    expect(firstHalf.at(-1)!).toBeGreaterThan(firstHalf[0]!);
    const full = sizes.slice(Math.ceil(sizes.length / 2));
    expect(Math.max(...full) - Math.min(...full)).toBeLessThan(2_048);
    expect(Math.max(...sizes)).toBeLessThan(512 * 1024);
  }, 600_000);

  it.runIf(process.env.ORCH_LONG_TESTS === '1')('a 7,000-turn loop completes', async () => {
    // Continue-as-new when the server suggests it, as a run without the option does.
    const { result, sizes } = await loop(7_000, undefined);
    expectBoundedRecords(result, 7_000);
    expect(Math.max(...sizes)).toBeLessThan(512 * 1024);
  }, 3_600_000);

  // Four leaves, each answering with a 600 KiB tool result: 2.4 MB of final output, over Temporal's 2 MiB.
  const bigTool = () => tool('big', { endpoint: `${stub.url}/big` });
  const leaf = (name: string) => agent(name, { tools: ['default/big'], toolUseBehavior: 'stop_on_first_tool', maxSteps: 2 });

  it('a result over the payload bound fails as RUN_OUTPUT_TOO_LARGE, with its usage', async () => {
    const plan = planOf([leaf('a'), leaf('b'), leaf('c'), leaf('d')], [], { tools: { 'default/big': bigTool() } });
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('failed');
    expect(outcome.failure?.type).toBe('RUN_OUTPUT_TOO_LARGE');
    expect(outcome.usage.total.toolCalls).toBe(4);
    expect(outcome.activations.map((a) => a.agent).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect((await run.handle.describe()).status.name).toBe('FAILED');
    // The failure is gated by a patch marker: the history replays as it ran.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await run.handle.fetchHistory(), run.workflowId);
  }, 60_000);

  it('state over the payload bound at a continue-as-new fails as RUN_STATE_TOO_LARGE', async () => {
    // The fan's big output waits in four successors' inboxes when the run stops to continue as new.
    const plan = planOf([leaf('fan'), agent('w'), agent('x'), agent('y'), agent('z')], [['fan', 'w'], ['fan', 'x'], ['fan', 'y'], ['fan', 'z']], {
      tools: { 'default/big': bigTool() },
    });
    const run = await harness.client.start(plan, { continueAsNewAfterEvents: 8 });
    const outcome = await run.result();
    expect(outcome.status).toBe('failed');
    expect(outcome.failure?.type).toBe('RUN_STATE_TOO_LARGE');
    expect(outcome.usage.total.toolCalls).toBe(1);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await run.handle.fetchHistory(), run.workflowId);
  }, 60_000);
});
