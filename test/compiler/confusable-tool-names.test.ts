/**
 * CONFUSABLE_TOOL_NAME: a tool name that looks like a blocked one without being the same name
 * after normalization is a located error, in `validate` and in `compile`, reported where the
 * look-alike letters are written. Names that are the same after normalization are not errors:
 * they are simply blocked.
 */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture } from './helpers.ts';

const DIR = fixture('confusable-tool-names');
const FILE = `${DIR}/system.yaml`;

describe('CONFUSABLE_TOOL_NAME', () => {
  it('is reported at each look-alike name: a Tool, an mcp_tool_name, MCP tools an agent lists, a blocked_tools entry', async () => {
    const { diagnostics } = await validate([DIR]);
    expect(codesOf(errorsOf(diagnostics))).toEqual(Array(5).fill('CONFUSABLE_TOOL_NAME'));
    const tool = expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file: FILE, line: 27, column: 9 });
    expect(tool.path).toEqual(['metadata', 'name']);
    expect(tool.message).toContain('Tool default/wrіte-file "wrіte-file" looks like blocked_tools entry of AgentPolicy default/no-writes "write_file"');
    expect(tool.message).toContain('U+0456');
    const mcpName = expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file: FILE, line: 39, column: 18 });
    expect(mcpName.path).toEqual(['spec', 'mcp_tool_name']);
    // The fullwidth ｗ is a plain w after NFKC; only the Cyrillic і is named.
    expect(mcpName.message).toMatch(/it has U\+0456\)/);
    const server = expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file: FILE, line: 48, column: 7 });
    expect(server.message).toContain('"fѕ--write-file" looks like blocked_tools entry of AgentPolicy default/no-writes "fs--write-file"');
    expect(server.message).toContain('U+0455');
    expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file: FILE, line: 49, column: 7 });
    const entry = expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file: FILE, line: 60, column: 7 });
    expect(entry.path).toEqual(['spec', 'blocked_tools', 3]);
    expect(entry.message).toContain('"wrіte_fіle" looks like blocked_tools entry of AgentPolicy default/no-writes "write_file"');
  });

  it('fails compile: no plan', async () => {
    const { plan, diagnostics } = await compile([DIR]);
    expect(plan).toBeNull();
    expect(codesOf(errorsOf(diagnostics))).toEqual(Array(5).fill('CONFUSABLE_TOOL_NAME'));
  });

  it('a spelling that is the same name after normalization (fullwidth, case, separators) is no error', async () => {
    const { diagnostics } = await validate([DIR]);
    // `ＷＲＩＴＥ－ＦＩＬＥ` (line 59) and the agent's `fs--read-file` (line 47) are fine.
    expect(diagnostics.filter((d) => d.location?.line === 59 || d.location?.line === 47)).toEqual([]);
    const aliases = await compile([fixture('tool-aliases')]);
    expect(errorsOf(aliases.diagnostics)).toEqual([]);
  });

  it('the plan carries what each blocked_tools entry names by identity', async () => {
    const { plan } = await compile([fixture('tool-aliases')]);
    expect(plan!.governance.policies[0]!.blockedToolIdentities).toEqual([
      { entry: 'publish', identities: ['http https://api.example.com/v1/publish'] },
      { entry: 'Fs.Write_File', identities: ['mcp default/fs write-file', `mcp stdio ${JSON.stringify(['node', 'fs-server.mjs', '/data'])} write-file`] },
    ]);
  });
});
