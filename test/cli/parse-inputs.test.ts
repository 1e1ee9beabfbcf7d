import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../cli/parse-inputs.ts';

describe('--input key=value', () => {
  it('parses JSON values and keeps anything else as text', () => {
    expect(parseInputs(['n=3', 'topic=durable agents', 'list=[1,2]'])).toEqual({ n: 3, topic: 'durable agents', list: [1, 2] });
  });

  it('keeps __proto__ and constructor as input fields: nothing is lost, no prototype changes', () => {
    const input = parseInputs(['__proto__={"polluted":true}', 'constructor=x']);
    expect(Object.keys(input)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(input))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"constructor":"x"}'));
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a pair without a key is a usage error', () => {
    expect(() => parseInputs(['=x'])).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
