/**
 * MCP in the plan: `Plan.mcpServers`, compile-time discovery through an injected `discover`
 * (a fake here: the compiler does no MCP I/O), and the diagnostics discovery adds.
 */
import { describe, expect, it } from 'vitest';
import type { McpToolDescription } from '../../contract/activity-io.ts';
import { compile, planHash, validate } from '../../compiler/index.ts';
import type { PlanMcpServer } from '../../contract/plan.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture, ORLOJ_CORPUS } from './helpers.ts';

const tool = (name: string, description = `${name} tool`): McpToolDescription => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { [`${name}_arg`]: { type: 'string' } } },
});

/** What each fake server offers, by server name; a string is the error its discovery rejects with. */
type Catalog = Record<string, McpToolDescription[] | string>;

/** A fake `discover` that records its calls and how many ran at once. */
function fakeDiscover(catalog: Catalog, delays: Record<string, number> = {}) {
  const calls: PlanMcpServer[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const discover = async (server: PlanMcpServer): Promise<McpToolDescription[]> => {
    calls.push(server);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, delays[server.id.name] ?? 5));
      const entry = catalog[server.id.name];
      if (entry === undefined) throw new Error(`no fake server ${server.id.name}`);
      if (typeof entry === 'string') throw new Error(entry);
      return entry;
    } finally {
      inFlight -= 1;
    }
  };
  return { discover, calls, maxInFlight: () => maxInFlight };
}

const everythingTools = [tool('echo', 'Echoes the message back'), tool('get-sum', 'Adds two numbers'), tool('print-env', 'Prints the environment')];
const discoveryCatalog: Catalog = {
  everything: everythingTools,
  remote: [tool('search_docs', 'Searches the docs'), tool('delete_docs')],
  keyed: [tool('whoami')],
};

describe('Plan.mcpServers', () => {
  it('carries every server an MCP tool of the plan lives on, with defaults, and no secret values', async () => {
    const { plan, diagnostics, secrets } = await compile([fixture('mcp-discovery')]);
    expect(diagnostics).toEqual([]);
    // `keyed` has no tool in the plan, so it is not there.
    expect(Object.keys(plan!.mcpServers).sort()).toEqual(['default/everything', 'default/remote']);
    expect(plan!.mcpServers['default/everything']).toEqual({
      id: { namespace: 'default', name: 'everything' },
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      env: [
        { name: 'API_KEY', value: null, secretRef: { namespace: 'default', name: 'everything-token', key: 'value' } },
        { name: 'MODE', value: 'test', secretRef: null },
      ],
      endpoint: null,
      auth: null,
      toolFilter: ['echo', 'get_sum'],
      idleTimeoutMs: 300_000,
      reconnect: { maxAttempts: 3, backoffMs: 2000 },
    });
    expect(plan!.mcpServers['default/remote']).toEqual({
      id: { namespace: 'default', name: 'remote' },
      transport: 'http',
      command: null,
      args: [],
      env: [],
      endpoint: 'https://mcp.example.test/mcp',
      auth: { profile: 'bearer', secretRef: { namespace: 'default', name: 'remote-token', key: 'value' }, headerName: null, tokenUrl: null, scopes: [] },
      toolFilter: [],
      idleTimeoutMs: 30_000,
      reconnect: { maxAttempts: 5, backoffMs: 500 },
    });
    // Without discover, MCP tools are left to run-time discovery.
    for (const key of ['default/everything--echo', 'default/everything--get-sum', 'default/lookup']) {
      expect(plan!.tools[key]?.mcp?.discovered).toBe(false);
    }
    expect(plan!.tools['default/lookup']?.mcp).toEqual({ server: 'default/remote', tool: 'search_docs', discovered: false });
    // The secret values travel beside the plan (for workers), never inside it.
    expect(secrets['default/everything-token']).toEqual({ value: 'sk-super-secret-everything' });
    const json = JSON.stringify(plan);
    expect(json).not.toContain('sk-super-secret-everything');
    expect(json).not.toContain('sk-super-secret-remote');
  });

  it('normalizes McpServer auth like Tool auth', async () => {
    const { resources } = await validate([fixture('mcp-discovery')]);
    const byName = Object.fromEntries(resources.mcpServers.map((s) => [s.name, s.spec.auth]));
    expect(byName['remote']).toEqual({ profile: 'bearer', secretRef: 'remote-token', headerName: null, tokenUrl: null, scopes: [] });
    expect(byName['keyed']).toMatchObject({ profile: 'api_key_header', headerName: 'X-Api-Key' });
    expect(byName['everything']).toBeNull();
  });

  it('14-mcp-tool-smoke with a mock model: stdio npx server, filter [echo, get-sum], reconnect 3 / 2s', async () => {
    const fake = fakeDiscover({ 'rr-real-mcp-everything': everythingTools });
    const { plan, diagnostics } = await compile([`${ORLOJ_CORPUS}/testing/scenarios-real/14-mcp-tool-smoke`], {
      overrides: [fixture('mcp-smoke-mock-model')],
      discover: fake.discover,
    });
    // Its Task's message_retry jitter is accepted, not enforced.
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['ACCEPTED_NOT_ENFORCED', ['spec', 'message_retry', 'jitter']]]);
    expect(plan!.models['rr-real-mcp/rr-real-model-default']?.provider).toBe('mock');
    expect(plan!.mcpServers).toEqual({
      'rr-real-mcp/rr-real-mcp-everything': {
        id: { namespace: 'rr-real-mcp', name: 'rr-real-mcp-everything' },
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-everything'],
        env: [],
        endpoint: null,
        auth: null,
        toolFilter: ['echo', 'get-sum'],
        idleTimeoutMs: 300_000,
        reconnect: { maxAttempts: 3, backoffMs: 2000 },
      },
    });
    expect(fake.calls).toEqual([plan!.mcpServers['rr-real-mcp/rr-real-mcp-everything']]);
    expect(plan!.tools['rr-real-mcp/rr-real-mcp-everything--get-sum']).toMatchObject({
      description: 'Adds two numbers',
      inputSchema: everythingTools[1]!.inputSchema,
      mcp: { server: 'rr-real-mcp/rr-real-mcp-everything', tool: 'get-sum', discovered: true },
    });
    expect(plan!.tools['rr-real-mcp/rr-real-mcp-everything--echo']?.mcp?.discovered).toBe(true);
  });
});

describe('compile-time discovery', () => {
  it('describes MCP tools from what the servers offer, calling each server once, in parallel', async () => {
    const fake = fakeDiscover(discoveryCatalog);
    const { plan, diagnostics } = await compile([fixture('mcp-discovery')], { discover: fake.discover });
    expect(diagnostics).toEqual([]);
    expect(fake.calls.map((s) => s.id.name).sort()).toEqual(['everything', 'remote']);
    expect(fake.maxInFlight()).toBe(2);
    expect(plan!.tools['default/everything--echo']).toMatchObject({
      description: 'Echoes the message back',
      inputSchema: { type: 'object', properties: { echo_arg: { type: 'string' } } },
      mcp: { server: 'default/everything', tool: 'echo', discovered: true },
    });
    // The filter spells it get_sum, the server get-sum: the same tool; the plan keeps the server's spelling.
    expect(plan!.tools['default/everything--get-sum']).toMatchObject({
      description: 'Adds two numbers',
      mcp: { server: 'default/everything', tool: 'get-sum', discovered: true },
    });
    expect(plan!.tools['default/lookup']).toMatchObject({
      description: 'Searches the docs',
      inputSchema: { type: 'object', properties: { search_docs_arg: { type: 'string' } } },
      riskLevel: 'medium',
      mcp: { server: 'default/remote', tool: 'search_docs', discovered: true },
    });
    expect(plan!.hash).toBe(planHash(plan!));
  });

  it('keeps the plan hash deterministic whatever order the servers answer in', async () => {
    const slowFirst = await compile([fixture('mcp-discovery')], { discover: fakeDiscover(discoveryCatalog, { everything: 20, remote: 1 }).discover });
    const slowLast = await compile([fixture('mcp-discovery')], { discover: fakeDiscover(discoveryCatalog, { everything: 1, remote: 20 }).discover });
    const undiscovered = await compile([fixture('mcp-discovery')]);
    expect(slowFirst.plan!.hash).toBe(slowLast.plan!.hash);
    expect(JSON.stringify(slowFirst.plan)).toBe(JSON.stringify(slowLast.plan));
    expect(slowFirst.plan!.hash).not.toBe(undiscovered.plan!.hash);
  });

  it('UNKNOWN_MCP_TOOL at each reference to a tool the server does not offer after its filter; MCP_DISCOVERY_FAILED at the server name', async () => {
    const file = fixture('mcp-discovery-errors/bundle.yaml');
    const fake = fakeDiscover({
      open: [tool('echo'), tool('print-env')],
      filtered: [tool('echo'), tool('get-sum')],
      broken: 'connect ECONNREFUSED 127.0.0.1:9\n    at TCPConnectWrap.afterConnect',
    });
    const { plan, diagnostics } = await compile([fixture('mcp-discovery-errors')], { discover: fake.discover });
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['MCP_DISCOVERY_FAILED', 'UNKNOWN_MCP_TOOL', 'UNKNOWN_MCP_TOOL', 'UNKNOWN_MCP_TOOL']);
    const failed = expectDiagnostic(diagnostics, { code: 'MCP_DISCOVERY_FAILED', file, line: 29, column: 9 });
    expect(failed.message).toContain('ECONNREFUSED');
    expect(failed.message).not.toContain('\n');
    // The Tool's mcp_tool_name, then the agent's tools entries; broken--anything is not checked (its server failed).
    const ghost = expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 41, column: 18 });
    expect(ghost.path).toEqual(['spec', 'mcp_tool_name']);
    expect(ghost.message).toContain('echo, print-env');
    const missing = expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 51, column: 7 });
    expect(missing.path).toEqual(['spec', 'tools', 1]);
    // The filter allows not_there, but the server does not have it: only echo is offered after the filter.
    const filtered = expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 52, column: 7 });
    expect(filtered.message).toContain(': echo)');
    expect(filtered.message).not.toContain('get-sum');
  });

  it('without discover: no calls, no new diagnostics, tools left undiscovered', async () => {
    const { plan, diagnostics } = await compile([fixture('mcp-discovery-errors')]);
    expect(diagnostics).toEqual([]);
    expect(Object.values(plan!.tools).every((t) => t.mcp?.discovered === false)).toBe(true);
    const validated = await validate([fixture('mcp-discovery-errors')]);
    expect(validated.diagnostics).toEqual([]);
    expect(validated.mcpTools).toEqual({});
  });

  it('a discover that throws synchronously is a failed discovery, not a crash', async () => {
    const discover = (server: PlanMcpServer): Promise<McpToolDescription[]> => {
      throw new Error(`cannot start ${server.command}`);
    };
    const { plan, diagnostics } = await compile([fixture('mcp-discovery')], { discover });
    expect(plan).toBeNull();
    expect(codesOf(errorsOf(diagnostics))).toEqual(['MCP_DISCOVERY_FAILED', 'MCP_DISCOVERY_FAILED']);
    expectDiagnostic(diagnostics, { code: 'MCP_DISCOVERY_FAILED', file: fixture('mcp-discovery/bundle.yaml'), line: 29, column: 9 });
  });
});

describe('validate with discover', () => {
  it('discovers every McpServer and returns what each offers after its filter as mcpTools', async () => {
    const fake = fakeDiscover(discoveryCatalog);
    const { diagnostics, mcpTools } = await validate([fixture('mcp-discovery')], { discover: fake.discover });
    expect(diagnostics).toEqual([]);
    expect(fake.calls.map((s) => s.id.name).sort()).toEqual(['everything', 'keyed', 'remote']);
    expect(fake.maxInFlight()).toBe(3);
    expect(mcpTools).toEqual({
      'default/everything': everythingTools.slice(0, 2),
      'default/remote': discoveryCatalog['remote'],
      'default/keyed': discoveryCatalog['keyed'],
    });
  });

  it('reports the same diagnostics as compile and leaves failed servers out of mcpTools', async () => {
    const file = fixture('mcp-discovery-errors/bundle.yaml');
    const fake = fakeDiscover({ open: [tool('echo'), tool('print-env')], filtered: [tool('echo')], broken: 'unreachable' });
    const { diagnostics, mcpTools } = await validate([fixture('mcp-discovery-errors')], { discover: fake.discover });
    expect(codesOf(diagnostics)).toEqual(['MCP_DISCOVERY_FAILED', 'UNKNOWN_MCP_TOOL', 'UNKNOWN_MCP_TOOL', 'UNKNOWN_MCP_TOOL']);
    expectDiagnostic(diagnostics, { code: 'MCP_DISCOVERY_FAILED', file, line: 29, column: 9 });
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 41, column: 18 });
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 51, column: 7 });
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_MCP_TOOL', file, line: 52, column: 7 });
    expect(Object.keys(mcpTools).sort()).toEqual(['default/filtered', 'default/open']);
  });
});

describe('unsupported tool types', () => {
  const types = ['grpc', 'queue', 'wasm', 'webhook-callback', 'external', 'cli'];

  it.each(types.map((type, index) => [type, index] as const))('%s: UNSUPPORTED_TOOL_TYPE at the type value, naming http and mcp', async (_type, index) => {
    const { diagnostics } = await validate([fixture('unsupported-tool-types')]);
    expect(codesOf(diagnostics)).toEqual(types.map(() => 'UNSUPPORTED_TOOL_TYPE'));
    const found = expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_TOOL_TYPE', file: fixture('unsupported-tool-types/tools.yaml'), line: 6 + 7 * index, column: 9 });
    expect(found.severity).toBe('error');
    expect(found.message).toMatch(/supported: http, mcp/);
  });
});
