/**
 * `orch run`, `orch result` and `orch worker` against the shared test dev server, each
 * test on a task queue of its own. Runs use the offline mock model, or a local
 * OpenAI-compatible HTTP server when a test needs to see requests or script failures.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { lastUserMessage, startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { fakeCli, orch, singleJson, STACK_FRAME, writeFixtures } from './cli-harness.ts';
import { waitFor } from '../helpers/processes.ts';

const EXAMPLE = 'examples/research-pipeline';
const AGENTS = ['planner', 'researcher', 'writer'];
const TOPIC = 'durable execution for AI agents';

let connection: Connection;
let client: Client;

beforeAll(async () => {
  installQuietRuntime();
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
});
afterAll(async () => connection?.close());

/** Workflows a test left running (a detached run nobody works on) are terminated after it. */
const leftRunning: string[] = [];
afterEach(async () => {
  for (const id of leftRunning.splice(0)) await client.workflow.getHandle(id).terminate('test cleanup').catch(() => {});
});

/** A worker on `taskQueue`, as an operator's `orch worker` elsewhere would be. */
async function startWorker(taskQueue: string): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const worker = await createOrchWorker({ address: temporalAddress(), taskQueue });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

describe('orch run with the in-process worker', () => {
  it('--json prints exactly one JSON object with the outcome, and exits 0', async () => {
    const { code, stdout, stderr } = await orch(['run', EXAMPLE, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const outcome = singleJson(stdout);
    expect(outcome).toMatchObject({ status: 'succeeded', failure: null });
    expect(outcome.workflowId).toMatch(/^research-pipeline-/);
    expect(outcome.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof outcome.output).toBe('string');
    expect(outcome.output).toContain('durable execution');
    expect(outcome.usage.total.totalTokens).toBeGreaterThan(0);
    expect(outcome.usage.total.modelCalls).toBe(3);
    expect(Object.keys(outcome.usage.byAgent)).toEqual(AGENTS);
    expect(outcome.activations.map((a: { agent: string }) => a.agent)).toEqual(AGENTS);
    // No UI configured for a TEMPORAL_ADDRESS cluster: no link rather than a wrong one.
    expect(outcome.webUi).toBeNull();

    const description = await client.workflow.getHandle(outcome.workflowId, outcome.runId).describe();
    expect(description.status.name).toBe('COMPLETED');
  });

  it('without --json (not a TTY): plain progress lines on stderr, output and a usage table on stdout', async () => {
    const { code, stdout, stderr } = await orch(['run', EXAMPLE]);
    expect(code).toBe(0);

    const progress = stderr.split('\n').filter((line) => line !== '');
    for (const line of progress) expect(line).toMatch(/^\[(planner|researcher|writer)\] (running|done|failed)\b/);
    for (const agent of AGENTS) expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^\\[${agent}\\] done · \\d+ tokens$`)));
    expect(stderr).not.toContain('\x1b[');

    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^run research-pipeline-\S+ succeeded$/);
    expect(lines).toContain('Output:');
    expect(stdout).toContain('durable execution');
    expect(lines).toContain('Usage:');
    // Columns: agent, model calls, tool calls, input, output and total tokens (then cost, when priced).
    for (const agent of AGENTS) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${agent}\\s+1\\s+0\\s+\\d+\\s+\\d+\\s+[1-9]\\d*(\\s|$)`)));
    expect(lines).toContainEqual(expect.stringMatching(/^total\s+3\s+0\s+\d+\s+\d+\s+[1-9]\d*(\s|$)/));
    expect(stdout).not.toContain('Web UI:');
  });

  it('on a TTY, progress is a redrawn table with a total row', async () => {
    const { code, stderr } = await orch(['run', EXAMPLE], { isTTY: true });
    expect(code).toBe(0);
    expect(stderr).toContain('\x1b[2K');
    const lastFrame = stderr.split('\x1b[2K').slice(-4).join('');
    expect(lastFrame).toMatch(/^ {2}writer\s+done · \d+ tokens$/m);
    expect(lastFrame).toMatch(/^ {2}total\s+\d+ tokens · 3 model calls$/m);
  });

  it('--input values reach the run input', async () => {
    const { code, stdout } = await orch(['run', EXAMPLE, '--json', '--input', 'topic=durable agents', '--input', 'n=3']);
    expect(code).toBe(0);
    const outcome = singleJson(stdout);
    const planner = outcome.activations[0];
    expect(planner.agent).toBe('planner');
    expect(planner.from).toEqual([]);
    // The example's scripted mock fills in the run's topic: the entry agent's answer quotes it.
    expect(planner.output).toContain('Research plan: durable agents');
    expect(planner.output).not.toContain(TOPIC);

    const history = await client.workflow.getHandle(outcome.workflowId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0]?.data;
    expect(payload).toBeDefined();
    const runInput = JSON.parse(Buffer.from(payload!).toString('utf8'));
    expect(runInput.plan.input).toEqual({ topic: 'durable agents', n: 3 });
  });

  it('--workflow-id sets the workflow id', async () => {
    const workflowId = `cli-chosen-${randomUUID()}`;
    const { code, stdout } = await orch(['run', EXAMPLE, '--json', '--workflow-id', workflowId]);
    expect(code).toBe(0);
    const outcome = singleJson(stdout);
    expect(outcome.workflowId).toBe(workflowId);
    expect(outcome.status).toBe('succeeded');
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.runId).toBe(outcome.runId);
  });

  it('--task-queue overrides ORCH_TASK_QUEUE', async () => {
    const cli = fakeCli();
    const queue = `${cli.taskQueue}-flag`;
    const { code, stdout } = await cli.run(['run', EXAMPLE, '--json', '--task-queue', queue]);
    expect(code).toBe(0);
    const description = await client.workflow.getHandle(singleJson(stdout).workflowId).describe();
    expect(description.taskQueue).toBe(queue);
  });

  it('the run starts eagerly on the in-process worker, which shares the client\'s connection; without one it goes through the queue', async () => {
    const eager = await orch(['run', EXAMPLE, '--json']);
    expect(eager.code).toBe(0);
    const started = async (workflowId: string) => (await client.workflow.getHandle(workflowId).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    expect((await started(singleJson(eager.stdout).workflowId)).eagerExecutionAccepted).toBe(true);

    const cli = fakeCli();
    const worker = await startWorker(cli.taskQueue);
    try {
      const queued = await cli.run(['run', EXAMPLE, '--no-worker', '--json']);
      expect(queued.code).toBe(0);
      expect((await started(singleJson(queued.stdout).workflowId)).eagerExecutionAccepted).toBeFalsy();
    } finally {
      await worker.stop();
    }
  });

  it('manifests that do not compile exit 1 with their diagnostics, and start nothing', async () => {
    const { code, stdout, stderr } = await orch(['run', 'no/such/dir', '--json']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^no\/such\/dir:1:1: error FILE_NOT_FOUND:/m);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('orch run --detach and orch result', () => {
  it('--detach prints the workflow id and runs no worker; result awaits it once a worker runs', async () => {
    const cli = fakeCli();
    const workflowId = `cli-detached-${randomUUID()}`;
    leftRunning.push(workflowId);
    const detached = await cli.run(['run', EXAMPLE, '--detach', '--workflow-id', workflowId]);
    expect(detached.code).toBe(0);
    expect(detached.stdout).toBe(`${workflowId}\n`);

    // Nothing works on the queue: the run is started but no workflow task has completed.
    const handle = client.workflow.getHandle(workflowId);
    const before = await handle.describe();
    expect(before.status.name).toBe('RUNNING');
    expect(before.taskQueue).toBe(cli.taskQueue);
    const history = await handle.fetchHistory();
    expect(history.events?.some((event) => event.workflowTaskCompletedEventAttributes)).toBe(false);

    const worker = await startWorker(cli.taskQueue);
    try {
      const { code, stdout, stderr } = await cli.run(['result', workflowId, '--json']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const outcome = singleJson(stdout);
      expect(outcome).toMatchObject({ workflowId, runId: before.runId, status: 'succeeded', failure: null });
      expect(Object.keys(outcome.usage.byAgent)).toEqual(AGENTS);
      expect(outcome.usage.total.totalTokens).toBeGreaterThan(0);

      // Without --json, the same outcome for people.
      const text = await cli.run(['result', workflowId]);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')[0]).toBe(`run ${workflowId} succeeded`);
      expect(text.stdout).toMatch(/^total\s+3\s/m);
    } finally {
      await worker.stop();
    }
  });

  it('--detach --json prints {workflowId, runId}; result --run-id picks that run', async () => {
    const cli = fakeCli();
    const detached = await cli.run(['run', EXAMPLE, '--detach', '--json']);
    expect(detached.code).toBe(0);
    const started = singleJson(detached.stdout);
    leftRunning.push(started.workflowId);
    expect(Object.keys(started).sort()).toEqual(['runId', 'workflowId']);
    expect(started.workflowId).toMatch(/^research-pipeline-/);

    const worker = await startWorker(cli.taskQueue);
    try {
      const { code, stdout } = await cli.run(['result', started.workflowId, '--run-id', started.runId, '--json']);
      expect(code).toBe(0);
      expect(singleJson(stdout)).toMatchObject({ workflowId: started.workflowId, runId: started.runId, status: 'succeeded' });
    } finally {
      await worker.stop();
    }
  });

  it('--no-worker leaves the run to a worker elsewhere', async () => {
    const cli = fakeCli();
    const worker = await startWorker(cli.taskQueue);
    try {
      const { code, stdout } = await cli.run(['run', EXAMPLE, '--no-worker', '--json']);
      expect(code).toBe(0);
      expect(singleJson(stdout).status).toBe('succeeded');
    } finally {
      await worker.stop();
    }
  });

  it('Ctrl-C stops waiting, not the run: exit 130, and `orch result` picks it up later', async () => {
    const cli = fakeCli();
    const workflowId = `cli-interrupted-${randomUUID()}`;
    // --no-worker and no worker anywhere: the run cannot finish while we wait on it.
    const waiting = cli.run(['run', EXAMPLE, '--no-worker', '--workflow-id', workflowId]);
    await waitFor(() => client.workflow.getHandle(workflowId).describe().then(() => true, () => false), 20_000, `run ${workflowId} to start`);
    // Not in silence: it says nothing polls the queue, and how to serve it.
    await waitFor(() => cli.stderr().includes(`orch: no worker polls task queue "${cli.taskQueue}"; the run waits for one (\`orch worker --task-queue ${cli.taskQueue}\`)`), 10_000, 'the no-worker notice');
    cli.interrupt();
    const interrupted = await waiting;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain(`orch result ${workflowId}`);
    expect(interrupted.stderr).not.toMatch(STACK_FRAME);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');

    const worker = await startWorker(cli.taskQueue);
    try {
      const { code, stdout } = await orch(['result', workflowId, '--json']);
      expect(code).toBe(0);
      expect(singleJson(stdout)).toMatchObject({ workflowId, status: 'succeeded' });
    } finally {
      await worker.stop();
    }
  });

  it('a workflow id that is already running exits 1 with one line, no stack trace', async () => {
    const cli = fakeCli();
    const workflowId = `cli-duplicate-${randomUUID()}`;
    leftRunning.push(workflowId);
    expect((await cli.run(['run', EXAMPLE, '--detach', '--workflow-id', workflowId])).code).toBe(0);
    const { code, stdout, stderr } = await cli.run(['run', EXAMPLE, '--detach', '--workflow-id', workflowId]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^orch: .+\n$/);
    expect(stderr).toContain(workflowId);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('result for an unknown workflow id exits 1 with one line, no stack trace', async () => {
    const workflowId = `cli-no-such-run-${randomUUID()}`;
    const { code, stdout, stderr } = await orch(['result', workflowId, '--json']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^orch: .+\n$/);
    expect(stderr).toContain(workflowId);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('orch worker', () => {
  it('serves runs on its task queue until interrupted, then exits 0', async () => {
    const workerCli = fakeCli();
    const exited = workerCli.run(['worker']);
    await waitFor(() => workerCli.stderr().includes('polling'), 20_000, 'the worker to poll');
    expect(workerCli.stderr()).toContain(`"${workerCli.taskQueue}"`);

    const { code, stdout } = await orch(['run', EXAMPLE, '--no-worker', '--json'], { taskQueue: workerCli.taskQueue });
    expect(code).toBe(0);
    expect(singleJson(stdout).status).toBe('succeeded');

    workerCli.interrupt();
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('an unreachable Temporal exits 1 with one line, no stack trace', async () => {
    const { code, stdout, stderr } = await orch(['worker'], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^orch: .+\n$/);
    expect(stderr).toContain('127.0.0.1:1');
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('--secrets with invalid manifests exits 1 with their diagnostics', async () => {
    const { code, stderr } = await orch(['worker', '--secrets', 'no/such/secrets.yaml']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^no\/such\/secrets\.yaml:1:1: error FILE_NOT_FOUND:/m);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('orch run on an openai-compatible endpoint', () => {
  let server: OpenAICompatibleServer;

  beforeAll(async () => {
    server = await startOpenAICompatibleServer();
  });
  afterAll(async () => server?.close());

  /** One-agent system `solo` on the test server; `auth` adds a secretRef. */
  function manifests(options: { auth?: string } = {}): string {
    const auth = options.auth ? `  auth:\n    secretRef: ${options.auth}\n` : '';
    return writeFixtures({
      'system.yaml': [
        `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: local-llm\nspec:\n  provider: openai-compatible\n  base_url: ${server.url}\n  default_model: local-model\n${auth}`,
        `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: solo\nspec:\n  model_ref: local-llm\n  prompt: You are solo.\n`,
        `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: solo-system\nspec:\n  agents: [solo]\n`,
      ].join('---\n'),
    });
  }

  it('a 401 from the model fails the run: exit 1, status failed, MODEL_AUTH_FAILED on the agent', async () => {
    const dir = manifests();
    const before = server.requests.length;
    server.enqueue({ status: 401 });
    const { code, stdout } = await orch(['run', dir, '--json', '--input', 'question=hi']);
    expect(code).toBe(1);
    const outcome = singleJson(stdout);
    expect(outcome).toMatchObject({ status: 'failed', output: null, failure: { type: 'MODEL_AUTH_FAILED', agent: 'solo' } });
    expect(typeof outcome.failure.message).toBe('string');
    // Not retried: one request.
    expect(server.requests.length - before).toBe(1);
    const description = await client.workflow.getHandle(outcome.workflowId).describe();
    expect(description.status.name).toBe('FAILED');
  });

  it('without --json a failed run exits 1 and says so on stdout', async () => {
    const dir = manifests();
    server.enqueue({ status: 401 });
    const { code, stdout, stderr } = await orch(['run', dir]);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^run solo-system-\S+ failed$/);
    expect(lines[1]).toMatch(/^failure MODEL_AUTH_FAILED: /);
    expect(lines).not.toContain('Output:');
    expect(stderr).toMatch(/^\[solo\] failed\b/m);
  });

  it('orch run works on a queue of its own: an orch worker on the default queue, without the run\'s secret, takes none of its calls', async () => {
    // As an operator's `orch worker` would, on the default queue (`orch`), holding no secrets.
    const bystander = await startWorker('orch');
    try {
      for (let i = 0; i < 3; i++) {
        const key = `sk-private-${randomUUID()}`;
        const before = server.requests.length;
        const { code, stdout } = await orch(['run', manifests({ auth: 'cli-private-key' }), '--json'], {
          env: { ORCH_TASK_QUEUE: undefined, ORCH_SECRET_CLI_PRIVATE_KEY: key, ORCH_SECRET_CLI_PRIVATE_KEY_DESTINATIONS: server.url },
        });
        const outcome = singleJson(stdout);
        expect(outcome.failure).toBeNull();
        expect(code).toBe(0);
        expect(server.requests[before]!.headers.authorization).toBe(`Bearer ${key}`);
        const { taskQueue } = await client.workflow.getHandle(outcome.workflowId).describe();
        expect(taskQueue).toMatch(/^orch-run-[0-9a-f]{8}$/);
      }
    } finally {
      await bystander.stop();
    }
  });

  it('orch worker resolves secretRefs from its environment and from --secrets manifests, and sends each only where it is bound', async () => {
    const secretsDir = writeFixtures({
      'secret.yaml': `apiVersion: orch/v1\nkind: Secret\nmetadata:\n  name: cli-stored-key\nspec:\n  stringData:\n    value: stored-${randomUUID()}\n  destinations: [${server.url}]\n`,
      // An endpoint the worker loaded: the unbound secret it names may go there.
      'endpoint.yaml': `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: declared\nspec:\n  provider: openai-compatible\n  base_url: ${server.url}\n  default_model: local-model\n  auth:\n    secretRef: cli-declared-key\n`,
    });
    const envKey = `sk-env-${randomUUID()}`;
    const declaredKey = `sk-declared-${randomUUID()}`;
    const workerCli = fakeCli({
      env: {
        ORCH_SECRET_CLI_ENV_KEY: envKey,
        ORCH_SECRET_CLI_ENV_KEY_DESTINATIONS: server.url,
        ORCH_SECRET_CLI_DECLARED_KEY: declaredKey,
        ORCH_SECRET_CLI_UNBOUND_KEY: `sk-unbound-${randomUUID()}`,
      },
    });
    const exited = workerCli.run(['worker', '--secrets', secretsDir]);
    await waitFor(() => workerCli.stderr().includes('polling'), 20_000, 'the worker to poll');
    try {
      const before = server.requests.length;
      const refused = await orch(['run', manifests({ auth: 'cli-unbound-key' }), '--no-worker', '--json'], { taskQueue: workerCli.taskQueue });
      expect(refused.code).toBe(1);
      expect(singleJson(refused.stdout).failure).toMatchObject({ type: 'SECRET_DESTINATION_DENIED' });
      expect(server.requests.length).toBe(before);
      for (const [secretRef, expected] of [
        ['cli-env-key', envKey],
        ['cli-stored-key', /^stored-/],
        ['cli-declared-key', declaredKey],
      ] as const) {
        const before = server.requests.length;
        // The run's own process has neither secret: only the worker resolves them.
        const { code, stdout } = await orch(['run', manifests({ auth: secretRef }), '--no-worker', '--json'], { taskQueue: workerCli.taskQueue });
        expect(singleJson(stdout).failure).toBeNull();
        expect(code).toBe(0);
        const authorization = server.requests[before]!.headers.authorization!;
        expect(authorization.replace(/^Bearer /, '')).toMatch(expected);
      }
    } finally {
      workerCli.interrupt();
    }
    expect((await exited).code).toBe(0);
  });

  it('the in-process worker resolves secretRefs from the command environment (ORCH_SECRET_<NAME>)', async () => {
    const dir = manifests({ auth: 'cli-llm-key' });
    const key = `sk-cli-${randomUUID()}`;
    const before = server.requests.length;
    const { code, stdout } = await orch(['run', dir, '--json', '--input', 'question=what is durable execution?'], {
      env: { ORCH_SECRET_CLI_LLM_KEY: key },
    });
    const outcome = singleJson(stdout);
    expect(outcome.failure).toBeNull();
    expect(code).toBe(0);
    const request = server.requests[before]!;
    expect(request.headers.authorization).toBe(`Bearer ${key}`);
    expect(request.body.model).toBe('local-model');
    expect(lastUserMessage(request)).toContain('what is durable execution?');
    expect(outcome.output).toContain('echo: ');
  });
});
