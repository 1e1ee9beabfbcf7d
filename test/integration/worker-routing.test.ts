/**
 * Worker routing on the dev server: workers with different capabilities on one deployment
 * queue, runs with and without Task.requirements, a run nobody serves, a run started on the
 * wrong queue, and max_concurrent_tasks as the slot limit of a worker's queues. Who ran what
 * is read from the workflow history: the task queue of every scheduled call and the
 * identity of the worker that started it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { NoMatchingWorkerError } from '../../client/serving-workers.ts';
import type { Plan } from '../../contract/plan.ts';
import { DEFAULT_CAPABILITIES, type WorkerCapabilities } from '../../contract/routing.ts';
import { WORKFLOW_TYPES } from '../../contract/wire-names.ts';
import { createOrchWorker, orchPlugin } from '../../worker/index.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { activitiesOf } from '../helpers/history.ts';
import { compileOk } from '../helpers/scenario-overrides.ts';
import { compileSchedules } from '../../compiler/index.ts';
import { applySchedule, deleteSchedule, triggerSchedule } from '../../client/schedules.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const TOOL_DELAY_MS = 300;

/** A tool endpoint that answers after a delay and records how many calls it held at once. */
let tool: Server;
let toolUrl: string;
let inFlight = 0;
let maxInFlight = 0;

const address = temporalAddress();
const taskQueue = `test-routing-${randomUUID()}`;
let client: OrchClient;
const workers: { worker: Worker; running: Promise<void> }[] = [];

async function startWorker(identity: string, capabilities: WorkerCapabilities): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await createOrchWorker({
    address,
    taskQueue,
    capabilities,
    env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' },
    workerOptions: { identity },
  });
  const started = { worker, running: worker.run() };
  workers.push(started);
  return started;
}

beforeAll(async () => {
  installQuietRuntime();
  tool = createServer((request, response) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    request.resume();
    setTimeout(() => {
      inFlight--;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    }, TOOL_DELAY_MS);
  });
  await new Promise<void>((resolve) => tool.listen(0, '127.0.0.1', resolve));
  toolUrl = `http://127.0.0.1:${(tool.address() as AddressInfo).port}/tool`;
  await startWorker('gpu-worker', { ...DEFAULT_CAPABILITIES, gpu: true });
  await startWorker('cpu-worker', DEFAULT_CAPABILITIES);
  await startWorker('lab-one-at-a-time', { region: 'lab', gpu: false, supportedModels: [], maxConcurrentTasks: 1 });
  await startWorker('lab2-unbounded', { region: 'lab2', gpu: false, supportedModels: [] });
  client = await OrchClient.connect({ address, taskQueue });
});

afterAll(async () => {
  for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  await Promise.all(workers.map(({ running }) => running));
  await client?.close();
  await new Promise((resolve) => tool?.close(resolve));
});

/** A one-agent system whose model asks for three tool calls at once, under a Task with `requirements`. */
async function planWith(requirements: string): Promise<Plan> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-routing-'));
  const file = join(dir, 'system.yaml');
  writeFileSync(
    file,
    `apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec:
  provider: mock
  mock:
    responses:
      a: [{ tool_calls: [{ tool: probe, input: { n: 1 } }, { tool: probe, input: { n: 2 } }, { tool: probe, input: { n: 3 } }] }]
---
apiVersion: orch/v1
kind: Tool
metadata: { name: probe }
spec: { type: http, endpoint: "${toolUrl}" }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m, tools: [probe] }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: t }
spec:
  system: s
${requirements}`
  );
  return compileOk([file], { task: 't' });
}

type History = temporal.api.history.v1.IHistory;

/** The identities of the workers that took the run's workflow tasks. */
function workflowTaskIdentities(history: History): Set<string> {
  const started = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
  return new Set((history.events ?? []).filter((e) => e.eventType === started).map((e) => e.workflowTaskStartedEventAttributes?.identity ?? ''));
}

describe('routing runs to workers by Task.requirements', () => {
  it('a run requiring gpu: every model and tool call on its route queue, started by the GPU worker only', async () => {
    const plan = await planWith('  requirements: { gpu: true }\n');
    const run = await client.start(plan);
    expect((await run.result()).status).toBe('succeeded');
    const history = await run.handle.fetchHistory();
    const calls = activitiesOf(history);
    expect(calls.map((c) => c.type).sort()).toEqual(['callModel', 'callModel', 'callTool', 'callTool', 'callTool']);
    for (const call of calls) expect([call.type, call.taskQueue, call.identity]).toEqual([call.type, `${taskQueue}/route/gpu=true`, 'gpu-worker']);
    expect(workflowTaskIdentities(history)).toEqual(new Set(['gpu-worker']));
    expect((await run.handle.describe()).taskQueue).toBe(`${taskQueue}/route/gpu=true`);
    // The routed history replays against the workflow code (the route check included).
    await Worker.runReplayHistory({ plugins: [orchPlugin()] }, history, run.workflowId);
  });

  it('a run without requirements (gpu: false asks for nothing) schedules on the deployment queue, as before, for any worker', async () => {
    for (const requirements of ['', '  requirements: { gpu: false }\n']) {
      const run = await client.start(await planWith(requirements));
      expect((await run.result()).status).toBe('succeeded');
      const calls = activitiesOf(await run.handle.fetchHistory());
      expect(new Set(calls.map((c) => c.taskQueue))).toEqual(new Set([taskQueue]));
      for (const call of calls) expect(['gpu-worker', 'cpu-worker', 'lab-one-at-a-time', 'lab2-unbounded']).toContain(call.identity);
    }
  });

  it('a run whose requirements no worker serves is refused at start with NO_MATCHING_WORKER, and nothing is started', async () => {
    const plan = await planWith('  requirements: { region: mars, gpu: true }\n');
    const workflowId = `unserved-${randomUUID()}`;
    const refused = await client.start(plan, { workflowId, workerGraceMs: 300 }).catch((error: unknown) => error);
    expect(NoMatchingWorkerError.is(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'NO_MATCHING_WORKER', taskQueue: `${taskQueue}/route/region=mars,gpu=true` });
    await expect(client.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });

  it('with requireWorker false it waits on its queue, saying what it needs, and runs once a matching worker polls', async () => {
    const plan = await planWith('  requirements: { region: Mars }\n');
    const run = await client.start(plan, { requireWorker: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await run.handle.describe();
    expect(waiting.status.name).toBe('RUNNING');
    expect(await waiting.staticDetails()).toContain('Requires a worker with region=Mars');
    const { worker } = await startWorker('mars-worker', { region: 'mars', gpu: false, supportedModels: [] });
    expect((await run.result()).status).toBe('succeeded');
    expect(new Set(activitiesOf(await run.handle.fetchHistory()).map((c) => c.identity))).toEqual(new Set(['mars-worker']));
    worker.shutdown();
  });

  it('a plan with requirements started on the deployment queue (by another client) has its calls refused: ROUTE_MISMATCH, no tool reached', async () => {
    const plan = await planWith('  requirements: { gpu: true }\n');
    inFlight = 0;
    maxInFlight = 0;
    const handle = await client.client.workflow.start(WORKFLOW_TYPES.run, { taskQueue, workflowId: `misrouted-${randomUUID()}`, args: [{ plan }] });
    const failure = await handle.result().catch((error: unknown) => error as { cause?: { type?: string } });
    expect(failure).toMatchObject({ cause: { type: 'ROUTE_MISMATCH' } });
    const calls = activitiesOf(await handle.fetchHistory());
    expect(calls.map((c) => [c.type, c.completed, c.taskQueue])).toEqual([['callModel', false, taskQueue]]);
    expect(maxInFlight).toBe(0);
  });
});

/** Manifests in a fresh directory. */
function writeDir(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-routing-'));
  writeFileSync(join(dir, 'manifests.yaml'), text);
  return dir;
}

describe('what routed runs share, and how they start', () => {
  it('a TaskSchedule of a Task with requirements starts its runs on the route, where the GPU worker runs them', async () => {
    const name = `gpu-nightly-${randomUUID().slice(0, 8)}`;
    const dir = writeDir(`apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: tmpl }
spec: { system: s, mode: template, requirements: { gpu: true } }
---
apiVersion: orch/v1
kind: TaskSchedule
metadata: { name: ${name} }
spec: { task_ref: tmpl, schedule: "0 0 1 1 *" }
`);
    const { schedules } = await compileSchedules([dir]);
    expect(schedules).toHaveLength(1);
    await applySchedule(client, schedules![0]!);
    try {
      const { workflowId } = await triggerSchedule(client, name);
      const handle = client.client.workflow.getHandle(workflowId!);
      await handle.result();
      expect((await handle.describe()).taskQueue).toBe(`${taskQueue}/route/gpu=true`);
      expect(new Set(activitiesOf(await handle.fetchHistory()).map((c) => c.identity))).toEqual(new Set(['gpu-worker']));
    } finally {
      await deleteSchedule(client, name);
    }
  });

  it("a delegate's child run stays on the route, and so do its calls", async () => {
    const dir = writeDir(`apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec:
  provider: mock
  mock: { responses: { boss: [{ tool_calls: [{ tool: delegate--helper, input: { task: look it up } }] }] } }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: boss }
spec: { model_ref: m }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: helper }
spec: { model_ref: m }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec:
  agents: [boss, helper]
  graph: { boss: { delegates: [helper] } }
---
apiVersion: orch/v1
kind: Task
metadata: { name: t }
spec: { system: s, requirements: { gpu: true } }
`);
    const run = await client.start(await compileOk([dir], { task: 't' }));
    expect((await run.result()).status).toBe('succeeded');
    const initiated = (await run.handle.fetchHistory()).events!.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)!;
    const child = client.client.workflow.getHandle(initiated.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
    expect((await child.describe()).taskQueue).toBe(`${taskQueue}/route/gpu=true`);
    const calls = activitiesOf(await child.fetchHistory());
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect([call.taskQueue, call.identity]).toEqual([`${taskQueue}/route/gpu=true`, 'gpu-worker']);
  });

  it("a rate-limited model's calls go to its queue under the route, served by the worker running the run", async () => {
    const dir = writeDir(`apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: limited }
spec: { provider: mock, rate_limit: { requests_per_second: 50 } }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: limited }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: t }
spec: { system: s, requirements: { gpu: true } }
`);
    const run = await client.start(await compileOk([dir], { task: 't' }));
    expect((await run.result()).status).toBe('succeeded');
    const calls = activitiesOf(await run.handle.fetchHistory());
    expect(calls.map((c) => [c.type, c.taskQueue, c.identity])).toEqual([['callModel', `${taskQueue}/route/gpu=true/model/default/limited`, 'gpu-worker']]);
  });

  it("a Memory is one store for the deployment: what a routed run writes, a run without requirements reads", async () => {
    const key = `routed-${randomUUID()}`;
    const manifests = (agentSteps: string, requirements: string) => `apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec:
  provider: mock
  mock: { responses: { a: [${agentSteps}] } }
---
apiVersion: orch/v1
kind: Memory
metadata: { name: notes }
spec: { type: kv }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m, memory: { ref: notes, allow: [read, write] } }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: t }
spec:
  system: s
${requirements}`;
    const writer = await compileOk([writeDir(manifests(`{ tool_calls: [{ tool: memory.write, input: { key: "${key}", value: written-on-the-gpu-route } }] }`, '  requirements: { gpu: true }\n'))], { task: 't' });
    const wrote = await client.start(writer);
    expect((await wrote.result()).status).toBe('succeeded');
    expect(new Set(activitiesOf(await wrote.handle.fetchHistory()).map((c) => c.taskQueue))).toEqual(new Set([`${taskQueue}/route/gpu=true`]));
    const reader = await compileOk([writeDir(manifests(`{ tool_calls: [{ tool: memory.read, input: { key: "${key}" } }] }`, ''))], { task: 't' });
    const read = await client.start(reader);
    const outcome = await read.result();
    expect(outcome.status).toBe('succeeded');
    const memoryCall = activitiesOf(await read.handle.fetchHistory()).find((c) => c.type === 'callMemory')!;
    expect(memoryCall.taskQueue).toBe(taskQueue);
    expect(JSON.stringify(memoryCall.result)).toContain('written-on-the-gpu-route');
  });
});

describe('the programmatic API', () => {
  it("orchPlugin({ capabilities }) on a worker of one's own serves the routes those satisfy", async () => {
    const connection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection,
      taskQueue,
      identity: 'plugin-worker',
      plugins: [orchPlugin({ capabilities: { region: 'plugin-land', gpu: false, supportedModels: [] }, env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } })],
    });
    const running = worker.run();
    try {
      const run = await client.start(await planWith('  requirements: { region: plugin-land }\n'));
      expect((await run.result()).status).toBe('succeeded');
      // The tool calls ran (the worker's own network settings), not just were scheduled.
      expect(activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callTool').map((c) => c.result?.isError)).toEqual([false, false, false]);
      expect(new Set(activitiesOf(await run.handle.fetchHistory()).map((c) => [c.taskQueue, c.identity].join(' ')))).toEqual(
        new Set([`${taskQueue}/route/region=plugin-land plugin-worker`])
      );
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }
  });

  it('a worker with capabilities shut down the moment it runs stops cleanly, its route workers and connection with it', async () => {
    const worker = await createOrchWorker({ address, taskQueue: `quick-${randomUUID()}`, capabilities: { region: 'eu', gpu: true, supportedModels: ['m'] } });
    const running = worker.run();
    worker.shutdown();
    await expect(running).resolves.toBeUndefined();
  });

  it('a worker with capabilities refuses a task queue that holds the route separator', async () => {
    await expect(createOrchWorker({ address, taskQueue: 'a/route/b', capabilities: DEFAULT_CAPABILITIES })).rejects.toThrow(/names routes/);
  });
});

describe('max_concurrent_tasks: the calls a worker runs at once on each of its queues', () => {
  it('bounded to 1, the three parallel tool calls of one turn run one after the other; unbounded, together', async () => {
    maxInFlight = 0;
    const bounded = await client.start(await planWith('  requirements: { region: lab }\n'));
    expect((await bounded.result()).status).toBe('succeeded');
    expect(maxInFlight).toBe(1);
    expect(new Set(activitiesOf(await bounded.handle.fetchHistory()).map((c) => c.identity))).toEqual(new Set(['lab-one-at-a-time']));

    maxInFlight = 0;
    const unbounded = await client.start(await planWith('  requirements: { region: lab2 }\n'));
    expect((await unbounded.result()).status).toBe('succeeded');
    expect(maxInFlight).toBe(3);
  });
});
