/**
 * MCP over streamable HTTP against a real server (the SDK's McpServer with stateful
 * sessions on node:http, test/helpers/mcp-http-server.ts) that checks a bearer token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityRuntime, discoverMcpTools } from '../../activities/index.ts';
import type { PlanMcpServer } from '../../contract/plan.ts';
import { applicationFailureOf, dumpFailure, mcpRequest, planMcpServer } from '../helpers/activity-fixtures.ts';
import { startMcpHttpServer, type McpHttpServer } from '../helpers/mcp-http-server.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { waitFor } from '../helpers/processes.ts';

const TOKEN = 'mcp-http-token-NEVER-LOG-5150';
const secretRef = { namespace: 'default', name: 'mcp-http-token', key: 'value' };

let mcp: McpHttpServer;
beforeAll(async () => {
  mcp = await startMcpHttpServer({ token: TOKEN });
  // Both tokens' owners bound them to the test server (read at call time).
  env.ORCH_SECRET_MCP_HTTP_TOKEN_DESTINATIONS = mcp.url;
  env.ORCH_SECRET_WRONG_TOKEN_DESTINATIONS = mcp.url;
});
afterAll(async () => {
  await runtime.close();
  await mcp.close();
});

const env: NodeJS.ProcessEnv = { ORCH_SECRET_MCP_HTTP_TOKEN: TOKEN, ORCH_SECRET_WRONG_TOKEN: 'not-the-token' };
// The test server is on 127.0.0.1: the network guard must be told loopback is fine.
const runtime = createActivityRuntime({ env, network: { allowLoopback: true } });

function httpServer(overrides: Partial<PlanMcpServer> = {}): PlanMcpServer {
  return planMcpServer({
    id: { namespace: 'default', name: 'remote' },
    transport: 'http',
    endpoint: mcp.url,
    auth: { profile: 'bearer', secretRef, headerName: null, tokenUrl: null, scopes: [] },
    ...overrides,
  });
}

describe('MCP over streamable HTTP', () => {
  it('discovers tools and calls one with the bearer secret, in one session', async () => {
    const server = httpServer();
    const tools = await new MockActivityEnvironment().run(runtime.activities.listMcpTools, { server });
    expect(tools.map((tool) => tool.name)).toEqual(['greet', 'add']);
    expect(tools[0]).toMatchObject({ description: 'Greets someone', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } });

    const result = await new MockActivityEnvironment().run(runtime.activities.callTool, mcpRequest(server, 'add', { a: 17, b: 25 }));
    expect(result).toEqual({ output: '42', isError: false, durationMs: expect.any(Number), truncated: false });
    expect(mcp.sessions()).toHaveLength(1);
    expect(mcp.requests.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('discovers without a pool (as the CLI does) and ends its session', async () => {
    const before = new Set(mcp.sessions());
    const opened = mcp.requests.length;
    const tools = await discoverMcpTools(httpServer({ toolFilter: ['greet'] }), { env, network: { allowLoopback: true } });
    expect(tools.map((tool) => tool.name)).toEqual(['greet']);
    const oneShot = mcp.requests.slice(opened).find((request) => request.session !== undefined && !before.has(request.session))?.session;
    expect(oneShot).toBeDefined();
    // Whatever sessions were open before remain; the one-shot session was deleted.
    await waitFor(() => !mcp.sessions().includes(oneShot!) && mcp.sessions().length === before.size, 2_000, 'the one-shot session to end');
  });

  it('without credentials the server answers 401: non-retryable TOOL_AUTH_FAILED', async () => {
    const error = await applicationFailureOf(discoverMcpTools(httpServer({ auth: null }), { env, network: { allowLoopback: true } }));
    expect(error).toMatchObject({ type: 'TOOL_AUTH_FAILED', nonRetryable: true });
  });

  it('with the wrong secret: TOOL_AUTH_FAILED, and the secret never appears in the failure', async () => {
    const wrong = httpServer({ id: { namespace: 'default', name: 'remote-wrong' }, auth: { profile: 'bearer', secretRef: { ...secretRef, name: 'wrong-token' }, headerName: null, tokenUrl: null, scopes: [] } });
    const error = await applicationFailureOf(new MockActivityEnvironment().run(runtime.activities.callTool, mcpRequest(wrong, 'greet', { name: 'x' })));
    expect(error).toMatchObject({ type: 'TOOL_AUTH_FAILED', nonRetryable: true });
    expect(dumpFailure(error)).not.toContain('not-the-token');
  });

  it('a loopback endpoint is refused by default: non-retryable TOOL_ENDPOINT_FORBIDDEN naming the setting', async () => {
    const before = mcp.requests.length;
    const error = await applicationFailureOf(discoverMcpTools(httpServer(), { env }));
    expect(error).toMatchObject({ type: 'TOOL_ENDPOINT_FORBIDDEN', nonRetryable: true });
    expect(error.message).toContain('ORCH_TOOLS_ALLOW_LOOPBACK=true');
    expect(mcp.requests.length).toBe(before);
  });

  it('ORCH_TOOLS_ALLOW_LOOPBACK=true in the environment allows it', async () => {
    const tools = await discoverMcpTools(httpServer({ toolFilter: ['add'] }), { env: { ...env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
    expect(tools.map((tool) => tool.name)).toEqual(['add']);
  });

  it('a server that went away is a retryable TOOL_UNAVAILABLE', async () => {
    const gone = await startMcpHttpServer();
    const url = gone.url;
    await gone.close();
    const error = await applicationFailureOf(discoverMcpTools(httpServer({ endpoint: url, auth: null }), { network: { allowLoopback: true } }));
    expect(error).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
  });
});
