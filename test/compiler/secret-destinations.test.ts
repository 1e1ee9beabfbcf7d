/**
 * What the compiler tells a worker about where secrets may go (`manifests`): every declared
 * endpoint with its secret reference, and each Secret's `destinations`, which are checked and
 * located here but never enter a plan.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic } from './helpers.ts';

function writeManifest(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'orch-destinations-')), 'manifests.yaml');
  writeFileSync(file, text);
  return file;
}

const system = [
  'apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata: {name: m, namespace: team}\nspec: {provider: openai-compatible, base_url: "https://llm.example/v1", default_model: x, auth: {secretRef: llm-key}}',
  'apiVersion: orch/v1\nkind: Tool\nmetadata: {name: api, namespace: team}\nspec: {endpoint: "https://tools.example/api", auth: {secretRef: tool-token}}',
  'apiVersion: orch/v1\nkind: McpServer\nmetadata: {name: gh, namespace: team}\nspec: {transport: stdio, command: npx, args: [-y, server-github], env: [{name: TOKEN, secretRef: gh-token}]}',
  'apiVersion: orch/v1\nkind: Secret\nmetadata: {name: tool-token, namespace: team}\nspec: {stringData: {value: t}, destinations: ["https://tools.example/api", "stdio:npx -y server-github"]}',
  'apiVersion: orch/v1\nkind: Agent\nmetadata: {name: a, namespace: team}\nspec: {model_ref: m, tools: [api]}',
  'apiVersion: orch/v1\nkind: AgentSystem\nmetadata: {name: s, namespace: team}\nspec: {agents: [a]}',
].join('\n---\n');

describe('manifests for the worker', () => {
  it('lists every endpoint with its resolved secret reference, and the Secrets’ destinations', async () => {
    const file = writeManifest(system);
    const result = await compile([file]);
    expect(errorsOf(result.diagnostics)).toEqual([]);
    expect(result.manifests.secretDestinations).toEqual({ 'team/tool-token': ['https://tools.example/api', 'stdio:npx -y server-github'] });
    expect(result.manifests.tools!.map((t) => [t.endpoint, t.auth?.secretRef])).toEqual([['https://tools.example/api', { namespace: 'team', name: 'tool-token', key: 'value' }]]);
    expect(result.manifests.models!.map((m) => [m.baseUrl, m.secretRef?.name])).toEqual([['https://llm.example/v1', 'llm-key']]);
    expect(result.manifests.mcpServers!.map((s) => [s.command, s.env[0]!.secretRef?.name])).toEqual([['npx', 'gh-token']]);
    // Bindings are the worker's, never the plan's.
    expect(JSON.stringify(result.plan)).not.toContain('"destinations"');
    expect(JSON.stringify(result.plan)).not.toContain('stdio:npx');
    expect((await validate([file])).manifests).toEqual(result.manifests);
  });

  it.each([
    ['not a URL', 'tools.example/api'],
    ['a scheme other than http(s)', 'ftp://tools.example/'],
    ['credentials', 'https://user:pw@tools.example/'],
    ['a query', 'https://tools.example/api?x=1'],
    ['an empty stdio command', 'stdio:'],
  ])('a destination with %s is a located INVALID_VALUE', async (_label, destination) => {
    const file = writeManifest(`apiVersion: orch/v1\nkind: Secret\nmetadata:\n  name: s\nspec:\n  stringData: {value: v}\n  destinations:\n    - "${destination}"\n`);
    const { diagnostics } = await validate([file]);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 8, column: 7 });
  });
});
