import { describe, expect, it } from 'vitest';
import { validate } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

describe('__proto__ keys in maps of data', () => {
  it('a Secret key named __proto__ is kept as a key, not dropped', async () => {
    const { file } = writeManifests({ file: 'apiVersion: orch/v1\nkind: Secret\nmetadata: {name: s}\nspec:\n  stringData:\n    __proto__: hidden\n    value: shown\n' });
    const { secrets, diagnostics } = await validate([file!]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(Object.keys(secrets['default/s']!)).toEqual(['__proto__', 'value']);
    expect(Object.getOwnPropertyDescriptor(secrets['default/s']!, '__proto__')?.value).toBe('hidden');
  });

  it('a mock script for an agent named __proto__ is a located INVALID_VALUE', async () => {
    const { file } = writeManifests({
      file: 'apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata: {name: m}\nspec:\n  provider: mock\n  mock:\n    responses:\n      __proto__: [{text: x}]\n',
    });
    const { diagnostics } = await validate([file!]);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: file!, line: 8, column: 7 });
  });
});
