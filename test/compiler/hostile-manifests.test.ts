/**
 * Manifests written to break the compiler: recursive and exploding aliases, deep nesting,
 * huge maps, long agent chains, keys named after Object.prototype members. Each ends in
 * located diagnostics (asserted by code and location), in time linear in its size.
 */
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import { canonicalJson } from '../../contract/canonical-json.ts';
import { MAX_ALIAS_EXPANSION, MAX_ALIASES_PER_DOCUMENT, MAX_NESTING_DEPTH } from '../../compiler/limits.ts';
import { canonicalKey } from '../../compiler/source-map.ts';
import { codesOf, errorsOf, expectDiagnostic, fixture, writeManifests } from './helpers.ts';

/** ModelEndpoint m, Agent a and AgentSystem s, each document ended; `endpoint` is m's metadata and spec lines. */
function systemOf(endpoint = 'metadata: {name: m}\nspec: {provider: mock}'): string {
  return `apiVersion: orch/v1
kind: ModelEndpoint
${endpoint}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: a}
spec: {model_ref: m}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [a]}
---
`;
}
const SYSTEM = systemOf();
/** Lines of SYSTEM, so locations in what follows it can be written as 1 + their line in the Task. */
const SYSTEM_LINES = SYSTEM.split('\n').length - 1;

/** A Task of SYSTEM whose spec ends with `input:` followed by `inputLines` (indented by the caller). */
function taskWithInput(inputLines: string): string {
  return `${SYSTEM}apiVersion: orch/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  system: s\n  input:\n${inputLines}\n`;
}

/** 1-based line and column of the `index`-th character of `text`. */
function positionOf(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** A system of `n` agents chained by `next` or by `delegates`, as one file. */
function chain(n: number, mode: 'next' | 'delegates', closeLoop = false): string {
  const out = ['apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata: {name: m}\nspec: {provider: mock}'];
  for (let i = 0; i < n; i += 1) out.push(`---\napiVersion: orch/v1\nkind: Agent\nmetadata: {name: a${i}}\nspec: {model_ref: m}`);
  out.push('---\napiVersion: orch/v1\nkind: AgentSystem\nmetadata: {name: chain}\nspec:');
  out.push(`  agents: [${Array.from({ length: n }, (_, i) => `a${i}`).join(', ')}]`);
  out.push('  graph:');
  const last = closeLoop ? n : n - 1;
  for (let i = 0; i < last; i += 1) {
    const to = `a${(i + 1) % n}`;
    out.push(mode === 'next' ? `    a${i}: {next: ${to}}` : `    a${i}: {delegates: [${to}]}`);
  }
  return `${out.join('\n')}\n`;
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(`${label}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

describe('recursive aliases', () => {
  it('a Task input that contains itself is a YAML_ALIAS_CYCLE at the alias, in validate and in compile', async () => {
    const file = fixture('hostile/task-input-loop.yaml');
    const validated = await validate([file]);
    expect(codesOf(validated.diagnostics)).toEqual(['YAML_ALIAS_CYCLE']);
    expectDiagnostic(validated.diagnostics, { code: 'YAML_ALIAS_CYCLE', file, line: 20, column: 33 });
    const compiled = await compile([file]);
    expect(compiled.plan).toBeNull();
    expectDiagnostic(compiled.diagnostics, { code: 'YAML_ALIAS_CYCLE', file, line: 20, column: 33 });
  });

  it('an input_schema whose property is the schema itself is a YAML_ALIAS_CYCLE at the alias', async () => {
    const file = fixture('hostile/input-schema-loop.yaml');
    for (const result of [await validate([file]), await compile([file])]) {
      expectDiagnostic(result.diagnostics, { code: 'YAML_ALIAS_CYCLE', file, line: 12, column: 60 });
    }
  });

  it('finds a cycle through nested anchors, and leaves aliases that do not loop alone', async () => {
    const text = taskWithInput(['    shared: &shared {k: [1, 2]}', '    again: *shared', '    outer: &outer', '      inner:', '        - *outer'].join('\n'));
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['YAML_ALIAS_CYCLE']);
    expectDiagnostic(diagnostics, { code: 'YAML_ALIAS_CYCLE', file: t!, line: SYSTEM_LINES + 11, column: 11 });

    const { ok } = writeManifests({ ok: taskWithInput('    shared: &shared {k: [1, 2]}\n    again: *shared') });
    const { plan } = await compile([ok!]);
    expect(plan?.input).toEqual({ shared: { k: [1, 2] }, again: { k: [1, 2] } });
  });
});

describe('alias bombs and nesting', () => {
  it('aliases of aliases that expand exponentially stop at a YAML_ALIAS_LIMIT on the alias that crosses the bound', async () => {
    const levels = ['    l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1) levels.push(`    l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    const text = taskWithInput(levels.join('\n'));
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await timed('billion laughs', () => validate([t!]));
    expect(codesOf(diagnostics)).toEqual(['YAML_ALIAS_LIMIT']);
    const [limit] = diagnostics;
    // It points at an alias (a `*`), on one of the lines that build the bomb.
    const lines = text.split('\n');
    expect(lines[limit!.location!.line - 1]![limit!.location!.column - 1]).toBe('*');
    expect(limit!.location!.line).toBeGreaterThan(SYSTEM_LINES + 6);
    expect(MAX_ALIAS_EXPANSION).toBeLessThan(10 ** 10);
  });

  it('more aliases than a document may hold is a YAML_ALIAS_LIMIT at the first one too many', async () => {
    const items = Array.from({ length: MAX_ALIASES_PER_DOCUMENT + 5 }, () => '      - *x');
    const text = taskWithInput(`    value: &x 1\n    copies:\n${items.join('\n')}`);
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['YAML_ALIAS_LIMIT']);
    const firstCopy = SYSTEM_LINES + 9;
    expectDiagnostic(diagnostics, { code: 'YAML_ALIAS_LIMIT', file: t!, line: firstCopy + MAX_ALIASES_PER_DOCUMENT, column: 9 });
  });

  it('lists nested past the bound are NESTING_TOO_DEEP at the first list too deep', async () => {
    const depth = MAX_NESTING_DEPTH + 20;
    const text = taskWithInput(`    deep: ${'['.repeat(depth)}${']'.repeat(depth)}`);
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['NESTING_TOO_DEEP']);
    // The document is level 1, spec 2, input 3, so bracket k opens level k + 3.
    const firstBracket = text.indexOf('[[');
    expectDiagnostic(diagnostics, { code: 'NESTING_TOO_DEEP', file: t!, ...positionOf(text, firstBracket + MAX_NESTING_DEPTH - 3) });
  });

  it('nesting deep enough to exhaust the YAML parser itself is NESTING_TOO_DEEP, not a crash', async () => {
    const depth = 50_000;
    const { t } = writeManifests({ t: taskWithInput(`    deep: ${'['.repeat(depth)}${']'.repeat(depth)}`) });
    for (const result of [await validate([t!]), await compile([t!])]) {
      expect(codesOf(errorsOf(result.diagnostics))).toContain('NESTING_TOO_DEEP');
      for (const d of result.diagnostics) expect(d.location?.line).toBeGreaterThan(SYSTEM_LINES);
    }
  });

  it('an alias that nests past the bound once expanded is NESTING_TOO_DEEP at the alias', async () => {
    const half = Math.ceil(MAX_NESTING_DEPTH / 2) + 5;
    const text = taskWithInput(`    a: &deep ${'['.repeat(half)}${']'.repeat(half)}\n    b: ${'['.repeat(half)}*deep${']'.repeat(half)}`);
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['NESTING_TOO_DEEP']);
    expectDiagnostic(diagnostics, { code: 'NESTING_TOO_DEEP', file: t!, ...positionOf(text, text.indexOf('*deep')) });
  });

  it('a value YAML makes that is not JSON (.inf, a YAML 1.1 timestamp) is located at the value', async () => {
    const text = `%YAML 1.1\n---\n${taskWithInput('    big: .inf\n    when: 2001-12-14')}`;
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: t!, ...positionOf(text, text.indexOf('.inf')) });
    const { t: dated } = writeManifests({ t: `%YAML 1.1\n---\n${taskWithInput('    when: 2001-12-14')}` });
    const second = await validate([dated!]);
    expect(codesOf(second.diagnostics)).toEqual(['INVALID_TYPE']);
  });
});

describe('large inputs in linear time', () => {
  const KEYS = 40_000;
  const keys = Array.from({ length: KEYS }, (_, i) => `    k${i}: ${i}`);

  it(`a map of ${KEYS} keys validates and compiles, every key kept`, async () => {
    const { t } = writeManifests({ t: taskWithInput(keys.join('\n')) });
    const { diagnostics } = await timed(`validate ${KEYS} keys`, () => validate([t!]));
    expect(diagnostics).toEqual([]);
    const { plan } = await compile([t!]);
    expect(Object.keys(plan!.input as object)).toHaveLength(KEYS);
  });

  it(`a key repeated at the end of a ${KEYS}-key map is the same located YAML_SYNTAX as a small map's`, async () => {
    const { t } = writeManifests({ t: taskWithInput([...keys, '    k17: again'].join('\n')) });
    const { diagnostics } = await timed(`validate ${KEYS} keys with a duplicate`, () => validate([t!]));
    expect(codesOf(diagnostics)).toEqual(['YAML_SYNTAX']);
    expectDiagnostic(diagnostics, { code: 'YAML_SYNTAX', file: t!, line: SYSTEM_LINES + 7 + KEYS, column: 5 });

    const { small } = writeManifests({ small: taskWithInput('    a: 1\n    b: 2\n    a: 3') });
    const few = await validate([small!]);
    expect(codesOf(few.diagnostics)).toEqual(['YAML_SYNTAX']);
    expectDiagnostic(few.diagnostics, { code: 'YAML_SYNTAX', file: small!, line: SYSTEM_LINES + 9, column: 5 });
  });

  it('aliases after tens of thousands of anchors resolve to the right values', async () => {
    const anchors = Array.from({ length: 20_000 }, (_, i) => `    k${i}: &a${i} ${i}`);
    const aliases = Array.from({ length: MAX_ALIASES_PER_DOCUMENT }, (_, i) => `      - *a${i * 20}`);
    const { t } = writeManifests({ t: taskWithInput([...anchors, '    refs:', ...aliases].join('\n')) });
    const { plan, diagnostics } = await timed('compile 20000 anchors and 1000 aliases', () => compile([t!]));
    expect(diagnostics).toEqual([]);
    expect((plan!.input as { refs: number[] }).refs.slice(0, 3)).toEqual([0, 20, 40]);
  });

  it('keys that become the same object key (1 and "1") are duplicates too, so neither is silently lost', async () => {
    const { t } = writeManifests({ t: taskWithInput('    1: one\n    "1": also one') });
    const { diagnostics } = await validate([t!]);
    expectDiagnostic(diagnostics, { code: 'YAML_SYNTAX', file: t!, line: SYSTEM_LINES + 8, column: 5 });
  });

  // A recursive graph search overflowed the stack at these lengths.
  it('a next chain of 4,000 agents and a delegates chain of 8,000 validate and compile', async () => {
    const { next, delegates } = writeManifests({ next: chain(4000, 'next'), delegates: chain(8000, 'delegates') });
    expect((await timed('validate next chain of 4000', () => validate([next!]))).diagnostics).toEqual([]);
    expect((await timed('validate delegates chain of 8000', () => validate([delegates!]))).diagnostics).toEqual([]);
    const compiled = await timed('compile next chain of 4000', () => compile([next!]));
    expect(compiled.plan?.entryAgents).toEqual(['a0']);
    expect(Object.keys(compiled.plan!.agents)).toHaveLength(4000);
  });

  it('still finds the cycle that closes a long chain, at the edge that closes it', async () => {
    const next = chain(4000, 'next', true);
    const delegates = chain(8000, 'delegates', true);
    const paths = writeManifests({ next, delegates });
    // The closing entry is the last line: `    a3999: {next: a0}` / `    a7999: {delegates: [a0]}`.
    const lastLine = (text: string) => text.split('\n').length - 1;
    const unbounded = await validate([paths.next!]);
    expect(codesOf(unbounded.diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(unbounded.diagnostics, { code: 'UNBOUNDED_CYCLE', file: paths.next!, line: lastLine(next), column: 19 });
    const delegation = await validate([paths.delegates!]);
    expect(codesOf(delegation.diagnostics)).toEqual(['UNBOUNDED_CYCLE']);
    expectDiagnostic(delegation.diagnostics, { code: 'UNBOUNDED_CYCLE', file: paths.delegates!, line: lastLine(delegates), column: 25 });
  });

  it('canonicalKey is linear on a long run of capitals, and unchanged in meaning', () => {
    expect(canonicalKey('A'.repeat(200_000))).toBe('a'.repeat(200_000));
    expect(['modelRef', 'tokenURL', 'URLPath', 'ABCdEFg', 'v2Beta'].map(canonicalKey)).toEqual(['model_ref', 'token_url', 'url_path', 'ab_cd_e_fg', 'v2_beta']);
  });

  it('canonicalJson needs no stack per level, and refuses a value that contains itself', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(canonicalJson(deep)).toBe(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`);
    const loop: { self?: unknown } = {};
    loop.self = [loop];
    expect(() => canonicalJson(loop)).toThrow(TypeError);
    expect(canonicalJson({ b: [1, undefined], a: { d: null, c: undefined } })).toBe('{"a":{"d":null},"b":[1,null]}');
  });
});

describe('keys named after Object.prototype members', () => {
  it('constructor, __proto__ and toString spec fields are UNKNOWN_FIELD at their keys', async () => {
    const file = fixture('hostile/prototype-keys.yaml');
    const { diagnostics } = await validate([file]);
    expect(codesOf(diagnostics)).toEqual(['UNKNOWN_FIELD', 'UNKNOWN_FIELD', 'UNKNOWN_FIELD']);
    for (const line of [7, 14, 21]) expectDiagnostic(diagnostics, { code: 'UNKNOWN_FIELD', file, line, column: 3 });
  });

  it('__proto__ in free-form JSON stays data and pollutes no prototype', async () => {
    const endpoint = 'metadata: {name: m, labels: {__proto__: x}}\nspec: {provider: mock, options: {__proto__: {polluted: true}, constructor: 1}}';
    const text = `${systemOf(endpoint)}apiVersion: orch/v1
kind: Task
metadata: {name: t}
spec: {system: s, input: {__proto__: {polluted: true}, constructor: {x: 1}, toString: 2}}
`;
    const { t } = writeManifests({ t: text });
    const { plan, diagnostics } = await compile([t!]);
    expect(diagnostics).toEqual([]);
    const input = plan!.input as Record<string, unknown>;
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.keys(input)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(input, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.keys(plan!.models['default/m']!.options)).toEqual(['__proto__', 'constructor']);
    expect(canonicalJson(input)).toBe('{"__proto__":{"polluted":true},"constructor":{"x":1},"toString":2}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('__proto__ cannot name a resource or a graph node: INVALID_VALUE where it is written', async () => {
    const text = `${SYSTEM}apiVersion: orch/v1
kind: Agent
metadata: {name: __proto__}
spec: {model_ref: m}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s2}
spec:
  agents: [a]
  graph:
    __proto__: {next: a}
`;
    const { t } = writeManifests({ t: text });
    const { diagnostics } = await validate([t!]);
    expect(codesOf(diagnostics)).toEqual(['INVALID_VALUE', 'INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: t!, line: SYSTEM_LINES + 3, column: 18 });
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: t!, line: SYSTEM_LINES + 12, column: 5 });
  });
});
