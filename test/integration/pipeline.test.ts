/**
 * The pipeline end to end on a real Temporal dev server: with the offline mock model, and
 * with an openai-compatible endpoint served by a local HTTP server this test runs.
 * Assertions read the workflow history, as an operator would in the Web UI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { compile } from '../../compiler/index.ts';
import { compileOk } from '../helpers/scenario-overrides.ts';
import { orchPlugin } from '../../worker/index.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { lastUserMessage, startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';

const API_KEY = 'sk-local-9f8e7d6c5b4a-never-in-history';
const STORED_SECRET = 'stored-secret-from-a-manifest-5150';
let harness: Harness;
// Read by the worker at call time: the bindings below are set once the model server listens.
const workerEnv: NodeJS.ProcessEnv = { ...process.env, ORCH_SECRET_LOCAL_LLM_KEY: API_KEY };

beforeAll(async () => {
  // The worker resolves secrets from its environment and from Secret manifests, never from the plan.
  harness = await startHarness({
    env: workerEnv,
    secrets: { 'default/stored-llm-key': { value: STORED_SECRET } },
  });
});
afterAll(async () => harness?.stop());

describe('research pipeline with the mock model', () => {
  it('runs planner → researcher → writer, each fed its upstream output, with exact usage', async () => {
    const plan = await compileOk(['examples/research-pipeline']);
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');

    const history = await run.handle.fetchHistory();
    const calls = activitiesOf(history);
    expect(calls.map((c) => c.type)).toEqual(['callModel', 'callModel', 'callModel']);
    expect(calls.map((c) => c.summary?.split(' ')[0])).toEqual(['planner', 'researcher', 'writer']);

    const inboxOf = (i: number): string => calls[i]!.input.messages[0].content;
    for (let i = 0; i < 3; i++) expect(inboxOf(i)).toContain('durable execution for AI agents');
    expect(inboxOf(1)).toContain(`Output of planner:\n${calls[0]!.result.text}`);
    expect(inboxOf(2)).toContain(`Output of researcher:\n${calls[1]!.result.text}`);
    expect(outcome.output).toBe(calls[2]!.result.text);

    const sum = (key: 'inputTokens' | 'outputTokens' | 'totalTokens') =>
      calls.reduce((total, c) => total + c.result.usage[key], 0);
    expect(outcome.usage.total).toMatchObject({
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      totalTokens: sum('totalTokens'),
      modelCalls: 3,
    });
    expect(outcome.usage.total.totalTokens).toBeGreaterThan(0);
    expect(Object.keys(outcome.usage.byAgent)).toEqual(['planner', 'researcher', 'writer']);
    expect(outcome.usage.byAgent.writer!.totalTokens).toBe(calls[2]!.result.usage.totalTokens);
    // The Web UI's "current details" of the run: one line per agent, as the run left them.
    const metadata = await run.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**research-pipeline** · succeeded');
    expect(metadata.currentDetails).toMatch(/^- \*\*writer\*\* — done · 1 activation · step 1 · \d+ tokens · 1 model call · \\\$0\.\d+ · 0 tool calls/m);
    // The example's endpoint is priced at $0.15 / $0.60 per million input / output tokens.
    expect(outcome.usage.total.costUsd).toBeCloseTo((sum('inputTokens') * 0.15 + sum('outputTokens') * 0.6) / 1e6, 12);
  });
});

describe('orchPlugin on an existing Temporal worker', () => {
  it('registers the orch workflow and activities, and runs a pipeline', async () => {
    const connection = await NativeConnection.connect({ address: harness.address });
    const taskQueue = `plugin-${randomUUID()}`;
    const worker = await Worker.create({ connection, taskQueue, plugins: [orchPlugin()] });
    try {
      const { plan } = await compile(['examples/research-pipeline']);
      const outcome = await worker.runUntil(async () => (await harness.client.start(plan!, { taskQueue })).result());
      expect(outcome.status).toBe('succeeded');
      expect(outcome.usage.total.modelCalls).toBe(3);
    } finally {
      await connection.close();
    }
  });
});

describe('plan versioning', () => {
  it('refuses a plan of a schema version the worker does not know, as a typed failure', async () => {
    const { plan } = await compile(['examples/research-pipeline']);
    const future = { ...plan!, schemaVersion: 99 } as unknown as typeof plan & {};
    const outcome = await (await harness.client.start(future)).result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'PLAN_VERSION_UNSUPPORTED' } });
  });
});

describe('pipeline on an openai-compatible endpoint', () => {
  let server: OpenAICompatibleServer;
  let dir: string;

  beforeAll(async () => {
    server = await startOpenAICompatibleServer({
      respond: (request) => {
        const agent = String(request.body.messages[0].content).match(/You are (\w+)/)?.[1] ?? 'unknown';
        return { text: `${agent}-answer-${server.requests.length}`, usage: { promptTokens: 100 + server.requests.length, completionTokens: 7 } };
      },
    });
    // Both keys' owners bind them to the local model server.
    workerEnv.ORCH_SECRET_LOCAL_LLM_KEY_DESTINATIONS = server.url;
    workerEnv.ORCH_SECRET_STORED_LLM_KEY_DESTINATIONS = server.url;
    dir = mkdtempSync(join(tmpdir(), 'orch-openai-compatible-'));
    const agentDoc = (name: string, endpoint: string) =>
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model_ref: ${endpoint}\n  prompt: You are ${name}.\n`;
    writeFileSync(
      join(dir, 'system.yaml'),
      [
        `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: local-llm\nspec:\n  provider: openai-compatible\n  base_url: ${server.url}\n  default_model: local-model-1\n  auth:\n    secretRef: local-llm-key\n`,
        `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: local-llm-stored\nspec:\n  provider: openai-compatible\n  base_url: ${server.url}\n  default_model: local-model-2\n  auth:\n    secretRef: stored-llm-key\n`,
        `apiVersion: orch/v1\nkind: Secret\nmetadata:\n  name: stored-llm-key\nspec:\n  stringData:\n    value: ${STORED_SECRET}\n`,
        agentDoc('alpha', 'local-llm'),
        agentDoc('beta', 'local-llm-stored'),
        agentDoc('gamma', 'local-llm'),
        `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: local-pipeline\nspec:\n  agents: [alpha, beta, gamma]\n  graph:\n    alpha:\n      next: beta\n    beta:\n      next: gamma\n`,
        `apiVersion: orch/v1\nkind: Task\nmetadata:\n  name: local-task\nspec:\n  system: local-pipeline\n  input:\n    question: what is durable execution?\n`,
      ].join('---\n')
    );
  });
  afterAll(async () => server?.close());

  it('calls the endpoint in pipeline order with upstream outputs, and keeps the key out of history', async () => {
    const { plan, secrets } = await compile([dir]);
    expect(JSON.stringify(plan)).not.toContain(STORED_SECRET);
    expect(secrets['default/stored-llm-key']).toEqual({ value: STORED_SECRET });
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');

    expect(server.requests).toHaveLength(3);
    const [alpha, beta, gamma] = server.requests;
    expect(alpha!.body.model).toBe('local-model-1');
    expect(beta!.body.model).toBe('local-model-2');
    expect(alpha!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(beta!.headers.authorization).toBe(`Bearer ${STORED_SECRET}`);
    expect(alpha!.body.messages[0]).toMatchObject({ role: 'system', content: 'You are alpha.' });
    expect(lastUserMessage(alpha!)).toContain('what is durable execution?');
    expect(lastUserMessage(beta!)).toContain('Output of alpha:\nalpha-answer-1');
    expect(lastUserMessage(gamma!)).toContain('Output of beta:\nbeta-answer-2');
    expect(outcome.output).toBe('gamma-answer-3');
    expect(outcome.usage.total).toMatchObject({ inputTokens: 101 + 102 + 103, outputTokens: 21, modelCalls: 3 });

    const history = historyText(await run.handle.fetchHistory());
    expect(history).toContain('Output of alpha'); // the decoding works: payload text is visible
    for (const secret of [API_KEY, STORED_SECRET]) {
      expect(history).not.toContain(secret);
      expect(history).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });
});
