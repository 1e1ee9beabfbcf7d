/**
 * The exported JSON Schema agrees with the compiler on structure: every manifest the project
 * and the Orloj corpus ship validates, and the diagnostics fixtures whose error is structural
 * (an unknown, removed, repeated, mistyped or missing field; an unknown kind or apiVersion) do not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { explainField, kindJsonSchema, manifestJsonSchema } from '../../compiler/json-schema-export.ts';
import { fixture, ORLOJ_CORPUS } from './helpers.ts';

const schema = manifestJsonSchema();
const ajv = new Ajv2020({ allErrors: true, strict: false });
const check = ajv.compile(schema);

function yamlFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return /\.ya?ml$/.test(path) ? [path] : [];
  return readdirSync(path).sort().flatMap((entry) => yamlFiles(join(path, entry)));
}

/** Manifest documents of `paths`, as orloj-corpus.ts counts them: YAML maps with a string kind. */
function manifests(...paths: string[]): { where: string; doc: unknown }[] {
  return paths.flatMap(yamlFiles).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc, i) => ({ where: `${file}#${i}`, doc: doc.toJS() as unknown }))
      .filter(({ doc }) => typeof (doc as { kind?: unknown } | null)?.kind === 'string'),
  );
}

function problems(doc: unknown): string | null {
  return check(doc) ? null : ajv.errorsText(check.errors?.slice(0, 5));
}

/** Fixtures that compile without a structural error (some fail later checks: graphs, references). */
const VALID_FIXTURES = [
  'pipeline', 'delegation', 'delegation-entry', 'aliases', 'defaults', 'namespaces', 'foreach', 'foreach-unstructured',
  'conditional-loop', 'cycle-exits', 'implied-chain', 'join-quorum', 'loop-tasks', 'retry', 'override', 'tool-aliases',
  'mcp-tools', 'mcp-discovery', 'mcp-server-name', 'mock-openai-default', 'input-schema-supported', 'unsupported-kind',
  'agent-not-in-system', 'unknown-reference', 'no-system', 'duplicate-name', 'unbounded-cycle',
];

describe('the manifest JSON Schema', () => {
  it('is draft 2020-12 with one alternative per kind', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['oneOf']).toHaveLength(Object.keys(schema['$defs']).length);
    expect(kindJsonSchema('agent')?.['title']).toBe('Agent');
    expect(kindJsonSchema('Workflow')).toBeUndefined();
  });

  const shipped = manifests('examples', ORLOJ_CORPUS, ...VALID_FIXTURES.map(fixture));
  it('sees the whole corpus', () => expect(shipped.length).toBeGreaterThan(300));
  it.each(shipped.map((m) => [m.where, m.doc] as const))('accepts %s', (_where, doc) => {
    expect(problems(doc)).toBeNull();
  });

  // Fixture -> the compiler's diagnostic, and where and how the schema fails the same document.
  const rejected: [string, string, string, string][] = [
    ['unknown-field', 'UNKNOWN_FIELD limits.max_tokens', '/spec/limits', 'additionalProperties'],
    ['wrong-type', 'INVALID_TYPE max_steps: four', '/spec/limits/max_steps', 'type'],
    ['missing-field', 'MISSING_FIELD model_ref', '/spec', 'required'],
    ['unknown-kind', 'UNKNOWN_KIND Workflow', '/kind', 'pattern'],
    ['unknown-api-version', 'UNKNOWN_API_VERSION orch/v2', '/apiVersion', 'enum'],
    ['removed-field', 'REMOVED_FIELD spec.model', '/spec', 'additionalProperties'],
    ['duplicate-field', 'DUPLICATE_FIELD model_ref + modelRef', '/spec', 'not'],
    ['invalid-duration', 'INVALID_VALUE "10 minutes"', '/spec/limits/timeout', 'pattern'],
  ];
  it.each(rejected)('rejects %s (%s)', (name, _diagnostic, instancePath, keyword) => {
    const failing = manifests(fixture(name)).filter(({ doc }) => !check(doc));
    expect(failing).toHaveLength(1);
    check(failing[0]!.doc);
    expect(check.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toContain(`${instancePath} ${keyword}`);
  });

  it('accepts camelCase and null fields, any letter case in kinds and enums, and no apiVersion', () => {
    const agent = (spec: object, extra: object = {}) => ({ kind: 'Agent', metadata: { name: 'a' }, spec, ...extra });
    expect(problems(agent({ modelRef: 'm', limits: { maxSteps: 3, timeout: '1m30s' }, memory: null }))).toBeNull();
    expect(problems(agent({ model_ref: 'm', execution: { profile: 'Contract' } }, { kind: 'agent', apiVersion: 'orch/v1' }))).toBeNull();
    expect(problems(agent({ modelRef: 'm', limits: { maxSteps: 'many' } }))).not.toBeNull();
    expect(problems(agent({ limits: {} }))).not.toBeNull();
  });
});

describe('explainField', () => {
  it('explains a field from the schema', () => {
    const limits = explainField('agent.spec.limits');
    expect(limits).toMatchObject({ path: 'Agent.spec.limits', type: 'object' });
    expect(limits?.fields).toEqual(expect.arrayContaining(['max_steps', 'timeout']));
    expect(limits?.fields).not.toContain('maxSteps');
    expect(explainField('Agent.spec.limits.max_steps')).toMatchObject({ type: 'integer', fields: [] });
    expect(explainField('AgentSystem.spec.graph.writer.edges')?.fields).toContain('condition');
  });

  it('is null for a path that does not exist', () => {
    expect(explainField('Agent.spec.limits.max_tokens')).toBeNull();
    expect(explainField('Workflow.spec')).toBeNull();
  });
});
