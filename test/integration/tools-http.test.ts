/**
 * HTTP tools end to end on a real dev server, through Orloj's own tool scenarios with local
 * stub endpoints standing in for theirs, plus the failure modes: retries, auth, 4xx,
 * timeouts, invalid arguments, idempotency and the SSRF guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { compileOk, CORPUS, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

let harness: Harness;
let stub: RecordingServer;

beforeAll(async () => {
  stub = await startRecordingServer({
    respond: (request) => {
      if (request.path === '/tool/auth') {
        return request.headers['x-stub-key'] === 'stub-auth-key-from-env'
          ? { body: { marker: 'AUTH_STATUS=ok' } }
          : { status: 401, body: { error: 'bad key' } };
      }
      if (request.path === '/tool/text') return { headers: { 'content-type': 'text/plain' }, body: 'plain text marker' };
      if (request.path === '/tool/bad-request') return { status: 422, body: { error: 'unprocessable: goal missing' } };
      if (request.path === '/tool/slow') return { delayMs: 3_000, body: { late: true } };
      return { body: { marker: `stub:${request.path}`, received: request.json } };
    },
  });
  // Tool endpoints on loopback are refused unless the worker's operator allows them; the key's
  // owner binds it to the stub's auth endpoint.
  harness = await startHarness({
    env: {
      ...process.env,
      ORCH_TOOLS_ALLOW_LOOPBACK: 'true',
      ORCH_SECRET_RR_REAL_TOOL_AUTH_KEY: 'stub-auth-key-from-env',
      ORCH_SECRET_RR_REAL_TOOL_AUTH_KEY_DESTINATIONS: `${stub.url}/tool/auth`,
    },
  });
});
afterAll(async () => {
  await harness?.stop();
  await stub?.close();
});

async function compiled(paths: string[], overrides: object[], options: { task?: string } = {}): Promise<Plan> {
  const plan = await compileOk(paths, { overrides: [writeOverride(overrides)], ...options });
  return plan!;
}

function requestsTo(path: string) {
  return stub.requests.filter((r) => r.path === path);
}

describe('Orloj tool scenarios', () => {
  it('04-tool-call-smoke: the model calls the local stub and the output carries its marker', async () => {
    const ns = 'rr-real-tool';
    const plan = await compiled([`${CORPUS}/testing/scenarios-real/04-tool-call-smoke`], [
      mockEndpoint(ns, 'rr-real-model-default', {
        // After the scripted tool call, the default mock answers with the tool's output.
        'rr-real-tool-analyst-agent': [{ tool_calls: [{ tool: 'rr-real-http-smoke-tool', input: { goal: 'smoke', timestamp_hint: 't0' } }] }],
      }),
      httpTool(ns, 'rr-real-http-smoke-tool', `${stub.url}/tool/smoke`),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/tool/smoke')).toHaveLength(1);
    expect(requestsTo('/tool/smoke')[0]!.json).toEqual({ goal: 'smoke', timestamp_hint: 't0' });
    expect(JSON.stringify(outcome.output)).toContain('stub:/tool/smoke');

    const calls = activitiesOf(await run.handle.fetchHistory());
    const toolCall = calls.find((c) => c.type === 'callTool')!;
    expect(toolCall.summary).toBe('rr-real-tool-analyst-agent · rr-real-http-smoke-tool');
    expect(toolCall.input.call.input).toEqual({ goal: 'smoke', timestamp_hint: 't0' });
    expect(toolCall.result.output).toMatchObject({ marker: 'stub:/tool/smoke' });
  });

  it('08-tool-auth-and-contract: api_key_header auth from a secret; the key never enters history', async () => {
    const ns = 'rr-real-tool-auth';
    const plan = await compiled([`${CORPUS}/testing/scenarios-real/08-tool-auth-and-contract`], [
      mockEndpoint(ns, 'rr-real-model-default', {
        // The agent's execution contract requires these markers in its answer.
        'rr-real-tool-auth-agent': [{ tool_calls: [{ tool: 'rr-real-http-auth-tool', input: { goal: 'auth' } }] }, { text: 'AUTH_PATH: ok\nCONTRACT_PATH: ok\nEVIDENCE: AUTH_STATUS=ok' }],
      }),
      httpTool(ns, 'rr-real-http-auth-tool', `${stub.url}/tool/auth`, {
        auth: { profile: 'api_key_header', secretRef: 'rr-real-tool-auth-key', headerName: 'X-Stub-Key' },
      }),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(JSON.stringify(outcome.output)).toContain('AUTH_STATUS=ok');
    // The tool itself accepted the key (the answer above is the model's).
    const recorded = await run.handle.fetchHistory();
    expect(activitiesOf(recorded).find((c) => c.type === 'callTool')!.result).toMatchObject({ output: { marker: 'AUTH_STATUS=ok' }, isError: false });
    // Every payload of the history, decoded: the key reached the tool, never the history.
    const history = historyText(recorded);
    expect(history).toContain('AUTH_STATUS=ok');
    expect(history).not.toContain('stub-auth-key-from-env');
  });

  it('10-tool-retry-recovery: at-most-once tool fails, the model hears it, calls again, recovers', async () => {
    const ns = 'rr-real-tool-retry';
    stub.enqueue({ status: 500, body: { error: 'transient' } });
    const plan = await compiled([`${CORPUS}/testing/scenarios-real/10-tool-retry-recovery`], [
      mockEndpoint(ns, 'rr-real-model-default', {
        'rr-real-tool-retry-agent': [
          { tool_calls: [{ tool: 'rr-real-http-retry-tool', input: { retry_case: 'a', timestamp_hint: '1' } }] },
          { tool_calls: [{ tool: 'rr-real-http-retry-tool', input: { retry_case: 'a', timestamp_hint: '2' } }] },
          { text: 'RECOVERY_STATUS: recovered\nEVIDENCE: ATTEMPT=2' },
        ],
      }),
      // Orloj's scenario sets max_attempts 1: at most once, so the failure goes back to the model.
      httpTool(ns, 'rr-real-http-retry-tool', `${stub.url}/tool/retry-once`, { runtime: { retry: { max_attempts: 1 } } }),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toContain('RECOVERY_STATUS: recovered');
    expect(requestsTo('/tool/retry-once')).toHaveLength(2);
    expect(outcome.usage.total).toMatchObject({ toolCalls: 2, toolErrors: 1 });
    const models = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callModel');
    expect(models[1]!.input.messages.at(-1)).toMatchObject({ role: 'tool', isError: true, output: { error: 'TOOL_UNAVAILABLE' } });
  });

  it('05-tool-decision: one task uses the tool, the other does not', async () => {
    const ns = 'rr-real-tool-decision';
    const overrides = [
      mockEndpoint(ns, 'rr-real-model-default', {}), // default mock: calls the first tool on step 1
      httpTool(ns, 'rr-real-tool-decision-http-tool', `${stub.url}/tool/decision`),
    ];
    const dir = `${CORPUS}/testing/scenarios-real/05-tool-decision`;
    const before = requestsTo('/tool/decision').length;
    const withTool = await (await harness.client.start(await compiled([dir], overrides, { task: 'rr-tool-use-task' }))).result();
    expect(withTool.status).toBe('succeeded');
    expect(requestsTo('/tool/decision').length).toBe(before + 1);

    // The self-contained task: the model answers without a tool, and the endpoint sees nothing.
    const noTool = [mockEndpoint(ns, 'rr-real-model-default', { 'rr-real-tool-decision-agent': [{ text: 'TOOL_USED: no\nEVIDENCE: self-contained-input' }] }), overrides[1]!];
    const without = await (await harness.client.start(await compiled([dir], noTool, { task: 'rr-tool-no-use-task' }))).result();
    expect(without.status).toBe('succeeded');
    expect(without.usage.total.toolCalls).toBe(0);
    expect(requestsTo('/tool/decision').length).toBe(before + 1);
  });

  it('15-hierarchical-incident-tools: two workers call different tools in parallel branches; the editor joins both', async () => {
    const ns = 'rr-real-hier-tool';
    const plan = await compiled([`${CORPUS}/testing/scenarios-real/15-hierarchical-incident-tools`], [
      mockEndpoint(ns, 'rr-real-model-default', {}),
      httpTool(ns, 'rr-real-hier-tool-lookup-tool', `${stub.url}/tool/lookup`),
      httpTool(ns, 'rr-real-hier-tool-calculate-tool', `${stub.url}/tool/calculate`),
    ]);
    const before = { lookup: requestsTo('/tool/lookup').length, calculate: requestsTo('/tool/calculate').length };
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/tool/lookup').length).toBe(before.lookup + 1);
    expect(requestsTo('/tool/calculate').length).toBe(before.calculate + 1);
    const editor = outcome.activations.find((a) => a.agent === 'rr-real-hier-tool-editor-agent')!;
    expect(editor.from.sort()).toEqual(['rr-real-hier-tool-analytics-worker-agent', 'rr-real-hier-tool-knowledge-worker-agent']);
    expect(outcome.activations.filter((a) => a.agent === 'rr-real-hier-tool-editor-agent')).toHaveLength(1);
    const editorCall = activitiesOf(await run.handle.fetchHistory()).find((c) => c.summary?.startsWith('rr-real-hier-tool-editor-agent'))!;
    const inbox: string = editorCall.input.messages[0].content;
    expect(inbox).toContain('Output of rr-real-hier-tool-knowledge-worker-agent');
    expect(inbox).toContain('Output of rr-real-hier-tool-analytics-worker-agent');
    expect(inbox).toContain('stub:/tool/lookup');
    expect(inbox).toContain('stub:/tool/calculate');
  });
});

describe('HTTP tool behaviour', () => {
  const ns = 'default';
  const agentDoc = (tool: string, steps: object[]) => [
    mockEndpoint(ns, 'scripted', { caller: steps as never }),
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'caller', namespace: ns }, spec: { model_ref: 'scripted', prompt: 'call', tools: [tool] } },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'tool-system', namespace: ns }, spec: { agents: ['caller'] } },
  ];
  async function runWith(tool: object, toolName: string, steps: object[]) {
    const file = writeOverride([...agentDoc(toolName, steps), tool]);
    const plan = await compileOk([file]);
    const run = await harness.client.start(plan!);
    const outcome = await run.result();
    const history = activitiesOf(await run.handle.fetchHistory());
    const toolMessage = history.filter((c) => c.type === 'callModel').at(1)?.input.messages.at(-1);
    return { outcome, history, toolMessage };
  }
  const call = (tool: string, input: unknown) => [{ tool_calls: [{ tool, input }] }, { text: 'done' }];

  it('retries a 503 per runtime.retry with the same Idempotency-Key, and recovers', async () => {
    stub.enqueue({ status: 503, body: { error: 'busy' } });
    const { outcome, history } = await runWith(
      httpTool(ns, 'flaky', `${stub.url}/tool/flaky`, { runtime: { retry: { max_attempts: 3, backoff: '100ms', max_backoff: '200ms' } } }),
      'flaky',
      call('flaky', { q: 1 })
    );
    expect(outcome.status).toBe('succeeded');
    const attempts = requestsTo('/tool/flaky');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.headers['idempotency-key']).toBeTruthy();
    expect(attempts[1]!.headers['idempotency-key']).toBe(attempts[0]!.headers['idempotency-key']);
    expect(history.find((c) => c.type === 'callTool')!.attempt).toBe(2);
  });

  it('a 4xx goes back to the model as the tool\'s error, not retried', async () => {
    const { outcome, toolMessage } = await runWith(
      httpTool(ns, 'strict', `${stub.url}/tool/bad-request`, { runtime: { retry: { max_attempts: 3 } } }),
      'strict',
      call('strict', {})
    );
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/tool/bad-request')).toHaveLength(1);
    expect(toolMessage).toMatchObject({ role: 'tool', isError: true });
  });

  it('a tool that times out is reported to the model as TOOL_TIMEOUT', async () => {
    const { outcome, toolMessage } = await runWith(
      httpTool(ns, 'slowpoke', `${stub.url}/tool/slow`, { runtime: { timeout: '500ms' } }),
      'slowpoke',
      call('slowpoke', {})
    );
    expect(outcome.status).toBe('succeeded');
    expect(toolMessage).toMatchObject({ isError: true, output: { error: 'TOOL_TIMEOUT' } });
  });

  it('arguments that do not fit input_schema go back to the model and never reach the tool', async () => {
    const { outcome, toolMessage, history } = await runWith(
      httpTool(ns, 'typed', `${stub.url}/tool/typed`, {
        input_schema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      }),
      'typed',
      call('typed', { count: 'three' })
    );
    expect(outcome.status).toBe('succeeded');
    expect(requestsTo('/tool/typed')).toHaveLength(0);
    expect(history.filter((c) => c.type === 'callTool')).toHaveLength(0);
    expect(toolMessage).toMatchObject({ isError: true, output: { error: 'INVALID_ARGUMENTS', issues: [{ path: '$.count' }] } });
  });

  it('a plain-text response reaches the model as text', async () => {
    const { toolMessage } = await runWith(httpTool(ns, 'texty', `${stub.url}/tool/text`), 'texty', call('texty', {}));
    expect(toolMessage).toMatchObject({ isError: false, output: 'plain text marker' });
  });

  it('refuses a link-local endpoint (SSRF guard) even where loopback is allowed', async () => {
    const { outcome, toolMessage } = await runWith(
      httpTool(ns, 'metadata', 'http://169.254.169.254/latest/meta-data/'),
      'metadata',
      call('metadata', {})
    );
    expect(outcome.status).toBe('succeeded');
    expect(toolMessage).toMatchObject({ isError: true, output: { error: 'TOOL_ENDPOINT_FORBIDDEN' } });
  });

  it('a call to a tool the agent does not declare is refused and never executed', async () => {
    const { toolMessage, history } = await runWith(httpTool(ns, 'declared', `${stub.url}/tool/declared`), 'declared', call('undeclared', {}));
    expect(toolMessage).toMatchObject({ isError: true, output: { error: 'TOOL_NOT_DECLARED' } });
    expect(history.filter((c) => c.type === 'callTool')).toHaveLength(0);
  });
});
