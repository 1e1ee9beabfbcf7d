/**
 * MCP tool names with `.`: Orloj writes both `_` and `.` as `-` in the name it generates
 * (`<server>--<tool>`), and orch's references, filters, plan keys and policy matching agree.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { generatedToolName, mcpToolKey, sameMcpToolName } from '../../contract/plan.ts';
import { checkToolCall } from '../../policies/gate.ts';
import { errorsOf, writeManifests } from './helpers.ts';

const bundle = (blocked: string) => `apiVersion: orloj.dev/v1
kind: McpServer
metadata: { name: files }
spec:
  transport: stdio
  command: files-server
  tool_filter: { include: [fs.read_text, fs.write] }
---
apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: reader }
spec: { model_ref: m, tools: [files--fs-read-text, files--fs-write] }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [reader] }
---
apiVersion: orloj.dev/v1
kind: AgentPolicy
metadata: { name: p }
spec: { apply_mode: global, blocked_tools: [${JSON.stringify(blocked)}] }
`;

describe('MCP tool names with dots', () => {
  it('fold like underscores, as Orloj generates them', () => {
    expect(mcpToolKey('fs.read_text')).toBe('fs-read-text');
    expect(generatedToolName('files', 'fs.read_text')).toBe('files--fs-read-text');
    expect(sameMcpToolName('fs.read_text', 'fs-read-text')).toBe(true);
    expect(sameMcpToolName('fs.read', 'fs_read')).toBe(true);
    expect(sameMcpToolName('fs.read', 'fsread')).toBe(false);
  });

  it('a reference <server>--fs-read-text finds the filter entry fs.read_text; the plan keeps the server-side name', async () => {
    const { bundle: file } = writeManifests({ bundle: bundle('nothing-blocked') });
    const { plan, diagnostics } = await compile([file!]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(plan!.agents['reader']!.tools).toEqual(['default/files--fs-read-text', 'default/files--fs-write']);
    expect(plan!.tools['default/files--fs-read-text']).toMatchObject({ name: 'files--fs-read-text', mcp: { server: 'default/files', tool: 'fs.read_text' } });
    expect(checkToolCall(plan!, 'reader', 'default/files--fs-read-text').allowed).toBe(true);
  });

  it.each(['fs.read_text', 'files--fs.read_text', 'files--fs-read-text', 'FS.Read.Text'])('blocked_tools %s blocks it, and only it', async (blocked) => {
    const { bundle: file } = writeManifests({ bundle: bundle(blocked) });
    const { plan, diagnostics } = await compile([file!]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(checkToolCall(plan!, 'reader', 'default/files--fs-read-text')).toMatchObject({ allowed: false, code: 'POLICY_DENIED' });
    expect(checkToolCall(plan!, 'reader', 'default/files--fs-write').allowed).toBe(true);
  });
});
