/**
 * MCP over stdio against the reference server (@modelcontextprotocol/server-everything),
 * a real child process: discovery, calls, output mapping, environment isolation, crashes.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivityRuntime, discoverMcpTools } from '../../activities/index.ts';
import type { PlanMcpServer } from '../../contract/plan.ts';
import type { ToolCallRequest } from '../../contract/activity-io.ts';
import { applicationFailureOf, mcpRequest, planMcpServer } from '../helpers/activity-fixtures.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { childPids, isAlive, waitFor } from '../helpers/processes.ts';

/** The package's bin (a `#!/usr/bin/env node` script): works with only PATH in the environment. */
const EVERYTHING = resolve('node_modules/.bin/mcp-server-everything');
const PATH = process.env.PATH!;

function everything(name: string, overrides: Partial<PlanMcpServer> = {}): PlanMcpServer {
  return planMcpServer({ id: { namespace: 'default', name }, command: EVERYTHING, args: ['stdio'], ...overrides });
}

/** Servers that get secrets: the worker loaded their manifests, so their secrets may go to them. */
const envCheck = everything('env-check', {
  env: [
    { name: 'DECLARED_PLAIN', value: 'plain-value', secretRef: null },
    { name: 'API_TOKEN', value: null, secretRef: { namespace: 'default', name: 'mcp-token', key: 'value' } },
    { name: 'MANIFEST_SECRET', value: null, secretRef: { namespace: 'default', name: 'mcp-manifest-secret', key: 'value' } },
  ],
});
const envMissing = everything('env-missing', {
  env: [{ name: 'API_TOKEN', value: null, secretRef: { namespace: 'default', name: 'absent', key: 'value' } }],
});

const runtime = createActivityRuntime({
  env: { PATH, ORCH_SECRET_MCP_TOKEN: 'token-from-env-77', ORCH_CANARY_DEPS: 'deps-canary' },
  secrets: { 'default/mcp-manifest-secret': { value: 'value-from-manifest-88' } },
  manifests: { mcpServers: [envCheck, envMissing] },
});
afterAll(() => runtime.close());

function call(request: ToolCallRequest, env = new MockActivityEnvironment()) {
  return env.run(runtime.activities.callTool, request);
}

describe('server-everything over stdio', () => {
  const server = everything('everything', { toolFilter: ['echo', 'get_sum'] });

  it('discovers exactly the filtered tools (get_sum matches get-sum), with descriptions and input schemas', async () => {
    const tools = await new MockActivityEnvironment().run(runtime.activities.listMcpTools, { server });
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'get-sum']);
    expect(tools[0]).toMatchObject({
      description: 'Echoes back the input string',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    });
    expect(tools[1]).toMatchObject({
      description: 'Returns the sum of two numbers',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    });
  });

  it('echo returns the marker', async () => {
    const marker = `marker-${Date.now()}`;
    const result = await call(mcpRequest(server, 'echo', { message: marker }));
    expect(result).toEqual({ output: `Echo: ${marker}`, isError: false, durationMs: expect.any(Number), truncated: false });
  });

  it('get-sum adds 17 and 25', async () => {
    const result = await call(mcpRequest(server, 'get-sum', { a: 17, b: 25 }));
    expect(result.isError).toBe(false);
    expect(result.output).toContain('42');
  });

  it('shares one server process between calls', async () => {
    await call(mcpRequest(server, 'echo', { message: 'a' }));
    const pid = runtime.mcp.connectionFor(server)!.pid;
    await call(mcpRequest(server, 'echo', { message: 'b' }));
    expect(runtime.mcp.connectionFor(server)!.pid).toBe(pid);
  });

  it('heartbeats while a slow call is in flight, and not for a quick one', async () => {
    const quick = new MockActivityEnvironment();
    await call(mcpRequest(server, 'echo', { message: 'quick' }), quick);
    expect(quick.heartbeats).toHaveLength(0);
    const slow = new MockActivityEnvironment();
    const all = everything('everything-all');
    await call(mcpRequest(all, 'trigger-long-running-operation', { duration: 2, steps: 1 }), slow);
    expect(slow.heartbeats.length).toBeGreaterThanOrEqual(1);
  });

  it('describes an image instead of passing base64', async () => {
    const result = await call(mcpRequest(everything('everything-all'), 'get-tiny-image', {}));
    expect(result.output).toMatch(/^Here's the image you requested:\n\[image image\/png, \d+ bytes\]\nThe image above is the MCP logo\.$/);
    expect(JSON.stringify(result.output)).not.toContain('iVBOR');
  });

  it('returns structuredContent as JSON', async () => {
    const result = await call(mcpRequest(everything('everything-all'), 'get-structured-content', { location: 'Chicago' }));
    expect(result.output).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 });
  });

  it('gives the model the server’s error result for invalid arguments and unknown tools (McpServer answers isError)', async () => {
    const all = everything('everything-all');
    const invalid = await call(mcpRequest(all, 'get-sum', { a: 'seventeen' }));
    expect(invalid.isError).toBe(true);
    expect(invalid.output).toContain('Input validation error');
    const unknown = await call(mcpRequest(all, 'no-such-tool', {}));
    expect(unknown).toMatchObject({ isError: true, output: expect.stringContaining('not found') });
  });
});

describe('stdio environment isolation', () => {
  it('the child sees only PATH and its declared variables (values and secretRefs), never the worker’s', async () => {
    process.env.ORCH_CANARY_PROCESS = 'process-canary';
    try {
      const result = await call(mcpRequest(envCheck, 'get-env', {}));
      const env = JSON.parse(result.output as string) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(['API_TOKEN', 'DECLARED_PLAIN', 'MANIFEST_SECRET', 'PATH']);
      // The child got both secrets; echoed back, they are masked before the result leaves the activity.
      expect(env).toEqual({ PATH, DECLARED_PLAIN: 'plain-value', API_TOKEN: '***', MANIFEST_SECRET: '***' });
      expect(result.output).not.toContain('token-from-env-77');
      expect(result.output).not.toContain('value-from-manifest-88');
    } finally {
      delete process.env.ORCH_CANARY_PROCESS;
    }
  });

  it('a missing secret fails SECRET_NOT_FOUND before anything is spawned', async () => {
    const before = childPids().length;
    const error = await applicationFailureOf(call(mcpRequest(envMissing, 'echo', { message: 'x' })));
    expect(error).toMatchObject({ type: 'SECRET_NOT_FOUND', nonRetryable: true });
    expect(childPids().length).toBe(before);
  });
});

describe('a crashed stdio server', () => {
  it('a call in flight when the server dies fails retryable TOOL_UNAVAILABLE; the next call runs on a fresh process', async () => {
    const server = everything('crash');
    await call(mcpRequest(server, 'echo', { message: 'first' }));
    const pid1 = runtime.mcp.connectionFor(server)!.pid!;

    const pending = call(mcpRequest(server, 'trigger-long-running-operation', { duration: 10, steps: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(pid1, 'SIGKILL');
    const error = await applicationFailureOf(pending);
    expect(error).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
    expect(error.message).toMatch(/connection lost/);
    expect(error.message).toContain('killed by SIGKILL');
    expect(runtime.mcp.connectionFor(server)).toBeUndefined();

    const next = await call(mcpRequest(server, 'echo', { message: 'second' }));
    expect(next.output).toBe('Echo: second');
    const pid2 = runtime.mcp.connectionFor(server)!.pid!;
    expect(pid2).not.toBe(pid1);
    expect(isAlive(pid1)).toBe(false);
  });

  it('a server that died while idle is replaced transparently on the next call', async () => {
    const server = everything('crash-idle');
    await call(mcpRequest(server, 'echo', { message: 'first' }));
    const pid1 = runtime.mcp.connectionFor(server)!.pid!;
    process.kill(pid1, 'SIGKILL');
    await waitFor(() => runtime.mcp.connectionFor(server) === undefined, 5_000, 'eviction of the dead connection');
    const result = await call(mcpRequest(server, 'echo', { message: 'again' }));
    expect(result.output).toBe('Echo: again');
    expect(runtime.mcp.connectionFor(server)!.pid).not.toBe(pid1);
  });
});

describe('discoverMcpTools without a pool', () => {
  it('connects, lists and closes: no server process is left behind', async () => {
    const before = new Set(childPids());
    const tools = await discoverMcpTools(everything('one-shot', { toolFilter: ['echo'] }), { env: { PATH } });
    expect(tools.map((tool) => tool.name)).toEqual(['echo']);
    await waitFor(() => childPids().every((pid) => before.has(pid)), 5_000, 'the one-shot server to exit');
  });
});

describe('runtime.close()', () => {
  it('stops every stdio server', async () => {
    const own = createActivityRuntime({ env: { PATH } });
    await new MockActivityEnvironment().run(own.activities.callTool, mcpRequest(everything('closing'), 'echo', { message: 'x' }));
    const pid = own.mcp.connections()[0]!.pid!;
    expect(isAlive(pid)).toBe(true);
    await own.close();
    expect(own.mcp.connections()).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  });
});
