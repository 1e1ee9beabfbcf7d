/**
 * MCP over stdio against @modelcontextprotocol/server-filesystem on a temporary
 * directory: list, read, write.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivityRuntime } from '../../activities/index.ts';
import type { ToolCallRequest } from '../../contract/activity-io.ts';
import { mcpRequest, planMcpServer } from '../helpers/activity-fixtures.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'orch-mcp-fs-')));
writeFileSync(join(root, 'notes.txt'), 'remember the milk\n');
const server = planMcpServer({
  id: { namespace: 'default', name: 'fs' },
  command: resolve('node_modules/.bin/mcp-server-filesystem'),
  args: [root],
});
const runtime = createActivityRuntime({ env: { PATH: process.env.PATH! } });
afterAll(async () => {
  await runtime.close();
  rmSync(root, { recursive: true, force: true });
});

function call(request: ToolCallRequest) {
  return new MockActivityEnvironment().run(runtime.activities.callTool, request);
}

describe('server-filesystem over stdio', () => {
  it('offers read_file, write_file and list_directory', async () => {
    const tools = await new MockActivityEnvironment().run(runtime.activities.listMcpTools, { server });
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['read_file', 'read_text_file', 'write_file', 'list_directory']));
  });

  it('lists the directory', async () => {
    const result = await call(mcpRequest(server, 'list_directory', { path: root }));
    // The server answers structuredContent `{content}`, which is what the model gets.
    expect(result).toMatchObject({ isError: false, output: { content: '[FILE] notes.txt' } });
  });

  it('reads a file', async () => {
    const result = await call(mcpRequest(server, 'read_text_file', { path: join(root, 'notes.txt') }));
    expect(result.output).toEqual({ content: 'remember the milk\n' });
  });

  it('writes a file when called (blocking writes is the policy’s job, not the activity’s)', async () => {
    const result = await call(mcpRequest(server, 'write_file', { path: join(root, 'out.txt'), content: 'written by orch' }));
    expect(result.isError).toBe(false);
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('written by orch');
  });

  it('a path outside the allowed directory is the server’s error result, for the model', async () => {
    const result = await call(mcpRequest(server, 'read_text_file', { path: '/etc/hostname' }));
    expect(result.isError).toBe(true);
    expect(String(result.output)).toMatch(/denied|outside|not allowed/i);
  });
});
