/**
 * The echoed-secret reproducer (shared/repro/echoed-secret) on a real server: a tool that
 * authenticates with the worker's secret answers, in a 200 or a 400, with a body that echoes
 * the Authorization header. The token reaches the tool (once, as its owner bound it: the
 * worker loaded the manifests that declare the tool) and nothing else: not the history, not
 * the run's progress (the Web UI), not the next model request.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerManifests } from '../../activities/secret-destinations.ts';
import { compile } from '../../compiler/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { historyText } from '../helpers/history.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { writeOverride } from '../helpers/scenario-overrides.ts';

const SECRET = `repro-secret-${randomUUID()}`;
let tool: RecordingServer;
let model: OpenAICompatibleServer;
let harness: Harness;
const plans: Record<string, Plan> = {};

/** The reproducer's manifests: model `m` (`model`), tool `api` at `path` with bearer auth from Secret tool-token, agent `a`. */
function manifests(system: string, path: string, modelSpec: object): string {
  return writeOverride([
    { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'm' }, spec: modelSpec },
    { apiVersion: 'orch/v1', kind: 'Tool', metadata: { name: 'api' }, spec: { endpoint: `${tool.url}${path}`, input_schema: { type: 'object' }, auth: { profile: 'bearer', secretRef: 'tool-token' } } },
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'm', tools: ['api'], limits: { max_steps: 3 } } },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: system }, spec: { agents: ['a'] } },
  ]);
}

const scriptedMock = { provider: 'mock', mock: { responses: { a: [{ tool_calls: [{ tool: 'api', input: { q: 'x' } }] }] } } };

beforeAll(async () => {
  tool = await startRecordingServer({
    respond: (request) => {
      const seen = request.headers.authorization ?? '';
      return request.path === '/tool/echo-auth-400'
        ? { status: 400, body: { error: `bad input; you sent authorization=${seen}` } }
        : { body: { ok: true, authorization_seen: seen } };
    },
  });
  model = await startOpenAICompatibleServer();
  const loaded: WorkerManifests = { tools: [], models: [], mcpServers: [] };
  for (const [name, path, spec] of [
    ['tool-200', '/tool/echo-auth', scriptedMock],
    ['tool-400', '/tool/echo-auth-400', scriptedMock],
    ['over-the-wire', '/tool/echo-auth-400', { provider: 'openai-compatible', base_url: model.url, default_model: 'stub' }],
  ] as const) {
    const compiled = await compile([manifests(`echoed-${name}`, path, spec)]);
    plans[name] = compiled.plan!;
    // As `orch run` does: the worker knows the endpoints of the manifests it compiled.
    loaded.tools!.push(...compiled.manifests.tools!);
    loaded.models!.push(...compiled.manifests.models!);
  }
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true', ORCH_SECRET_TOOL_TOKEN: SECRET }, manifests: loaded });
}, 60_000);
afterAll(async () => {
  await harness?.stop();
  await tool?.close();
  await model?.close();
});

async function runEchoed(name: string) {
  const before = tool.requests.length;
  const run = await harness.client.start(plans[name]!);
  const outcome = await run.result();
  const progress = await run.progress({ timeoutMs: 5_000 });
  const history = historyText(await run.handle.fetchHistory());
  return { outcome, progress, history, toolRequests: tool.requests.slice(before) };
}

describe('a tool that echoes the credential it was sent', () => {
  it.each([
    ['tool-200', 'Bearer ***'],
    ['tool-400', 'authorization=Bearer ***'],
  ])('%s: the token reaches the tool once, and appears in no history event, progress or output', async (name, masked) => {
    const { outcome, progress, history, toolRequests } = await runEchoed(name);
    expect(toolRequests.map((request) => request.headers.authorization)).toEqual([`Bearer ${SECRET}`]);
    expect(outcome.status).toBe('succeeded');
    // The mock model quotes the tool result it was given: masked.
    expect(JSON.stringify(outcome.output)).toContain(masked);
    for (const text of [history, JSON.stringify(progress), JSON.stringify(outcome)]) expect(text).not.toContain(SECRET);
  });

  it('over the wire: the next model request carries the masked tool result, never the token', async () => {
    model.enqueue({ toolCalls: [{ name: 'api', arguments: { q: 'x' } }] }, { text: 'done' });
    const before = model.requests.length;
    const { outcome, history, toolRequests } = await runEchoed('over-the-wire');
    expect(outcome.status).toBe('succeeded');
    expect(toolRequests).toHaveLength(1);
    const requests = model.requests.slice(before).map((request) => JSON.stringify(request.body));
    expect(requests).toHaveLength(2);
    expect(requests[1]).toContain('authorization=Bearer ***');
    for (const text of [...requests, history]) expect(text).not.toContain(SECRET);
  });
});
