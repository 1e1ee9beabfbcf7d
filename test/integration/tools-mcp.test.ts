/**
 * MCP tools end to end on a real dev server, against MCP servers other teams wrote:
 * server-everything and server-filesystem from npm over stdio, and a streamable-HTTP server
 * built with the SDK's server classes. Includes an MCP server killed in the middle of a run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compile } from '../../compiler/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

const BIN = resolve('node_modules/.bin');
const HTTP_TOKEN = 'mcp-http-token-31337';
let harness: Harness;
// Read by the worker at call time: the token's binding is set once its server listens.
const workerEnv: NodeJS.ProcessEnv = { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true', ORCH_SECRET_LOOKUP_TOKEN: HTTP_TOKEN };

beforeAll(async () => {
  harness = await startHarness({ env: workerEnv });
});
afterAll(async () => harness?.stop());

/** Compiles `resources` as overrides of a corpus folder, or on their own when there is none. */
async function compiled(paths: string[], resources: object[]): Promise<Plan> {
  const file = writeOverride(resources);
  const plan = await compileOk(paths.length > 0 ? paths : [file], paths.length > 0 ? { overrides: [file] } : {});
  return plan!;
}

const doc = (kind: string, name: string, spec: object, namespace = 'default') => ({ apiVersion: 'orch/v1', kind, metadata: { name, namespace }, spec });

describe('MCP over stdio', () => {
  it('14-mcp-tool-smoke: server-everything, filtered to echo and get-sum, both called', async () => {
    const ns = 'rr-real-mcp';
    const plan = await compiled([`${CORPUS}/testing/scenarios-real/14-mcp-tool-smoke`], [
      mockEndpoint(ns, 'rr-real-model-default', {
        'rr-real-mcp-tool-agent': [
          {
            tool_calls: [
              { tool: 'rr-real-mcp-everything--echo', input: { message: 'mcp-smoke-test-marker' } },
              { tool: 'rr-real-mcp-everything--get-sum', input: { a: 17, b: 25 } },
            ],
          },
        ],
      }),
      // The scenario runs `npx -y @modelcontextprotocol/server-everything`; here the installed copy.
      doc('McpServer', 'rr-real-mcp-everything', { transport: 'stdio', command: `${BIN}/mcp-server-everything`, tool_filter: { include: ['echo', 'get-sum'] } }, ns),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');

    const calls = activitiesOf(await run.handle.fetchHistory());
    const listing = calls.filter((c) => c.type === 'listMcpTools');
    expect(listing).toHaveLength(1);
    expect(listing[0]!.result.map((t: { name: string }) => t.name).sort()).toEqual(['echo', 'get-sum']);
    const model = calls.find((c) => c.type === 'callModel')!;
    expect(model.input.tools.map((t: { name: string }) => t.name).sort()).toEqual(['rr-real-mcp-everything--echo', 'rr-real-mcp-everything--get-sum']);
    expect(model.input.tools.every((t: { description: string }) => t.description.length > 0)).toBe(true);

    const tools = calls.filter((c) => c.type === 'callTool');
    expect(tools.map((c) => c.summary)).toEqual(['rr-real-mcp-tool-agent · rr-real-mcp-everything--echo', 'rr-real-mcp-tool-agent · rr-real-mcp-everything--get-sum']);
    expect(JSON.stringify(tools[0]!.result.output)).toContain('mcp-smoke-test-marker');
    expect(JSON.stringify(tools[1]!.result.output)).toContain('42');
    expect(JSON.stringify(outcome.output)).toContain('mcp-smoke-test-marker');
  });

  it('server-filesystem: reading is allowed; a write blocked by policy is never executed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orch-fs-'));
    writeFileSync(join(folder, 'notes.txt'), 'filesystem marker 7');
    const target = join(folder, 'written.txt');
    const plan = await compiled([], [
      mockEndpoint('default', 'scripted', {
        archivist: [
          { tool_calls: [{ tool: 'fs--read-text-file', input: { path: join(folder, 'notes.txt') } }] },
          { tool_calls: [{ tool: 'fs--write-file', input: { path: target, content: 'should never exist' } }] },
        ],
      }),
      doc('McpServer', 'fs', { transport: 'stdio', command: `${BIN}/mcp-server-filesystem`, args: [folder] }),
      doc('Agent', 'archivist', { model_ref: 'scripted', prompt: 'archive', tools: ['fs--read-text-file', 'fs--write-file'] }),
      doc('AgentSystem', 'archive', { agents: ['archivist'] }),
      doc('AgentPolicy', 'read-only-files', { apply_mode: 'global', blocked_tools: ['fs--write-file'] }),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'archivist' } });
    const calls = activitiesOf(await run.handle.fetchHistory());
    const toolCalls = calls.filter((c) => c.type === 'callTool');
    expect(toolCalls.map((c) => c.input.call.name)).toEqual(['fs--read-text-file']);
    expect(JSON.stringify(toolCalls[0]!.result.output)).toContain('filesystem marker 7');
    expect(existsSync(target)).toBe(false);
  });

  it('an MCP server killed mid-run is restarted on a fresh connection and the run completes', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orch-fs-kill-'));
    writeFileSync(join(folder, 'a.txt'), 'first read');
    writeFileSync(join(folder, 'b.txt'), 'second read');
    const plan = await compiled([], [
      mockEndpoint('default', 'scripted', {
        reader: [
          { tool_calls: [{ tool: 'fs--read-text-file', input: { path: join(folder, 'a.txt') } }] },
          // While the model "thinks", the test kills the server process.
          { tool_calls: [{ tool: 'fs--read-text-file', input: { path: join(folder, 'b.txt') } }], latency: '2s' },
          { text: 'read both' },
        ],
      }),
      doc('McpServer', 'fs', { transport: 'stdio', command: `${BIN}/mcp-server-filesystem`, args: [folder], reconnect: { max_attempts: 3, backoff: '200ms' } }),
      doc('Agent', 'reader', { model_ref: 'scripted', prompt: 'read', tools: ['fs--read-text-file'] }),
      doc('AgentSystem', 'reading', { agents: ['reader'] }),
    ]);
    const run = await harness.client.start(plan);
    const serverPids = async (): Promise<number[]> => {
      try {
        return execFileSync('pgrep', ['-f', folder], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    let before: number[] = [];
    for (let i = 0; i < 100 && before.length === 0; i++) {
      const done = activitiesOf(await run.handle.fetchHistory()).some((c) => c.type === 'callTool' && c.completed);
      if (done) before = await serverPids();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(before.length).toBeGreaterThan(0);
    for (const pid of before) process.kill(pid, 'SIGKILL');

    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    const toolCalls = activitiesOf(await run.handle.fetchHistory()).filter((c) => c.type === 'callTool');
    expect(toolCalls).toHaveLength(2);
    expect(JSON.stringify(toolCalls[1]!.result.output)).toContain('second read');
    const after = await serverPids();
    expect(after.some((pid) => !before.includes(pid))).toBe(true);
  });
});

describe('the MCP example', () => {
  it('examples/mcp-filesystem lists and reads through server-filesystem', async () => {
    const { plan } = await compile(['examples/mcp-filesystem']);
    const outcome = await (await harness.client.start(plan!)).result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage.total).toMatchObject({ toolCalls: 2, toolErrors: 0 });
    expect(JSON.stringify(outcome.output)).toContain('name: research-pipeline');
  });
});

describe('MCP over streamable HTTP', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // A stateless streamable-HTTP MCP server: a fresh McpServer and transport per request.
    server = createServer(async (request, response) => {
      if (request.headers.authorization !== `Bearer ${HTTP_TOKEN}`) {
        response.writeHead(401).end();
        return;
      }
      const mcp = new McpServer({ name: 'lookup-service', version: '1.0.0' });
      mcp.registerTool(
        'lookup_incident',
        { description: 'Looks up an incident by id', inputSchema: { id: z.string() } },
        async ({ id }) => ({ content: [{ type: 'text', text: `incident ${id}: database failover, resolved` }] })
      );
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      response.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(request, response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    workerEnv.ORCH_SECRET_LOOKUP_TOKEN_DESTINATIONS = url;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });

  it('discovers and calls a tool with bearer auth from a secret', async () => {
    const plan = await compiled([], [
      mockEndpoint('default', 'scripted', { responder: [{ tool_calls: [{ tool: 'incidents--lookup-incident', input: { id: 'INC-42' } }] }] }),
      doc('McpServer', 'incidents', { transport: 'http', endpoint: url, auth: { secretRef: 'lookup-token' } }),
      doc('Agent', 'responder', { model_ref: 'scripted', prompt: 'respond', tools: ['incidents--lookup-incident'] }),
      doc('AgentSystem', 'incident-response', { agents: ['responder'] }),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(JSON.stringify(outcome.output)).toContain('incident INC-42: database failover');
    const history = historyText(await run.handle.fetchHistory());
    expect(history).toContain('INC-42');
    expect(history).not.toContain(HTTP_TOKEN);
  });
});
