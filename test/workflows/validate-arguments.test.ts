import { describe, expect, it } from 'vitest';
import { validateArguments } from '../../workflows/validate-arguments.ts';

const sumSchema = {
  type: 'object',
  properties: { a: { type: 'number' }, b: { type: 'number' } },
  required: ['a', 'b'],
  additionalProperties: false,
};

describe('validateArguments', () => {
  it('accepts arguments that fit', () => {
    expect(validateArguments({ a: 17, b: 25 }, sumSchema)).toEqual([]);
  });

  it('locates missing, mistyped and extra properties by path', () => {
    const issues = validateArguments({ a: 'seventeen', c: 1 }, sumSchema);
    expect(issues.map((i) => i.path).sort()).toEqual(['$.a', '$.b', '$.c']);
  });

  it('checks types, enums, bounds, lengths and patterns', () => {
    const schema = {
      type: 'object',
      properties: {
        mode: { enum: ['fast', 'slow'] },
        n: { type: 'integer', minimum: 1, maximum: 5 },
        name: { type: 'string', minLength: 2, pattern: '^[a-z]+$' },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
      },
    };
    expect(validateArguments({ mode: 'fast', n: 3, name: 'ok', tags: ['x'] }, schema)).toEqual([]);
    const issues = validateArguments({ mode: 'warp', n: 2.5, name: 'A', tags: ['x', 1, 'z'] }, schema);
    expect(issues.map((i) => i.path).sort()).toEqual(['$.mode', '$.n', '$.name', '$.name', '$.tags', '$.tags[1]']);
  });

  it('handles anyOf and oneOf, and nested objects', () => {
    const schema = { type: 'object', properties: { id: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, inner: { type: 'object', required: ['x'] } } };
    expect(validateArguments({ id: 'a', inner: { x: 1 } }, schema)).toEqual([]);
    expect(validateArguments({ id: true, inner: {} }, schema).map((i) => i.path)).toEqual(['$.id', '$.inner.x']);
    expect(validateArguments(3, { oneOf: [{ type: 'number' }, { type: 'integer' }] })).toHaveLength(1);
  });

  it('does not enforce what it does not understand', () => {
    expect(validateArguments({ a: 1 }, { $ref: '#/definitions/x' })).toEqual([]);
    expect(validateArguments('anything', { type: 'string', pattern: '(' })).toEqual([]);
    expect(validateArguments({ a: 1 }, null)).toEqual([]);
  });
});
