/**
 * Secret values are redacted from every tool and model result before it leaves the
 * activity: an upstream (or a model) that repeats a credential must not put it in history,
 * the Web UI or the next model request.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeActivities, createActivities, createActivityRuntime, type ActivityDeps } from '../../activities/index.ts';
import type { PlanToolAuth } from '../../contract/plan.ts';
import { mcpRequest, modelRequest, planMcpServer, planModel, planTool, toolRequest } from '../helpers/activity-fixtures.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';

const TOKEN = 'echoed-token-4711-DO-NOT-STORE';
const OTHER = 'another-held-secret-0815';
const secretRef = { namespace: 'default', name: 'tool-token', key: 'value' };
const bearer: PlanToolAuth = { profile: 'bearer', secretRef, headerName: null, tokenUrl: null, scopes: [] };

let tool: RecordingServer;
let model: OpenAICompatibleServer;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  // Answers with what it was sent, as a misbehaving upstream would.
  tool = await startRecordingServer({
    respond: (request) => ({ status: request.path.endsWith('/400') ? 400 : 200, body: { ok: true, authorization_seen: request.headers.authorization ?? null } }),
  });
  model = await startOpenAICompatibleServer();
  const deps: ActivityDeps = {
    env: { ORCH_SECRET_TOOL_TOKEN: TOKEN, ORCH_SECRET_OTHER: OTHER, ORCH_SECRET_TOOL_TOKEN_DESTINATIONS: tool.url },
    network: { allowLoopback: true },
    maxToolOutputBytes: 1000,
  };
  activities = createActivities(deps);
});
afterAll(async () => {
  await closeActivities(activities);
  await tool.close();
  await model.close();
});
beforeEach(() => {
  tool.requests.length = 0;
});

const callTool = (path: string, auth: PlanToolAuth | null = bearer) =>
  new MockActivityEnvironment().run(activities.callTool, toolRequest(planTool({ endpoint: `${tool.url}${path}`, auth })));

describe('tool results', () => {
  it('a 200 JSON body echoing the Authorization header keeps its shape, the token masked', async () => {
    const result = await callTool('/echo');
    expect(tool.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.output).toEqual({ ok: true, authorization_seen: 'Bearer ***' });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('a 400 error body echoing it: the error result the model sees is masked too', async () => {
    const result = await callTool('/400');
    expect(result).toMatchObject({ isError: true, output: { ok: true, authorization_seen: 'Bearer ***' } });
  });

  it('Basic credentials echoed as the header (base64 of user:pass) are masked', async () => {
    const basic = createActivities({
      env: { ORCH_SECRET_TOOL_TOKEN: 'alice:wonderland-pass', ORCH_SECRET_TOOL_TOKEN_DESTINATIONS: tool.url },
      network: { allowLoopback: true },
    });
    try {
      const result = await new MockActivityEnvironment().run(
        basic.callTool,
        toolRequest(planTool({ endpoint: `${tool.url}/echo`, auth: { ...bearer, profile: 'basic' } }))
      );
      expect(result.output).toEqual({ ok: true, authorization_seen: 'Basic ***' });
    } finally {
      await closeActivities(basic);
    }
  });

  it('text bodies, other secrets the worker holds, and encoded forms are masked', async () => {
    tool.enqueue({ body: `raw ${OTHER}; url ${encodeURIComponent(TOKEN)}; b64 ${Buffer.from(TOKEN).toString('base64')}` });
    const result = await callTool('/text', null);
    expect(result.output).toBe('raw ***; url ***; b64 ***');
  });

  it('a text body echoing it with every byte percent-encoded, \\u-escaped, or in hex: masked', async () => {
    const bytes = [...Buffer.from(TOKEN)];
    const everyByte = bytes.map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    const everyUnit = [...TOKEN].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    tool.enqueue({ body: `a ${everyByte}; b ${everyByte.toLowerCase()}; c ${everyUnit}; d ${everyUnit.toUpperCase().replace(/\\U/g, '\\u')}; e ${Buffer.from(TOKEN).toString('hex')}` });
    const result = await callTool('/text', null);
    expect(result.output).toBe('a ***; b ***; c ***; d ***; e ***');
  });

  it('a JSON body whose strings hold escapes of it (escaped twice on the wire): masked in the parsed strings', async () => {
    const mixed = [...TOKEN].map((char, index) => (index % 2 ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : `%${char.charCodeAt(0).toString(16)}`)).join('');
    tool.enqueue({ body: { echoed: mixed, note: 'see %20 and \\n' } });
    const result = await callTool('/json', null);
    expect(result.output).toEqual({ echoed: '***', note: 'see %20 and \\n' });
  });

  it('a body cut at the size limit through the token leaves no fragment of it', async () => {
    tool.enqueue({ body: `${'x'.repeat(1000 - 10)}${TOKEN} and more` });
    const result = await callTool('/long', null);
    expect(result.truncated).toBe(true);
    expect(result.output as string).not.toContain(TOKEN.slice(0, 10));
    expect(result.output as string).toMatch(/x\*\*\*…\[truncated/);
  });
});

describe('model results', () => {
  it('text and tool-call arguments repeating a held secret are masked', async () => {
    model.enqueue({ text: `the token is ${TOKEN}`, toolCalls: [{ name: 'search', arguments: { query: `find ${OTHER}` } }] });
    const result = await new MockActivityEnvironment().run(
      activities.callModel,
      modelRequest({
        model: planModel({ provider: 'openai-compatible', baseUrl: model.url, model: 'm' }),
        tools: [{ name: 'search', description: '', inputSchema: { type: 'object' } }],
      })
    );
    expect(result.text).toBe('the token is ***');
    expect(result.toolCalls[0]!.input).toEqual({ query: 'find ***' });
  });
});

describe('MCP results', () => {
  const runtime = createActivityRuntime({ env: { PATH: process.env.PATH!, ORCH_SECRET_OTHER: OTHER } });
  afterAll(() => runtime.close());

  it('a server echoing a held secret: masked in its text result', async () => {
    const server = planMcpServer({ id: { namespace: 'default', name: 'echoing' }, command: resolve('node_modules/.bin/mcp-server-everything'), args: ['stdio'] });
    const result = await new MockActivityEnvironment().run(runtime.activities.callTool, mcpRequest(server, 'echo', { message: `leak ${OTHER}` }));
    expect(result.output).toBe('Echo: leak ***');
  });
});
