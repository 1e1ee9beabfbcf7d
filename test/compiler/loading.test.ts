/** Files, directories, multi-document YAML, namespaces and overrides. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture } from './helpers.ts';

describe('loading manifests', () => {
  it('reads multi-document files and walks directories recursively', async () => {
    const { diagnostics, resources } = await validate([fixture('pipeline')]);
    expect(diagnostics).toEqual([]);
    // bundle.yaml holds four documents; agents/nested/writer.yaml is two levels down.
    expect(resources.counts).toEqual({ ModelEndpoint: 1, Secret: 1, Task: 1, Tool: 1, Agent: 2, AgentSystem: 1 });
    expect(resources.agents.map((a) => a.name).sort()).toEqual(['planner', 'writer']);
  });

  it('keeps paths as the user gave them, joined with the walked subpath', async () => {
    const { plan } = await compile([fixture('pipeline')]);
    expect(plan?.agents['writer']?.source).toBe(`${fixture('pipeline')}/agents/nested/writer.yaml:1:1`);
    // Documents in a multi-document file are located at their own start.
    const { resources } = await validate([fixture('pipeline')]);
    expect(resources.tasks[0]?.location).toEqual({ file: `${fixture('pipeline')}/bundle.yaml`, line: 33, column: 1 });
  });

  it('reads a file named twice (directly and through its directory) only once', async () => {
    const { diagnostics } = await validate([fixture('pipeline'), `${fixture('pipeline')}/system.yaml`]);
    expect(diagnostics).toEqual([]);
  });

  it('reports unreadable input without throwing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orch-compiler-'));
    try {
      await writeFile(join(dir, 'empty.yaml'), '');
      await writeFile(join(dir, 'comments.yaml'), '# nothing here\n---\n# still nothing\n');
      await writeFile(join(dir, 'binary.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x3a]));
      await writeFile(join(dir, 'notes.txt'), 'not a manifest, and not read from a directory');
      await writeFile(join(dir, 'scalar.json'), '"just a string"');
      const { diagnostics } = await validate([dir, join(dir, 'missing.yml')]);
      for (const d of diagnostics) expect(d.location?.file.startsWith(dir)).toBe(true);
      expect(codesOf(diagnostics)).toContain('NOT_A_RESOURCE');
      expect(codesOf(diagnostics)).toContain('FILE_NOT_FOUND');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts JSON manifests and a missing apiVersion, and matches kind case-insensitively', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orch-compiler-'));
    try {
      await writeFile(join(dir, 'model.json'), JSON.stringify({ kind: 'modelendpoint', metadata: { name: 'm' }, spec: { provider: 'MOCK' }, status: { phase: 'Ready' } }));
      const { diagnostics, resources } = await validate([dir]);
      expect(diagnostics).toEqual([]);
      expect(resources.modelEndpoints[0]?.spec.provider).toBe('mock');
      expect(resources.modelEndpoints[0]?.apiVersion).toBe('orloj.dev/v1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('namespaces', () => {
  it('resolves a bare reference in the referrer namespace first, then in default', async () => {
    const { plan, diagnostics } = await compile([fixture('namespaces')]);
    expect(diagnostics).toEqual([]);
    const analyst = plan!.agents['analyst']!;
    expect(analyst.id).toEqual({ namespace: 'team', name: 'analyst' });
    // shared-model exists only in default; search exists in both (team wins); fetch only in default.
    expect(analyst.model).toBe('default/shared-model');
    expect(analyst.tools).toEqual(['team/search', 'default/search', 'default/fetch']);
    expect(plan!.tools['team/search']?.endpoint).toBe('https://team.example.test/search');
    expect(plan!.tools['default/search']?.endpoint).toBe('https://default.example.test/search');
  });
});

describe('overrides', () => {
  it('replace same-named resources instead of clashing with them', async () => {
    const { plan, diagnostics } = await compile([fixture('override/base')], { overrides: [fixture('override/local')] });
    expect(errorsOf(diagnostics)).toEqual([]);
    const model = plan!.models['default/openai-default']!;
    expect(model.provider).toBe('ollama');
    expect(model.baseUrl).toBe('http://127.0.0.1:11434');
    expect(model.model).toBe('llama3.1');
    expect(model.secretRef).toBeNull();
  });

  it('warn when they replace nothing', async () => {
    const { diagnostics } = await validate([fixture('override/base')], { overrides: [fixture('override/local')] });
    expect(codesOf(diagnostics)).toEqual(['OVERRIDE_UNMATCHED']);
    const found = expectDiagnostic(diagnostics, { code: 'OVERRIDE_UNMATCHED', file: fixture('override/local/models.yaml'), line: 13, column: 9 });
    expect(found.severity).toBe('warning');
  });

  it('are duplicates when passed as ordinary paths', async () => {
    const { diagnostics } = await validate([fixture('override/base'), fixture('override/local')]);
    expect(codesOf(diagnostics)).toEqual(['DUPLICATE_RESOURCE']);
  });
});
