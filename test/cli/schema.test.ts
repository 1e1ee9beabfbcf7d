/**
 * `orch schema` and `orch explain`: the manifest JSON Schema on stdout or in a file, one kind
 * of it, and field explanations; usage errors exit 2, unknown paths 1, never a stack trace.
 * No Temporal needed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orch, singleJson, STACK_FRAME } from './cli-harness.ts';

const run = (argv: string[]) => orch(argv, { temporal: false });

describe('orch schema', () => {
  it('prints the whole schema as pretty JSON', async () => {
    const { code, stdout } = await run(['schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.$defs)).toContain('AgentSystem');
    expect(stdout).toMatch(/^\{\n {2}"\$schema"/);
  });

  it('prints one kind, in any letter case, or writes it to --out', async () => {
    const agent = await run(['schema', '--kind', 'agent']);
    expect(agent.code).toBe(0);
    expect(JSON.parse(agent.stdout)).toMatchObject({ title: 'Agent', properties: { spec: expect.any(Object) } });
    const out = join(mkdtempSync(join(tmpdir(), 'orch-schema-')), 'agent.json');
    const written = await run(['schema', '--kind', 'Agent', '--out', out]);
    expect(written).toMatchObject({ code: 0, stdout: '' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(agent.stdout));
  });

  it('an unknown kind is a usage error that lists the known kinds', async () => {
    const { code, stderr } = await run(['schema', '--kind', 'Workflow']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown kind "Workflow"');
    expect(stderr).toContain('AgentSystem');
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});

describe('orch explain', () => {
  it('prints a field\'s type, description and sub-fields', async () => {
    const { code, stdout } = await run(['explain', 'Agent.spec.limits']);
    expect(code).toBe(0);
    expect(stdout).toContain('Agent.spec.limits: object');
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['  max_steps', '  timeout']));
  });

  it('--json prints the explanation object', async () => {
    const { code, stdout } = await run(['explain', 'agent.spec.limits.max_steps', '--json']);
    expect(code).toBe(0);
    expect(singleJson(stdout)).toMatchObject({ path: 'Agent.spec.limits.max_steps', type: 'integer', fields: [] });
  });

  it('an unknown path exits 1 naming the nearest valid prefix', async () => {
    const { code, stderr } = await run(['explain', 'Agent.spec.limits.max_tokens']);
    expect(code).toBe(1);
    expect(stderr).toContain('Agent.spec.limits');
    expect(stderr).toContain('max_steps');
    expect(stderr).not.toMatch(STACK_FRAME);
    const unknownKind = await run(['explain', 'Workflow.spec']);
    expect(unknownKind.code).toBe(1);
    expect(unknownKind.stderr).toContain('Agent');
  });
});
