/**
 * Tool identity, piece by piece: how names fold, which names look alike, how endpoints and MCP
 * servers become identities. Pure functions, no plan.
 */
import { describe, expect, it } from 'vitest';
import {
  compareToolNames,
  foldToolName,
  generatedEntryTool,
  hasLookAlikes,
  lookAlikeCodePoints,
  mcpServerProgram,
  mcpToolIdentities,
  normalizeEndpoint,
  toolFacts,
  type McpServerShape,
} from '../../policies/tool-identity.ts';

describe('names fold to one spelling', () => {
  it.each([
    ['write_file', 'write-file'],
    ['fs--write-file', 'fs-write-file'],
    ['fs.write_file', 'fs-write-file'],
    ['FS--Write-File', 'fs-write-file'],
    ['fs__write__file', 'fs-write-file'],
    ['ｆｓ－－ｗｒｉｔｅ＿ｆｉｌｅ', 'fs-write-file'],
    ['𝐰𝐫𝐢𝐭𝐞_file', 'write-file'],
    ['write\u200B_file', 'write-file'],
    ['write\u00ADfile', 'writefile'],
    ['write\u2010file', 'write-file'],
    ['-write-file_', 'write-file'],
    ['Straße', 'strasse'],
    ['default/Search', 'default/search'],
  ])('%s folds to %s', (name, folded) => {
    expect(foldToolName(name)).toBe(folded);
  });
});

describe('names compare: the same, confusable, or different', () => {
  it.each([
    ['write_file', 'WRITE-FILE', 'same'],
    ['write_file', 'ｗｒｉｔｅ＿ｆｉｌｅ', 'same'],
    ['write_file', 'wrіte_file', 'confusable'], // Cyrillic і
    ['fs--write-file', 'fѕ--write-file', 'confusable'], // Cyrillic ѕ
    ['write_file', 'wrіte_fіle', 'confusable'],
    ['search', 'ѕеаrсh', 'confusable'], // Cyrillic ѕ е а р с
    ['download', 'dοwnlοad', 'confusable'], // Greek ο
    ['payment', 'pαyment', 'confusable'], // Greek α
    ['move', 'mονe', 'confusable'], // Greek ο ν
    ['HTTP-get', 'ΗΤΤΡ-get', 'confusable'], // Greek capitals Η Τ Ρ: look-alikes only in upper case
    ['jobs', 'јоbѕ', 'confusable'], // Cyrillic ј о ѕ
    ['exec', 'ехес', 'confusable'], // Cyrillic е х е с
    ['delete', 'dеlеtе', 'confusable'],
    ['delete', 'ԁelete', 'confusable'], // Cyrillic ԁ
    ['gzip', 'ɡzip', 'confusable'], // Latin script ɡ
    ['file', 'fi1e', 'confusable'],
    ['résumé', 'resume', 'confusable'],
    ['write_file', 'read_file', 'different'],
    ['search', 'sear', 'different'],
    ['поиск', 'search', 'different'],
  ])('%s vs %s: %s', (a, b, expected) => {
    expect(compareToolNames(a, b)).toBe(expected);
    expect(compareToolNames(b, a)).toBe(expected);
  });

  it('says which letters are not what they look like', () => {
    expect(hasLookAlikes('wrіte_file')).toBe(true);
    expect(hasLookAlikes('ｗｒｉｔｅ_file')).toBe(false);
    expect(lookAlikeCodePoints('ｗrite_fіle')).toEqual(['U+0456']);
    expect(lookAlikeCodePoints('fѕ--write-file')).toEqual(['U+0455']);
  });
});

describe('HTTP endpoints normalize', () => {
  const same = 'https://api.example.com/v1/publish';
  it.each([
    ['https://api.example.com/v1/publish'],
    ['HTTPS://API.Example.COM/v1/publish'],
    ['https://api.example.com:443/v1/publish'],
    ['https://api.example.com./v1/publish'],
    ['https://user:secret@api.example.com/v1/publish'],
    ['https://api.example.com/v1//publish/'],
    ['https://api.example.com/v1/./x/../publish'],
    ['https://api.example.com/v1/%70ublish'],
    ['https://api.example.com/V1/Publish'],
    ['https://api.example.com/v1/publish?dry_run=1#top'],
    ['  https://api.example.com/v1/publish  '],
  ])('%s is the same endpoint', (url) => {
    expect(normalizeEndpoint(url)).toBe(same);
  });

  it.each([
    ['http://api.example.com/v1/publish'],
    ['https://api.example.com:8443/v1/publish'],
    ['https://api.example.org/v1/publish'],
    ['https://api.example.com/v1/search'],
    ['https://api.example.com/v1/publish%3Fx'],
  ])('%s is another endpoint', (url) => {
    expect(normalizeEndpoint(url)).not.toBe(same);
  });

  it('keeps a non-default port and IPv6 hosts', () => {
    expect(normalizeEndpoint('http://[2001:db8::1]:8080/x')).toBe('http://[2001:db8::1]:8080/x');
    expect(normalizeEndpoint('http://127.0.0.1:80')).toBe('http://loopback/');
  });

  // Spellings `fetch` sends to the very same address and path (found by a red-team run).
  const loopback = 'http://loopback:28480/tool/record';
  it.each([
    ['http://127.0.0.1:28480/tool/record'],
    ['http://2130706433:28480/tool/record'],
    ['http://127.1:28480/tool/record'],
    ['http://0x7f.0.0.1:28480/tool/record'],
    ['http://0177.0.0.1:28480/tool/record'],
    ['http://127.0.0.%31:28480/tool/record'],
    ['http://127.0.0.1:28480\\tool\\record'],
    ['http://127.0.0.1:28480/tool/rec\tord'],
    ['http://localhost:28480/tool/record'],
    ['http://app.localhost:28480/tool/record'],
    ['http://[::1]:28480/tool/record'],
    ['http://0.0.0.0:28480/tool/record'],
    ['http://[::ffff:127.0.0.1]:28480/tool/record'],
    ['http://[::ffff:7f00:1]:28480/tool/record'],
    ['http://127.0.0.1:28480/tool/record;jsessionid=1'],
    ['http://127.0.0.1:28480/tool%2Frecord'],
    ['http://127.0.0.1:28480/tool/%2e%2e/tool/record'],
    ['http://127.0.0.1:28480/tool/%252e%252e/tool/record'],
  ])('%s reaches the same endpoint', (url) => {
    expect(normalizeEndpoint(url)).toBe(loopback);
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address', () => {
    expect(normalizeEndpoint('https://[::ffff:10.1.2.3]/x')).toBe(normalizeEndpoint('https://10.1.2.3/x'));
    expect(normalizeEndpoint('https://167837955/x')).toBe('https://10.1.1.3/x');
  });
});

describe('identities', () => {
  const fs: McpServerShape = { id: { namespace: 'default', name: 'fs' }, transport: 'stdio', command: 'node', args: ['server.mjs', '/data'], endpoint: null };
  const files: McpServerShape = { ...fs, id: { namespace: 'default', name: 'files' } };

  it('an MCP server is what it runs: two resources with one program are one server', () => {
    expect(mcpServerProgram(fs)).toBe(mcpServerProgram(files));
    expect(mcpServerProgram({ ...fs, args: ['server.mjs', '/other'] })).not.toBe(mcpServerProgram(fs));
    expect(mcpServerProgram({ ...fs, transport: 'http', command: null, args: [], endpoint: 'https://MCP.example.com:443/mcp/' })).toBe('http https://mcp.example.com/mcp');
  });

  it('an MCP tool is its server and the server-side name, whatever the Tool is called', () => {
    const generated = toolFacts('default/fs--write-file', { id: { namespace: 'default', name: 'fs--write-file' }, name: 'fs--write-file', type: 'mcp', endpoint: null, mcp: { server: 'default/fs', tool: 'write_file' } }, fs);
    const alias = toolFacts('default/harmless-writer', { id: { namespace: 'default', name: 'harmless-writer' }, name: 'harmless-writer', type: 'mcp', endpoint: null, mcp: { server: 'default/fs', tool: 'write-file' } }, fs);
    const elsewhere = toolFacts('default/files--write-file', { id: { namespace: 'default', name: 'files--write-file' }, name: 'files--write-file', type: 'mcp', endpoint: null, mcp: { server: 'default/files', tool: 'write_file' } }, files);
    expect(alias.identities).toEqual(generated.identities);
    expect(elsewhere.identities.filter((i) => generated.identities.includes(i))).toEqual([`mcp ${mcpServerProgram(fs)} write-file`]);
    expect(alias.names).toEqual(expect.arrayContaining(['harmless-writer', 'fs--write-file', 'write-file', 'default/fs--write-file']));
    expect(generated.kind).toBe('mcp');
  });

  it('a tool whose server-side name only looks like another has its identity too (fail closed)', () => {
    expect(mcpToolIdentities('default/fs', fs, 'wrіte_file')).toEqual(mcpToolIdentities('default/fs', fs, 'write_file'));
  });

  it('an HTTP tool is its endpoint', () => {
    const a = toolFacts('default/publish', { id: { namespace: 'default', name: 'publish' }, name: 'publish', type: 'http', endpoint: 'https://API.example.com/v1/publish', mcp: null }, null);
    expect(a).toMatchObject({ kind: 'http', identities: ['http https://api.example.com/v1/publish'] });
  });

  it('an entry written as <server>--<tool> names that tool on that server', () => {
    expect(generatedEntryTool('fs--write-file', fs.id)).toBe('write-file');
    expect(generatedEntryTool('FS.Write_File', fs.id)).toBe('write-file');
    expect(generatedEntryTool('default/fs--write-file', fs.id)).toBe('write-file');
    expect(generatedEntryTool('fs', fs.id)).toBeNull();
    expect(generatedEntryTool('files--write-file', fs.id)).toBeNull();
  });
});
