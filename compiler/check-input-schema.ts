/**
 * Compile-time check of a Tool's `input_schema` against what argument validation in the
 * workflow enforces (`workflows/json-schema/keywords.ts`). A keyword it would ignore, a
 * format it does not check, a `$ref` it cannot resolve or a pattern the linear regex engine
 * refuses is a located error here: a schema that looks enforced but is not would let
 * malformed arguments reach the tool. Schemas an MCP server reports at run time are not
 * checked: the validator ignores what it does not know in those.
 */
import { isObject } from '../validation/json-schema/instance.ts';
import { FORMATS, isAnnotation, JSON_TYPES, VALIDATION_KEYWORDS } from '../validation/json-schema/keywords.ts';
import { resolveLocalRef } from '../validation/json-schema/validate.ts';
import type { DiagnosticCode } from './diagnostics.ts';
import { regexProblem } from './regex-problem.ts';

/** One problem, at a path inside the schema; `at` says whether it is the key's fault or the value's. */
export interface SchemaProblem {
  code: Extract<DiagnosticCode, 'UNSUPPORTED_SCHEMA_KEYWORD' | 'UNSUPPORTED_REGEX' | 'INVALID_VALUE' | 'INVALID_TYPE'>;
  message: string;
  path: (string | number)[];
  at: 'key' | 'value';
}

/** A path as a chain of parents, so a deep schema does not copy a long path at every level. */
type Path = { parent: Path; key: string | number } | null;

const at = (parent: Path, ...keys: (string | number)[]): Path => keys.reduce<Path>((path, key) => ({ parent: path, key }), parent);

function toArray(path: Path): (string | number)[] {
  const out: (string | number)[] = [];
  for (let node = path; node !== null; node = node.parent) out.push(node.key);
  return out.reverse();
}

/** Keywords that apply their subschemas to the same value: a cycle through only these never ends. */
const IN_PLACE = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'dependencies'];

class Checker {
  readonly problems: SchemaProblem[] = [];
  /** Every schema object met, with its path, for the in-place cycle check. */
  readonly paths = new Map<object, Path>();
  private readonly root: unknown;
  private readonly pending: { schema: unknown; path: Path }[] = [];

  constructor(root: unknown) {
    this.root = root;
  }

  private problem(code: SchemaProblem['code'], message: string, path: Path, where: 'key' | 'value' = 'value'): void {
    this.problems.push({ code, message, path: toArray(path), at: where });
  }

  run(): void {
    // A work list rather than recursion: the schema's depth cannot exhaust the stack.
    this.pending.push({ schema: this.root, path: null });
    while (this.pending.length > 0) {
      const { schema, path } = this.pending.pop()!;
      this.schema(schema, path);
    }
  }

  private schema(schema: unknown, path: Path): void {
    if (typeof schema === 'boolean') return;
    if (!isObject(schema)) return this.problem('INVALID_TYPE', 'a JSON Schema must be an object or a boolean', path);
    if (this.paths.has(schema)) return;
    this.paths.set(schema, path);
    for (const key of Object.keys(schema)) {
      if (isAnnotation(key)) continue;
      if (!Object.hasOwn(VALIDATION_KEYWORDS, key)) {
        this.problem('UNSUPPORTED_SCHEMA_KEYWORD', `input_schema keyword "${key}" is not enforced by argument validation in the workflow; remove it or express the rule with supported keywords`, at(path, key), 'key');
        continue;
      }
      this.keyword(key, schema[key], at(path, key));
    }
  }

  private subschema(value: unknown, path: Path): void {
    this.pending.push({ schema: value, path });
  }

  private keyword(key: string, value: unknown, path: Path): void {
    const invalid = (expected: string) => this.problem('INVALID_VALUE', `${key} must be ${expected}`, path);
    const isCount = Number.isInteger(value) && (value as number) >= 0;
    switch (VALIDATION_KEYWORDS[key]) {
      case 'types': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && JSON_TYPES.has(t)) || new Set(types).size !== types.length) {
          invalid(`a JSON type (${[...JSON_TYPES].join(', ')}) or a list of distinct ones`);
        }
        return;
      }
      case 'any':
        return;
      case 'array':
        return Array.isArray(value) ? undefined : invalid('a list');
      case 'number':
        return typeof value === 'number' ? undefined : invalid('a number');
      case 'positive-number':
        return typeof value === 'number' && value > 0 ? undefined : invalid('a number greater than 0');
      case 'number-or-boolean':
        return typeof value === 'number' || typeof value === 'boolean' ? undefined : invalid('a number (or, draft 4, a boolean)');
      case 'count':
        return isCount ? undefined : invalid('a non-negative integer');
      case 'boolean':
        return typeof value === 'boolean' ? undefined : invalid('true or false');
      case 'regex':
        return typeof value === 'string' ? this.regex(value, path, 'value') : invalid('a regular expression (a string)');
      case 'format':
        if (typeof value !== 'string') return invalid('a string');
        if (!FORMATS.includes(value)) {
          this.problem('UNSUPPORTED_SCHEMA_KEYWORD', `format "${value}" is not checked by argument validation (checked: ${FORMATS.join(', ')})`, path);
        }
        return;
      case 'schema':
        return this.subschema(value, path);
      case 'schema-or-schemas':
        if (Array.isArray(value)) value.forEach((item, index) => this.subschema(item, at(path, index)));
        else this.subschema(value, path);
        return;
      case 'schemas':
        if (!Array.isArray(value) || (value.length === 0 && key !== 'prefixItems')) return invalid('a non-empty list of schemas');
        value.forEach((item, index) => this.subschema(item, at(path, index)));
        return;
      case 'schema-map':
      case 'regex-schema-map':
        if (!isObject(value)) return invalid('a map of schemas');
        for (const name of Object.keys(value)) {
          if (VALIDATION_KEYWORDS[key] === 'regex-schema-map') this.regex(name, at(path, name), 'key');
          this.subschema(value[name], at(path, name));
        }
        return;
      case 'strings':
        return Array.isArray(value) && value.every((item) => typeof item === 'string') ? undefined : invalid('a list of strings');
      case 'string-lists':
        if (!isObject(value) || !Object.values(value).every((list) => Array.isArray(list) && list.every((item) => typeof item === 'string'))) {
          invalid('a map of lists of property names');
        }
        return;
      case 'dependencies':
        if (!isObject(value)) return invalid('a map of property lists or schemas');
        for (const name of Object.keys(value)) {
          const dependency = value[name];
          if (Array.isArray(dependency)) {
            if (!dependency.every((item) => typeof item === 'string')) this.problem('INVALID_VALUE', 'dependencies lists must hold property names', at(path, name));
          } else this.subschema(dependency, at(path, name));
        }
        return;
      case 'ref':
        return this.ref(value, path);
    }
  }

  private regex(pattern: string, path: Path, at: 'key' | 'value'): void {
    const problem = regexProblem(pattern);
    if (!problem) return;
    const { code, detail } = problem;
    const quoted = JSON.stringify(pattern);
    if (code === 'UNSUPPORTED_REGEX') this.problem(code, `pattern ${quoted}: ${detail}; schema patterns run on a linear-time regex engine`, path, at);
    else this.problem(code, `pattern ${quoted} is not a valid regular expression: ${detail}`, path, at);
  }

  private ref(ref: unknown, path: Path): void {
    if (typeof ref !== 'string') return this.problem('INVALID_VALUE', '$ref must be a string', path);
    if (ref !== '#' && !ref.startsWith('#/')) {
      return this.problem('UNSUPPORTED_SCHEMA_KEYWORD', `$ref ${JSON.stringify(ref)} is not resolved: only references inside this schema (#/…) are`, path);
    }
    if (resolveLocalRef(this.root, ref) === undefined) this.problem('INVALID_VALUE', `$ref ${JSON.stringify(ref)} points at nothing in this schema`, path);
  }

  /** The schemas a schema applies to the same value: the edges an endless in-place recursion follows. */
  private inPlace(schema: { [key: string]: unknown }): { target: unknown; path: Path }[] {
    const path = this.paths.get(schema)!;
    const edges: { target: unknown; path: Path }[] = [];
    if (typeof schema.$ref === 'string') edges.push({ target: resolveLocalRef(this.root, schema.$ref), path: at(path, '$ref') });
    for (const key of IN_PLACE) {
      const value = schema[key];
      if (Array.isArray(value)) value.forEach((item, index) => edges.push({ target: item, path: at(path, key, index) }));
      else if (isObject(value) && (key === 'dependentSchemas' || key === 'dependencies')) {
        for (const name of Object.keys(value)) edges.push({ target: value[name], path: at(path, key, name) });
      } else if (value !== undefined) edges.push({ target: value, path: at(path, key) });
    }
    return edges.filter((edge) => isObject(edge.target) && this.paths.has(edge.target));
  }

  /** Reports each cycle of in-place applications (`$defs: {a: {$ref: '#/$defs/a'}}`) once, where it closes. */
  checkCycles(): void {
    const state = new Map<object, 'open' | 'done'>();
    for (const start of this.paths.keys()) {
      if (state.has(start)) continue;
      const stack: { node: { [key: string]: unknown }; edges: { target: unknown; path: Path }[]; next: number }[] = [];
      const enter = (node: { [key: string]: unknown }) => {
        state.set(node, 'open');
        stack.push({ node, edges: this.inPlace(node), next: 0 });
      };
      enter(start as { [key: string]: unknown });
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const edge = top.edges[top.next++];
        if (edge === undefined) {
          state.set(top.node, 'done');
          stack.pop();
          continue;
        }
        const target = edge.target as { [key: string]: unknown };
        if (state.get(target) === 'open') {
          this.problem('INVALID_VALUE', 'this schema applies itself to the same value without end (a $ref or combinator cycle that never moves into a property or item)', edge.path, 'key');
        } else if (!state.has(target)) enter(target);
      }
    }
  }
}

/** Problems with `schema` as an `input_schema`; empty when argument validation enforces all of it. */
export function checkInputSchema(schema: unknown): SchemaProblem[] {
  const checker = new Checker(schema);
  checker.run();
  checker.checkCycles();
  return checker.problems;
}
