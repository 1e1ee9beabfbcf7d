/**
 * Argument validation keyword by keyword: for each, a value that passes and one that fails
 * with the issue's path and keyword; then $ref (local, $defs, definitions, recursive),
 * leniency for what an MCP server's schema may carry, and the work bounds.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ARGUMENT_DEPTH, MAX_ARGUMENT_VALUES, validateArguments } from '../../workflows/validate-arguments.ts';
import type { JsonValue } from '../../contract/plan.ts';
import { MAX_SCHEMA_WORK } from '../../validation/json-schema/validate.ts';

/** The issues as `path keyword` strings, the shape assertions compare. */
function issues(value: unknown, schema: unknown): string[] {
  return validateArguments(value as JsonValue, schema).map((issue) => `${issue.path} ${issue.keyword ?? '-'}`);
}

type Case = [name: string, schema: unknown, valid: unknown[], invalid: [unknown, string[]][]];

const cases: Case[] = [
  ['type', { type: 'string' }, ['x'], [[1, ['$ type']]]],
  ['type list', { type: ['string', 'null'] }, ['x', null], [[1, ['$ type']]]],
  ['type integer (1.0 is one)', { type: 'integer' }, [1, 1.0, -3], [[1.5, ['$ type']], ['1', ['$ type']]]],
  ['type number', { type: 'number' }, [1, 1.5], [['1', ['$ type']]]],
  ['type object / array / boolean / null', { type: ['object', 'boolean'] }, [{}, true], [[[], ['$ type']], [null, ['$ type']]]],
  ['enum', { enum: ['a', 1, { k: [1, 2] }, null] }, ['a', 1, { k: [1, 2] }, null], [['b', ['$ enum']], [{ k: [2, 1] }, ['$ enum']]]],
  ['enum ignores key order', { enum: [{ a: 1, b: 2 }] }, [{ b: 2, a: 1 }], [[{ a: 1 }, ['$ enum']]]],
  ['const', { const: { a: [1, 'x'] } }, [{ a: [1, 'x'] }], [[{ a: [1] }, ['$ const']]]],
  ['minimum / maximum', { minimum: 1, maximum: 5 }, [1, 5, 'not a number'], [[0, ['$ minimum']], [5.5, ['$ maximum']]]],
  ['exclusiveMinimum / exclusiveMaximum (numbers)', { exclusiveMinimum: 1, exclusiveMaximum: 5 }, [1.5, 4.9], [[1, ['$ exclusiveMinimum']], [5, ['$ exclusiveMaximum']]]],
  ['exclusiveMinimum / exclusiveMaximum (draft 4 booleans)', { minimum: 1, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true }, [2], [[1, ['$ exclusiveMinimum']], [5, ['$ exclusiveMaximum']]]],
  ['multipleOf (integers)', { multipleOf: 3 }, [0, 9, -12], [[10, ['$ multipleOf']]]],
  ['multipleOf (decimals, float-safe)', { multipleOf: 0.1 }, [0.3, 0.7, 1.1, 2.2, 100.5], [[0.35, ['$ multipleOf']]]],
  ['multipleOf 0.01', { multipleOf: 0.01 }, [19.99, 0.07, 1e-2], [[0.005, ['$ multipleOf']], [19.991, ['$ multipleOf']]]],
  ['multipleOf tiny', { multipleOf: 1e-7 }, [3e-7, 1.5e-6], [[1.5e-7, ['$ multipleOf']]]],
  ['minLength / maxLength (code points)', { minLength: 2, maxLength: 3 }, ['ab', '😀😀😀', 'aé'], [['a', ['$ minLength']], ['😀', ['$ minLength']], ['abcd', ['$ maxLength']]]],
  ['pattern (unanchored, linear engine)', { pattern: '^[A-Z]+-\\d+$' }, ['ABC-12'], [['abc-12', ['$ pattern']]]],
  ['pattern search', { pattern: 'b' }, ['abc'], [['xyz', ['$ pattern']]]],
  ['required', { required: ['a', 'b'] }, [{ a: 1, b: null }], [[{ a: 1 }, ['$.b required']], [{ constructor: 1 }, ['$.a required', '$.b required']]]],
  ['required on a key named constructor', { required: ['constructor'] }, [{ constructor: 1 }], [[{}, ['$.constructor required']]]],
  ['properties', { properties: { a: { type: 'string' } } }, [{ a: 'x' }, { b: 1 }], [[{ a: 1 }, ['$.a type']]]],
  ['properties named like Object.prototype members', { properties: { toString: { type: 'string' } }, additionalProperties: false }, [{ toString: 'x' }], [[{ hasOwnProperty: 1 }, ['$.hasOwnProperty additionalProperties']]]],
  ['additionalProperties false', { properties: { a: {} }, additionalProperties: false }, [{ a: 1 }], [[{ a: 1, b: 2 }, ['$.b additionalProperties']]]],
  ['additionalProperties schema', { properties: { a: {} }, additionalProperties: { type: 'number' } }, [{ a: 'x', b: 2 }], [[{ b: 'x' }, ['$.b type']]]],
  ['patternProperties', { patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false }, [{ 'x-a': 'v' }], [[{ 'x-a': 1 }, ['$["x-a"] type']], [{ y: 1 }, ['$.y additionalProperties']]]],
  ['propertyNames', { propertyNames: { pattern: '^[a-z]+$', maxLength: 4 } }, [{ ab: 1 }], [[{ Ab: 1 }, ['$.Ab propertyNames']], [{ abcde: 1 }, ['$.abcde propertyNames']]]],
  ['minProperties / maxProperties', { minProperties: 1, maxProperties: 2 }, [{ a: 1 }], [[{}, ['$ minProperties']], [{ a: 1, b: 2, c: 3 }, ['$ maxProperties']]]],
  ['dependentRequired', { dependentRequired: { card: ['cvc'] } }, [{}, { card: 1, cvc: 2 }], [[{ card: 1 }, ['$.cvc dependentRequired']]]],
  ['dependentSchemas', { dependentSchemas: { card: { required: ['cvc'] } } }, [{ cvc: 1 }, { card: 1, cvc: 2 }], [[{ card: 1 }, ['$.cvc required']]]],
  ['dependencies (draft 4–7, both forms)', { dependencies: { a: ['b'], c: { required: ['d'] } } }, [{ a: 1, b: 1 }, { c: 1, d: 1 }], [[{ a: 1 }, ['$.b dependencies']], [{ c: 1 }, ['$.d required']]]],
  ['items (schema)', { items: { type: 'string' } }, [['a', 'b'], []], [[['a', 1], ['$[1] type']]]],
  ['items (draft 4 tuple) + additionalItems false', { items: [{ type: 'string' }, { type: 'number' }], additionalItems: false }, [['a', 1], ['a']], [[[1, 1], ['$[0] type']], [['a', 1, 2], ['$[2] additionalItems']]]],
  ['items tuple + additionalItems schema', { items: [{ type: 'string' }], additionalItems: { type: 'number' } }, [['a', 1, 2]], [[['a', 'b'], ['$[1] type']]]],
  ['prefixItems + items false (2020-12)', { prefixItems: [{ type: 'string' }], items: false }, [['a'], []], [[['a', 'b'], ['$[1] items']]]],
  ['prefixItems + items schema', { prefixItems: [{ type: 'string' }], items: { type: 'number' } }, [['a', 1, 2]], [[['a', 'b'], ['$[1] type']]]],
  ['minItems / maxItems', { minItems: 1, maxItems: 2 }, [[1], [1, 2]], [[[], ['$ minItems']], [[1, 2, 3], ['$ maxItems']]]],
  ['uniqueItems', { uniqueItems: true }, [[1, '1', { a: 1 }, { a: 2 }, [1]]], [[[1, 2, 1], ['$[2] uniqueItems']], [[{ a: 1, b: 2 }, { b: 2, a: 1 }], ['$[1] uniqueItems']]]],
  ['contains', { contains: { type: 'number' } }, [['a', 1]], [[['a'], ['$ contains']], [[], ['$ contains']]]],
  ['minContains / maxContains', { contains: { type: 'number' }, minContains: 2, maxContains: 3 }, [[1, 2], [1, 'a', 2, 3]], [[[1], ['$ minContains']], [[1, 2, 3, 4], ['$ maxContains']]]],
  ['minContains 0', { contains: { type: 'number' }, minContains: 0 }, [[], ['a']], []],
  ['allOf', { allOf: [{ type: 'number' }, { minimum: 2 }] }, [3], [[1, ['$ minimum']], ['x', ['$ type']]]],
  ['anyOf', { anyOf: [{ type: 'string' }, { type: 'integer' }] }, ['a', 1], [[1.5, ['$ anyOf']]]],
  ['oneOf', { oneOf: [{ type: 'number' }, { type: 'integer' }] }, [1.5], [[3, ['$ oneOf']], ['x', ['$ oneOf']]]],
  ['not', { not: { type: 'string' } }, [1], [['x', ['$ not']]]],
  ['if / then / else', { if: { properties: { kind: { const: 'card' } } }, then: { required: ['number'] }, else: { required: ['iban'] } }, [{ kind: 'card', number: 1 }, { kind: 'bank', iban: 'x' }], [[{ kind: 'card' }, ['$.number required']], [{ kind: 'bank' }, ['$.iban required']]]],
  ['boolean schemas', { properties: { yes: true, no: false } }, [{ yes: 1 }], [[{ no: 1 }, ['$.no false']]]],
  ['format date-time', { format: 'date-time' }, ['2024-02-29T12:30:00Z', '1990-12-31T23:59:60Z', '2024-01-01t00:00:00.123+05:30', 5], [['2023-02-29T12:00:00Z', ['$ format']], ['2024-01-01 12:00:00Z', ['$ format']], ['2024-01-01T12:00:00', ['$ format']]]],
  ['format date', { format: 'date' }, ['2024-02-29', '2000-02-29'], [['1900-02-29', ['$ format']], ['2024-13-01', ['$ format']], ['2024-1-01', ['$ format']]]],
  ['format time', { format: 'time' }, ['08:30:06Z', '23:59:60Z', '08:30:06.283185-07:00', '00:59:60+01:00'], [['08:30:06', ['$ format']], ['24:00:00Z', ['$ format']], ['22:59:60Z', ['$ format']]]],
  ['format duration', { format: 'duration' }, ['P3Y6M4DT12H30M5S', 'PT0.5S', 'P2W', 'P1D'], [['P', ['$ format']], ['PT', ['$ format']], ['P1H', ['$ format']], ['P1M2Y', ['$ format']]]],
  ['format email', { format: 'email' }, ['joe.bloggs@example.com', "o'brien+tag@mail.example.co.uk", 'a@[127.0.0.1]'], [['joe', ['$ format']], ['.joe@example.com', ['$ format']], ['joe@localhost', ['$ format']], ['jo e@example.com', ['$ format']]]],
  ['format hostname', { format: 'hostname' }, ['www.example.com', 'localhost', 'xn--bcher-kva.example', 'a.b.'], [['-a.com', ['$ format']], ['a_b.com', ['$ format']], [`${'a'.repeat(64)}.com`, ['$ format']]]],
  ['format ipv4', { format: 'ipv4' }, ['192.168.0.1', '0.0.0.0'], [['256.1.1.1', ['$ format']], ['1.2.3', ['$ format']], ['01.2.3.4', ['$ format']]]],
  ['format ipv6', { format: 'ipv6' }, ['::1', '::', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7:8', '::ffff:192.168.0.1'], [['1:2:3:4:5:6:7:8:9', ['$ format']], ['1::2::3', ['$ format']], ['12345::', ['$ format']], ['fe80::1%eth0', ['$ format']], ['1.2.3.4::', ['$ format']]]],
  ['format uri', { format: 'uri' }, ['https://example.com/a?b=c#d', 'urn:isbn:0451450523', 'http://[::1]:8080/', 'mailto:a@b.c'], [['/relative', ['$ format']], ['http://exa mple.com', ['$ format']], ['http://x/%zz', ['$ format']], ['1http://x', ['$ format']]]],
  ['format uri-reference', { format: 'uri-reference' }, ['/relative?x#y', '../a', '#frag', '', 'https://example.com'], [['\\\\host', ['$ format']], ['a b', ['$ format']]]],
  ['format uuid', { format: 'uuid' }, ['123e4567-e89b-12d3-a456-426614174000', '00000000-0000-0000-0000-000000000000'], [['123e4567e89b12d3a456426614174000', ['$ format']], ['123e4567-e89b-12d3-a456-42661417400g', ['$ format']]]],
  ['format json-pointer', { format: 'json-pointer' }, ['', '/a/b~0c/~1'], [['a/b', ['$ format']], ['/a~2', ['$ format']]]],
  ['format regex', { format: 'regex' }, ['^a+$', '(?=x)'], [['(', ['$ format']]]],
];

describe('validateArguments: each keyword', () => {
  it.each(cases)('%s', (_name, schema, valid, invalid) => {
    for (const value of valid) expect(issues(value, schema), JSON.stringify(value)).toEqual([]);
    for (const [value, expected] of invalid) expect(issues(value, schema), JSON.stringify(value)).toEqual(expected);
  });

  it('checks value keywords only on values of their type', () => {
    expect(issues('x', { minimum: 3, items: false, required: ['a'], format: 'uuid', maxLength: 5 })).toEqual(['$ format']);
    expect(issues(7, { minLength: 3, pattern: '^x', uniqueItems: true, minProperties: 1 })).toEqual([]);
  });

  it('reports one issue for a wrong type rather than every keyword it fails', () => {
    expect(validateArguments(3, { type: 'string', minLength: 5, pattern: 'x' })).toEqual([{ path: '$', message: 'must be string, got number', keyword: 'type' }]);
  });

  it('keeps at most ten issues', () => {
    const schema = { type: 'object', additionalProperties: false };
    const value = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(validateArguments(value, schema)).toHaveLength(10);
  });
});

describe('validateArguments: $ref', () => {
  const schema = {
    type: 'object',
    properties: { home: { $ref: '#/$defs/address' }, work: { $ref: '#/definitions/address' }, 'a/b': { $ref: '#/properties/home' } },
    $defs: { address: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } } },
    definitions: { address: { $ref: '#/$defs/address' } },
  };

  it('resolves local pointers into $defs, definitions and properties', () => {
    expect(issues({ home: { city: 'Oslo' }, work: { city: 'Bergen' } }, schema)).toEqual([]);
    expect(issues({ home: {}, work: { city: 1 }, 'a/b': {} }, schema)).toEqual(['$.home.city required', '$.work.city type', '$["a/b"].city required']);
  });

  it('decodes ~0, ~1 and percent-escapes in pointers, and # is the root', () => {
    const escaped = { $defs: { 'a/b~c d': { type: 'string' } }, properties: { x: { $ref: '#/$defs/a~1b~0c%20d' }, self: { $ref: '#' } } };
    expect(issues({ x: 'ok', self: { x: 'ok' } }, escaped)).toEqual([]);
    expect(issues({ x: 1, self: { x: 2 } }, escaped)).toEqual(['$.x type', '$.self.x type']);
  });

  it('follows recursive schemas as deep as the arguments go', () => {
    const tree = { $ref: '#/$defs/node', $defs: { node: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } } } } };
    let deep: Record<string, unknown> = { name: 'leaf' };
    for (let i = 0; i < 20; i++) deep = { name: `n${i}`, children: [deep] };
    expect(issues(deep, tree)).toEqual([]);
    let broken: Record<string, unknown> = { nameless: true };
    for (let i = 0; i < 3; i++) broken = { name: 'n', children: [broken] };
    expect(issues(broken, tree)).toEqual(['$.children[0].children[0].children[0].name required']);
  });

  it('ends a $ref cycle that never moves into the arguments with one issue', () => {
    const started = performance.now();
    expect(validateArguments({ a: 1 }, { $ref: '#' })).toEqual([expect.objectContaining({ path: '$', message: expect.stringContaining('levels deep') })]);
    expect(validateArguments(1, { $defs: { a: { allOf: [{ $ref: '#/$defs/b' }] }, b: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' })).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('validateArguments: schemas from MCP servers', () => {
  it('ignores keywords, formats and references it does not enforce (the server still validates)', () => {
    expect(issues({ a: 1 }, { $ref: '#/definitions/missing' })).toEqual([]);
    expect(issues({ a: 1 }, { $ref: 'https://example.com/s.json' })).toEqual([]);
    expect(issues({ a: 1 }, { unevaluatedProperties: false, $dynamicRef: '#x' })).toEqual([]);
    expect(issues('x', { format: 'int32' })).toEqual([]);
    expect(issues('anything', { type: 'string', pattern: '(' })).toEqual([]);
    expect(issues('anything', { pattern: '(?=a)b' })).toEqual([]);
    expect(issues({ a: 1 }, null)).toEqual([]);
    expect(issues(1, { type: 'strange' })).toEqual([]);
  });

  it('does not call a key additional when a pattern that could claim it cannot run', () => {
    expect(issues({ ab: 1 }, { patternProperties: { '(?=a)': {} }, additionalProperties: false })).toEqual([]);
  });
});

describe('validateArguments: bounds', () => {
  it('refuses arguments nested deeper than the bound, at the path where it is crossed', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_ARGUMENT_DEPTH + 5; i++) deep = [deep];
    const [issue, ...rest] = validateArguments(deep as JsonValue, {});
    expect(rest).toEqual([]);
    expect(issue!.message).toContain(`deeper than ${MAX_ARGUMENT_DEPTH}`);
    expect(issue!.path).toBe(`$${'[0]'.repeat(MAX_ARGUMENT_DEPTH + 1)}`);
  });

  it('refuses arguments with too many values, quickly', () => {
    const started = performance.now();
    expect(validateArguments({ list: Array.from({ length: MAX_ARGUMENT_VALUES + 1 }, () => 0) }, {})).toEqual([{ path: '$', message: expect.stringContaining(String(MAX_ARGUMENT_VALUES)) }]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('validates large arguments within bounds, quickly', () => {
    const started = performance.now();
    const list = Array.from({ length: 6000 }, (_, i) => ({ id: `item-${i}`, n: i }));
    const schema = { type: 'array', uniqueItems: true, items: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^item-\\d+$' }, n: { type: 'integer', minimum: 0 } } } };
    expect(validateArguments(list, schema)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops a combinatorial schema with one issue at the root instead of exponential work', () => {
    // Both anyOf branches validate the items before failing on contains: 2^depth evaluations without the bound.
    const branch = (marker: string) => ({ type: 'array', items: { $ref: '#/$defs/n' }, contains: { const: marker } });
    const schema = { $defs: { n: { anyOf: [branch('x'), branch('y')] } }, $ref: '#/$defs/n' };
    let value: unknown = [];
    for (let i = 0; i < 40; i++) value = [value];
    const started = performance.now();
    expect(validateArguments(value as JsonValue, schema)).toEqual([{ path: '$', message: expect.stringContaining(String(MAX_SCHEMA_WORK)) }]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops a pattern that is costly on a long string with one issue', () => {
    // Up to 300 live states per character, and too many distinct state sets to remember.
    let seed = 1;
    const text = Array.from({ length: 100_000 }, () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >> 16) & 1 ? 'a' : 'b').join('');
    const started = performance.now();
    expect(validateArguments(text, { pattern: '[ab]*a[ab]{300}!' })).toEqual([{ path: '$', message: expect.stringContaining('pattern') }]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
