/**
 * MCP behaviours the reference servers do not exercise, against a small fixture server
 * (test/fixtures/mcp-servers/fixture-server.ts, a real child process): paginated
 * discovery, protocol errors, media and resource content, truncation, timeouts,
 * cancellation, idle eviction, shared connects, servers that fail to start.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivityRuntime, discoverMcpTools } from '../../activities/index.ts';
import type { PlanMcpServer } from '../../contract/plan.ts';
import type { ToolCallRequest } from '../../contract/activity-io.ts';
import { applicationFailureOf, dumpFailure, mcpRequest, planMcpServer } from '../helpers/activity-fixtures.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { isAlive, waitFor } from '../helpers/processes.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/mcp-servers/fixture-server.ts', import.meta.url));
const PATH = process.env.PATH!;

function fixture(name: string, overrides: Partial<PlanMcpServer> = {}): PlanMcpServer {
  return planMcpServer({ id: { namespace: 'default', name }, command: process.execPath, args: [FIXTURE], ...overrides });
}

const runtime = createActivityRuntime({
  // The token is bound to the crashing fixture's command line (see "a server that exits at start").
  env: { PATH, ORCH_SECRET_FIXTURE_TOKEN: 'fixture-token-SECRET-123', ORCH_SECRET_FIXTURE_TOKEN_DESTINATIONS: `stdio:${process.execPath} ${FIXTURE} --crash-on-start` },
  heartbeatIntervalMs: 20,
});
afterAll(() => runtime.close());

function call(request: ToolCallRequest, env = new MockActivityEnvironment()) {
  return env.run(runtime.activities.callTool, request);
}

const server = fixture('fixture');

describe('discovery', () => {
  it('follows pagination cursors', async () => {
    const tools = await new MockActivityEnvironment().run(runtime.activities.listMcpTools, { server });
    expect(tools.map((tool) => tool.name)).toEqual(['env_keys', 'env_value', 'big_text', 'fail', 'media', 'slow', 'pid']);
    expect(tools.find((tool) => tool.name === 'media')!.description).toBe('');
  });

  it('filters with - and _ treated as equal, in the server’s order', async () => {
    const tools = await discoverMcpTools(fixture('fixture', { toolFilter: ['pid', 'env-keys'] }), { pool: runtime.mcp });
    expect(tools.map((tool) => tool.name)).toEqual(['env_keys', 'pid']);
  });
});

describe('results', () => {
  it('an isError result goes to the model as an error result, not a failure', async () => {
    expect(await call(mcpRequest(server, 'fail', {}))).toEqual({
      output: 'the widget is jammed',
      isError: true,
      durationMs: expect.any(Number),
      truncated: false,
    });
  });

  it('an unknown tool answered with a protocol error (-32602) is a non-retryable TOOL_REQUEST_INVALID', async () => {
    const error = await applicationFailureOf(call(mcpRequest(server, 'no_such_tool', {})));
    expect(error).toMatchObject({ type: 'TOOL_REQUEST_INVALID', nonRetryable: true });
    expect(error.message).toContain('Unknown tool: no_such_tool');
    // The connection survives a refused request.
    expect(runtime.mcp.connectionFor(server)).toBeDefined();
  });

  it('media are described, embedded text resources inlined, links named; no base64 reaches the output', async () => {
    const result = await call(mcpRequest(server, 'media', {}));
    expect(result.output).toBe(
      [
        '[image image/png, 3000 bytes]',
        '[audio audio/wav, 1234 bytes]',
        'embedded notes',
        '[resource file:///blob.bin (application/octet-stream, 10 bytes)]',
        '[resource file:///linked.md]',
      ].join('\n')
    );
  });

  it('cuts a long text result at 64 KiB with a marker', async () => {
    // Inline, as for an agent whose tool result may become its output (a stored one is a reference).
    const result = await call({ ...mcpRequest(server, 'big_text', { bytes: 100_000 }), inlineOutput: true });
    expect(result.truncated).toBe(true);
    expect(result.output).toBe(`${'x'.repeat(65_536)}…[truncated 34464 bytes]`);
  });

  it('a model input that is not an object is an error result, not a call', async () => {
    const result = await call(mcpRequest(server, 'pid', 'just text'));
    expect(result).toMatchObject({ isError: true, output: expect.stringContaining('expects a JSON object') });
  });
});

describe('timeouts and cancellation', () => {
  it('a call slower than the tool timeout is a retryable TOOL_TIMEOUT, and the connection stays usable', async () => {
    await call(mcpRequest(server, 'pid', {}));
    const pid = runtime.mcp.connectionFor(server)!.pid;
    const error = await applicationFailureOf(call(mcpRequest(server, 'slow', { ms: 5_000 }, { timeoutMs: 150 })));
    expect(error).toMatchObject({ type: 'TOOL_TIMEOUT', nonRetryable: false });
    const after = await call(mcpRequest(server, 'pid', {}));
    expect(Number(after.output)).toBe(pid);
  });

  it('a cancelled activity cancels the call and heartbeats until then', async () => {
    const env = new MockActivityEnvironment();
    const pending = call(mcpRequest(server, 'slow', { ms: 5_000 }), env);
    setTimeout(() => env.cancel(), 200);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(env.heartbeats.length).toBeGreaterThanOrEqual(3);
  });
});

describe('connection lifetime', () => {
  it('concurrent first calls share one connect (one process)', async () => {
    const fresh = fixture('concurrent');
    const results = await Promise.all(Array.from({ length: 5 }, () => call(mcpRequest(fresh, 'pid', {}))));
    const pids = new Set(results.map((result) => result.output));
    expect(pids.size).toBe(1);
    expect(Number([...pids][0])).toBe(runtime.mcp.connectionFor(fresh)!.pid);
  });

  it('closes a connection idle for idleTimeoutMs; a later call reconnects', async () => {
    const idle = fixture('idle', { idleTimeoutMs: 150 });
    const first = Number((await call(mcpRequest(idle, 'pid', {}))).output);
    expect(isAlive(first)).toBe(true);
    await waitFor(() => runtime.mcp.connectionFor(idle) === undefined, 3_000, 'idle eviction');
    await waitFor(() => !isAlive(first), 3_000, 'the idle server to exit');
    const second = Number((await call(mcpRequest(idle, 'pid', {}))).output);
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);
  });

  it('a changed configuration gets its own connection', async () => {
    const a = fixture('reconfigured', { env: [{ name: 'MODE', value: 'a', secretRef: null }] });
    const b = fixture('reconfigured', { env: [{ name: 'MODE', value: 'b', secretRef: null }] });
    expect((await call(mcpRequest(a, 'env_value', { name: 'MODE' }))).output).toBe('a');
    expect((await call(mcpRequest(b, 'env_value', { name: 'MODE' }))).output).toBe('b');
  });
});

describe('servers that do not start', () => {
  it('a missing command is a non-retryable TOOL_CONFIG_INVALID', async () => {
    const missing = fixture('missing', { command: '/nonexistent/bin/mcp-server-nowhere', args: [] });
    const error = await applicationFailureOf(call(mcpRequest(missing, 'pid', {})));
    expect(error).toMatchObject({ type: 'TOOL_CONFIG_INVALID', nonRetryable: true });
    expect(error.message).toContain('ENOENT');
  });

  it('a server that exits at start is a retryable TOOL_UNAVAILABLE carrying its stderr, secrets redacted', async () => {
    const crashing = fixture('crashing', {
      args: [FIXTURE, '--crash-on-start'],
      env: [{ name: 'API_TOKEN', value: null, secretRef: { namespace: 'default', name: 'fixture-token', key: 'value' } }],
    });
    const error = await applicationFailureOf(call(mcpRequest(crashing, 'pid', {})));
    expect(error).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
    expect(error.message).toContain('exit code 3');
    expect(error.message).toContain('fatal: cannot authenticate with token ***');
    expect(dumpFailure(error)).not.toContain('fixture-token-SECRET-123');
  });

  it('a server without a command is a non-retryable TOOL_CONFIG_INVALID', async () => {
    const error = await applicationFailureOf(call(mcpRequest(fixture('no-command', { command: null }), 'pid', {})));
    expect(error).toMatchObject({ type: 'TOOL_CONFIG_INVALID', nonRetryable: true });
  });
});

describe('tool names', () => {
  it('calls the server’s own spelling when the plan carries the -/_ variant (big-text → big_text)', async () => {
    const result = await call(mcpRequest(server, 'big-text', { bytes: 5 }));
    expect(result).toMatchObject({ isError: false, output: 'xxxxx' });
  });
});
