/**
 * What the workflow would not enforce is refused at compile time, located: JSON Schema
 * keywords, formats and references in a Tool's `input_schema` that argument validation does
 * not check, and regexes (conditions and schema patterns) the linear engine will not run.
 */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { checkInputSchema } from '../../compiler/check-input-schema.ts';
import { codesOf, expectDiagnostic, fixture } from './helpers.ts';

describe('Tool input_schema', () => {
  it('compiles a schema that uses only enforced keywords, annotations and formats', async () => {
    const { plan, diagnostics } = await compile([fixture('input-schema-supported')]);
    expect(diagnostics).toEqual([]);
    const tool = Object.values(plan!.tools).find((t) => t.name === 'create-ticket');
    expect(tool?.inputSchema).toMatchObject({ required: ['title', 'reporter'], $defs: { ticketRef: { pattern: '^[A-Z]+-\\d+$' } } });
  });

  it('refuses what argument validation would not enforce, each at its node', async () => {
    const { diagnostics } = await validate([fixture('input-schema-unsupported')]);
    const file = fixture('input-schema-unsupported/tools.yaml');
    expect(codesOf(diagnostics).sort()).toEqual(
      ['UNSUPPORTED_SCHEMA_KEYWORD', 'UNSUPPORTED_SCHEMA_KEYWORD', 'UNSUPPORTED_SCHEMA_KEYWORD', 'UNSUPPORTED_REGEX', 'UNSUPPORTED_REGEX', 'INVALID_VALUE', 'INVALID_VALUE', 'INVALID_VALUE'].sort(),
    );
    // An unknown keyword: at its key (the camelCase inputSchema spelling is found too).
    expect(expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_SCHEMA_KEYWORD', file, line: 28, column: 5 }).message).toContain('unevaluatedProperties');
    // A format that is not checked, a lookbehind pattern: at the value.
    expect(expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_SCHEMA_KEYWORD', file, line: 44, column: 38 }).message).toContain('int32');
    expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_REGEX', file, line: 44, column: 54 });
    // A remote $ref, a local one to nothing, one that applies itself forever.
    expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_SCHEMA_KEYWORD', file, line: 45, column: 21 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 46, column: 21 });
    expect(expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 47, column: 15 }).message).toContain('without end');
    // A backreference in a patternProperties key: at the key.
    expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_REGEX', file, line: 49, column: 7 });
    // A keyword with a value of the wrong shape.
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 51, column: 20 });
  });
});

describe('checkInputSchema', () => {
  it('accepts the keywords the validator enforces, in draft 4 to 2020-12 forms', () => {
    expect(
      checkInputSchema({
        type: ['object', 'null'],
        properties: { a: { type: 'number', minimum: 0, exclusiveMinimum: true, multipleOf: 0.5 }, b: { items: [{}, {}], additionalItems: false } },
        patternProperties: { '^x-': true },
        additionalProperties: { not: { type: 'null' } },
        propertyNames: { maxLength: 10 },
        dependencies: { a: ['b'], b: { required: ['a'] } },
        dependentRequired: { c: ['d'] },
        dependentSchemas: { d: false },
        if: { required: ['a'] },
        then: { minProperties: 1 },
        else: { maxProperties: 5 },
        allOf: [{ $ref: '#/definitions/x' }],
        anyOf: [{ const: 1 }, { enum: [2, 3] }],
        oneOf: [true],
        definitions: { x: { prefixItems: [], items: false, contains: {}, minContains: 0, maxContains: 2, uniqueItems: true } },
        title: 't',
        description: 'd',
        default: {},
        examples: [{}],
        'x-vendor': { anything: true },
      }),
    ).toEqual([]);
  });

  it('locates problems by their path inside the schema', () => {
    const problems = checkInputSchema({ properties: { a: { type: 'text' }, b: { allOf: [] }, c: { $anchor: 'c', $dynamicRef: '#c' } }, required: 'a' });
    expect(problems.map((p) => `${p.code} ${p.path.join('.')} ${p.at}`).sort()).toEqual([
      'INVALID_VALUE properties.a.type value',
      'INVALID_VALUE properties.b.allOf value',
      'INVALID_VALUE required value',
      'UNSUPPORTED_SCHEMA_KEYWORD properties.c.$dynamicRef key',
    ]);
  });

  it('finds a cycle of in-place applications, however it is spelled', () => {
    const problems = checkInputSchema({ $defs: { a: { anyOf: [{ $ref: '#/$defs/b' }] }, b: { allOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' });
    expect(problems.map((p) => p.code)).toEqual(['INVALID_VALUE']);
    // Recursion through properties or items moves into the value: that is a tree, not a cycle.
    expect(checkInputSchema({ $defs: { node: { properties: { children: { items: { $ref: '#/$defs/node' } } } } }, $ref: '#/$defs/node' })).toEqual([]);
  });

  it('walks deep schemas without recursion', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20_000; i++) deep = { properties: { a: deep } };
    expect(checkInputSchema(deep)).toEqual([]);
  });
});

describe('edge condition output_matches', () => {
  it('refuses backreferences and lookaround at the pattern; accepts the ReDoS pattern (linear here) with RE2 (?i)', async () => {
    const { diagnostics } = await validate([fixture('unsupported-regex')]);
    const file = fixture('unsupported-regex/system.yaml');
    expect(codesOf(diagnostics)).toEqual(['UNSUPPORTED_REGEX', 'UNSUPPORTED_REGEX']);
    expect(expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_REGEX', file, line: 40, column: 29 }).message).toContain('backreference');
    expect(expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_REGEX', file, line: 43, column: 29 }).message).toContain('lookahead');
  });
});
