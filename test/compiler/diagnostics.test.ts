/** One fixture per diagnostic: each asserts the code and the exact location of the offending node. */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture } from './helpers.ts';

async function diagnosticsOf(name: string) {
  return (await validate([fixture(name)])).diagnostics;
}

describe('diagnostics are located at the offending node', () => {
  it('YAML syntax error: at the position yaml reports', async () => {
    const diagnostics = await diagnosticsOf('yaml-syntax');
    expect(codesOf(diagnostics)).toEqual(['YAML_SYNTAX']);
    expectDiagnostic(diagnostics, { code: 'YAML_SYNTAX', file: fixture('yaml-syntax/broken.yaml'), line: 7, column: 11 });
  });

  it('unknown field nested in spec.limits: at the key', async () => {
    const diagnostics = await diagnosticsOf('unknown-field');
    expect(codesOf(diagnostics)).toEqual(['UNKNOWN_FIELD']);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_FIELD', file: fixture('unknown-field/agent.yaml'), line: 16, column: 5 });
  });

  it('wrong type: at the value', async () => {
    const diagnostics = await diagnosticsOf('wrong-type');
    expect(codesOf(diagnostics)).toEqual(['INVALID_TYPE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_TYPE', file: fixture('wrong-type/agent.yaml'), line: 15, column: 16 });
  });

  it('unknown reference: at the reference string', async () => {
    const diagnostics = await diagnosticsOf('unknown-reference');
    expect(codesOf(diagnostics)).toEqual(['UNKNOWN_REFERENCE']);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file: fixture('unknown-reference/agent.yaml'), line: 6, column: 14 });
  });

  it('duplicate name: at the second metadata.name', async () => {
    const diagnostics = await diagnosticsOf('duplicate-name');
    expect(codesOf(diagnostics)).toEqual(['DUPLICATE_RESOURCE']);
    const found = expectDiagnostic(diagnostics, { code: 'DUPLICATE_RESOURCE', file: fixture('duplicate-name/second.yaml'), line: 6, column: 9 });
    // The message names the first definition so the user can find both.
    expect(found.message).toContain(`${fixture('duplicate-name/first.yaml')}:4:9`);
  });

  it('unsupported tool type: at the type value', async () => {
    const diagnostics = await diagnosticsOf('unsupported-tool-type');
    expect(codesOf(diagnostics)).toEqual(['UNSUPPORTED_TOOL_TYPE']);
    expectDiagnostic(diagnostics, { code: 'UNSUPPORTED_TOOL_TYPE', file: fixture('unsupported-tool-type/tool.yaml'), line: 6, column: 9 });
  });

  it('unbounded cycle: at the edge that closes it', async () => {
    const diagnostics = await diagnosticsOf('unbounded-cycle');
    expect(codesOf(diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(diagnostics, { code: 'UNBOUNDED_CYCLE', file: fixture('unbounded-cycle/system.yaml'), line: 33, column: 15 });
  });

  it('removed field spec.model: at the key', async () => {
    const diagnostics = await diagnosticsOf('removed-field');
    expect(codesOf(diagnostics)).toEqual(['REMOVED_FIELD']);
    expectDiagnostic(diagnostics, { code: 'REMOVED_FIELD', file: fixture('removed-field/agent.yaml'), line: 7, column: 3 });
  });

  it('a kind orch validates but does not act on: a warning at the kind value', async () => {
    const diagnostics = await diagnosticsOf('unsupported-kind');
    expect(errorsOf(diagnostics)).toEqual([]);
    const found = expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file: fixture('unsupported-kind/tool-approval.yaml'), line: 2, column: 7 });
    expect(found.severity).toBe('warning');
  });

  it('unknown kind: at the kind value', async () => {
    const diagnostics = await diagnosticsOf('unknown-kind');
    expect(codesOf(diagnostics)).toEqual(['UNKNOWN_KIND']);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_KIND', file: fixture('unknown-kind/thing.yaml'), line: 2, column: 7 });
  });

  it('invalid duration: at the value', async () => {
    const diagnostics = await diagnosticsOf('invalid-duration');
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('invalid-duration/agent.yaml'), line: 15, column: 14 });
  });

  it('invalid regex in an edge condition: at the pattern', async () => {
    const diagnostics = await diagnosticsOf('invalid-regex');
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: fixture('invalid-regex/system.yaml'), line: 33, column: 29 });
  });

  it('missing required field: at the parent key', async () => {
    const diagnostics = await diagnosticsOf('missing-field');
    expect(codesOf(diagnostics)).toEqual(['MISSING_FIELD']);
    expectDiagnostic(diagnostics, { code: 'MISSING_FIELD', file: fixture('missing-field/agent.yaml'), line: 5, column: 1 });
  });

  it('one field given under two spellings: at the second key', async () => {
    const diagnostics = await diagnosticsOf('duplicate-field');
    expect(codesOf(diagnostics)).toEqual(['DUPLICATE_FIELD']);
    expectDiagnostic(diagnostics, { code: 'DUPLICATE_FIELD', file: fixture('duplicate-field/agent.yaml'), line: 13, column: 3 });
  });

  it('edge to an agent the system does not list: at the target', async () => {
    const diagnostics = await diagnosticsOf('agent-not-in-system');
    expect(codesOf(diagnostics)).toEqual(['AGENT_NOT_IN_SYSTEM']);
    expectDiagnostic(diagnostics, { code: 'AGENT_NOT_IN_SYSTEM', file: fixture('agent-not-in-system/system.yaml'), line: 31, column: 15 });
  });

  it('unknown apiVersion: at the value', async () => {
    const diagnostics = await diagnosticsOf('unknown-api-version');
    expect(codesOf(diagnostics)).toEqual(['UNKNOWN_API_VERSION']);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_API_VERSION', file: fixture('unknown-api-version/agent.yaml'), line: 1, column: 13 });
  });

  it('a document that is not a map: at its start', async () => {
    const diagnostics = await diagnosticsOf('not-a-resource');
    expect(codesOf(diagnostics)).toEqual(['NOT_A_RESOURCE']);
    expectDiagnostic(diagnostics, { code: 'NOT_A_RESOURCE', file: fixture('not-a-resource/list.yaml'), line: 1, column: 1 });
  });

  it('ambiguous system: at the first candidate, naming all of them', async () => {
    const { plan, diagnostics } = await compile([fixture('ambiguous-system')]);
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['AMBIGUOUS_SYSTEM']);
    const found = expectDiagnostic(diagnostics, { code: 'AMBIGUOUS_SYSTEM', file: fixture('ambiguous-system/systems.yaml'), line: 18, column: 9 });
    expect(found.message).toContain('default/first');
    expect(found.message).toContain('default/second');
  });

  it('no system: located at the given path', async () => {
    const { plan, diagnostics } = await compile([fixture('no-system')]);
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['NO_SYSTEM']);
    expectDiagnostic(diagnostics, { code: 'NO_SYSTEM', file: fixture('no-system'), line: 1, column: 1 });
  });

  it('a system option that names nothing: NO_SYSTEM', async () => {
    const { plan, diagnostics } = await compile([fixture('ambiguous-system')], { system: 'third' });
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['NO_SYSTEM']);
  });

  it('missing file: FILE_NOT_FOUND at the path as given, and no further noise', async () => {
    const { plan, diagnostics } = await compile(['test/fixtures/manifests/does-not-exist.yaml']);
    expect(plan).toBeNull();
    expect(codesOf(diagnostics)).toEqual(['FILE_NOT_FOUND']);
    expectDiagnostic(diagnostics, { code: 'FILE_NOT_FOUND', file: 'test/fixtures/manifests/does-not-exist.yaml', line: 1, column: 1 });
  });

  it('every diagnostic of every fixture carries code, severity, message and a 1-based location', async () => {
    const all = await validate([fixture('')]);
    expect(all.diagnostics.length).toBeGreaterThan(10);
    for (const d of all.diagnostics) {
      expect(d.message.length).toBeGreaterThan(0);
      expect(['error', 'warning']).toContain(d.severity);
      expect(d.location?.line).toBeGreaterThanOrEqual(1);
      expect(d.location?.column).toBeGreaterThanOrEqual(1);
    }
  });
});
