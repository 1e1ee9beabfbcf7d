/** `orch tools` and `orch validate --discover`: MCP servers are really started and asked. */
import { describe, expect, it } from 'vitest';
import { diagnosticHeads, orch, singleJson, STACK_FRAME, writeFixtures } from './cli-harness.ts';

describe('orch tools', () => {
  it('lists what the example agent can call, as the model will see it', async () => {
    const { code, stdout } = await orch(['tools', 'examples/mcp-filesystem', '--json'], { temporal: false });
    expect(code).toBe(0);
    const { tools } = singleJson(stdout);
    expect(tools.map((t: { name: string }) => t.name).sort()).toEqual(['files--list-directory', 'files--read-text-file']);
    expect(tools.every((t: { type: string; description: string }) => t.type === 'mcp' && t.description.length > 0)).toBe(true);
  });

  it('prints one line per tool without --json', async () => {
    const { code, stdout } = await orch(['tools', 'examples/mcp-filesystem'], { temporal: false });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]).sort()).toEqual(['files--list-directory', 'files--read-text-file']);
  });
});

describe('orch validate --discover', () => {
  const manifests = (command: string, tool: string) =>
    writeFixtures({
      'system.yaml': [
        'apiVersion: orch/v1',
        'kind: McpServer',
        'metadata:',
        '  name: files',
        'spec:',
        '  transport: stdio',
        `  command: ${command}`,
        '  args: [examples]',
        '---',
        'apiVersion: orch/v1',
        'kind: ModelEndpoint',
        'metadata:',
        '  name: m',
        'spec:',
        '  provider: mock',
        '---',
        'apiVersion: orch/v1',
        'kind: Agent',
        'metadata:',
        '  name: reader',
        'spec:',
        '  model_ref: m',
        `  tools: [${tool}]`,
        '',
      ].join('\n'),
    });
  const BIN = 'node_modules/.bin/mcp-server-filesystem';

  it('passes when every referenced tool is offered', async () => {
    const dir = manifests(`${process.cwd()}/${BIN}`, 'files--read-text-file');
    const { code } = await orch(['validate', dir, '--discover'], { temporal: false });
    expect(code).toBe(0);
  });

  it('locates a reference to a tool the server does not offer', async () => {
    const dir = manifests(`${process.cwd()}/${BIN}`, 'files--delete-everything');
    const { code, stderr } = await orch(['validate', dir, '--discover'], { temporal: false });
    expect(code).toBe(1);
    expect(diagnosticHeads(stderr)).toEqual([`${dir}/system.yaml:23:11: error UNKNOWN_MCP_TOOL`]);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('locates a server that cannot be started', async () => {
    const dir = manifests('/nonexistent/mcp-server', 'files--read-text-file');
    const { code, stderr } = await orch(['validate', dir, '--discover'], { temporal: false });
    expect(code).toBe(1);
    expect(diagnosticHeads(stderr)).toEqual([`${dir}/system.yaml:4:9: error MCP_DISCOVERY_FAILED`]);
  });
});
