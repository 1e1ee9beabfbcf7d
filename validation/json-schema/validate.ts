/**
 * A JSON Schema validator that runs inside the workflow sandbox: pure, deterministic, and
 * bounded. Every run is held to a count of schema evaluations and of regex steps (counts, not
 * clocks, so a replay decides the same), and to a nesting depth, so a recursive `$ref`, a
 * combinatorial schema or a huge argument ends with an issue rather than a hung task.
 *
 * Enforced: the keywords in `keywords.ts` (drafts 4 to 2020-12). Others are ignored here;
 * the compiler refuses them in a manifest's `input_schema`, so only an MCP server's own
 * schema can carry one, and the server still validates what it receives.
 */
import { cachedRegex, runRegex, type StepBudget } from '../linear-regex/index.ts';
import { checkArray, checkObject } from './container-keywords.ts';
import { canonicalJson, hasType, isObject, jsonType } from './instance.ts';
import { JSON_TYPES } from './keywords.ts';
import { checkNumber, checkString } from './scalar-keywords.ts';
import { IssueSink, LimitReached, type SchemaIssue, type Validation } from './validation.ts';

export type { SchemaIssue } from './validation.ts';

/**
 * Units of work one validation may spend: a subschema applied, 256 characters scanned, a key
 * visited. About a quarter of a second at worst; a model can ask for several calls in one
 * workflow task, and each is validated there.
 */
export const MAX_SCHEMA_WORK = 500_000;
/** Nested subschema applications (through properties, items, combinators and `$ref`). */
export const MAX_SCHEMA_DEPTH = 256;
/** Linear-engine steps all `pattern`/`patternProperties` matches of one validation may take (about 0.1 s). */
export const MAX_PATTERN_STEPS = 5_000_000;

/**
 * The value at a local JSON pointer (`#`, `#/$defs/a`, `#/properties/x~1y`), or undefined for
 * anything else: remote references and `#anchor`s are not resolved.
 */
export function resolveLocalRef(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let target: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let token: string;
    try {
      token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (Array.isArray(target) && /^(0|[1-9]\d*)$/.test(token)) target = target[Number(token)];
    else if (isObject(target) && Object.hasOwn(target, token)) target = target[token];
    else return undefined;
  }
  return target;
}

function typeList(type: unknown): string[] | null {
  const list = Array.isArray(type) ? type : [type];
  const known = list.filter((t): t is string => typeof t === 'string' && JSON_TYPES.has(t));
  return known.length > 0 ? known : null;
}

class Run implements Validation {
  private readonly root: unknown;
  private readonly rootPath: string;
  private work = 0;
  private readonly regexBudget: StepBudget = { remaining: MAX_PATTERN_STEPS };
  /** Each `enum`'s options as canonical JSON, computed once per run. */
  private readonly enums = new Map<unknown[], Set<string>>();

  constructor(root: unknown, rootPath: string) {
    this.root = root;
    this.rootPath = rootPath;
  }

  charge(units: number): void {
    this.work += units;
    // Reported at the root: the arguments as a whole are what is too costly.
    if (this.work > MAX_SCHEMA_WORK) throw new LimitReached({ path: this.rootPath, message: `validating the arguments takes more than ${MAX_SCHEMA_WORK} steps` });
  }

  matches(pattern: string, text: string, path: string): boolean | null {
    const regex = cachedRegex(pattern);
    if (!regex) return null;
    const outcome = runRegex(regex, text, this.regexBudget);
    if (outcome === 'out-of-steps') throw new LimitReached({ path, message: `matching the pattern ${pattern} takes more than ${MAX_PATTERN_STEPS} steps` });
    return outcome === 'match';
  }

  private enumOptions(options: unknown[], path: string): Set<string> {
    let set = this.enums.get(options);
    if (!set) {
      this.charge(options.length);
      set = new Set(options.map(canonicalJson));
      this.enums.set(options, set);
    }
    return set;
  }

  passes(value: unknown, schema: unknown, path: string, depth: number): boolean {
    const probe = new IssueSink(1);
    this.apply(value, schema, path, depth, probe);
    return probe.issues.length === 0;
  }

  apply(value: unknown, schema: unknown, path: string, depth: number, sink: IssueSink): void {
    if (sink.full) return;
    this.charge(1);
    if (depth > MAX_SCHEMA_DEPTH) {
      throw new LimitReached({ path, message: `the input schema applies more than ${MAX_SCHEMA_DEPTH} levels deep (a $ref that recurses without the arguments nesting?)` });
    }
    if (schema === false) return sink.add(path, 'no value is allowed here', 'false');
    if (!isObject(schema)) return;

    if (typeof schema.$ref === 'string') {
      const target = resolveLocalRef(this.root, schema.$ref);
      if (target !== undefined) this.apply(value, target, path, depth + 1, sink);
    }
    const types = schema.type === undefined ? null : typeList(schema.type);
    if (types && !types.some((type) => hasType(value, type))) {
      // A value of the wrong type fails every other keyword too: one issue says it.
      return sink.add(path, `must be ${types.join(' or ')}, got ${jsonType(value)}`, 'type');
    }
    if (Array.isArray(schema.enum) || Object.hasOwn(schema, 'const')) {
      const canonical = canonicalJson(value);
      this.charge(Math.floor(canonical.length / 256));
      if (Array.isArray(schema.enum) && !this.enumOptions(schema.enum, path).has(canonical)) {
        sink.add(path, `must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`, 'enum');
      }
      if (Object.hasOwn(schema, 'const') && canonicalJson(schema.const) !== canonical) sink.add(path, `must be ${JSON.stringify(schema.const)}`, 'const');
    }
    for (const check of [checkNumber, checkString, checkArray, checkObject]) check(this, value, schema, path, depth, sink);
    this.combinators(value, schema, path, depth, sink);
  }

  private combinators(value: unknown, schema: { [key: string]: unknown }, path: string, depth: number, sink: IssueSink): void {
    const { allOf, anyOf, oneOf } = schema;
    if (Array.isArray(allOf)) for (const part of allOf) this.apply(value, part, path, depth + 1, sink);
    if (Array.isArray(anyOf) && anyOf.length > 0 && !anyOf.some((part) => this.passes(value, part, path, depth + 1))) {
      sink.add(path, 'must match at least one of the allowed shapes (anyOf)', 'anyOf');
    }
    if (Array.isArray(oneOf) && oneOf.length > 0) {
      let passing = 0;
      for (const part of oneOf) if (passing < 2 && this.passes(value, part, path, depth + 1)) passing++;
      if (passing !== 1) sink.add(path, `must match exactly one of the allowed shapes (oneOf); it matches ${passing === 0 ? 'none' : 'several'}`, 'oneOf');
    }
    if (Object.hasOwn(schema, 'not') && this.passes(value, schema.not, path, depth + 1)) sink.add(path, 'must not match the schema in not', 'not');
    if (Object.hasOwn(schema, 'if')) {
      const branch = this.passes(value, schema.if, path, depth + 1) ? 'then' : 'else';
      if (Object.hasOwn(schema, branch)) this.apply(value, schema[branch], path, depth + 1, sink);
    }
  }
}

/**
 * Issues with `value` against `schema` (at most `maxIssues`), empty when it matches. A
 * crossed work bound gives one issue saying so: the value is refused, not let through.
 */
export function validateSchema(value: unknown, schema: unknown, path = '$', maxIssues = 10): SchemaIssue[] {
  const sink = new IssueSink(maxIssues);
  try {
    new Run(schema, path).apply(value, schema, path, 0, sink);
  } catch (error) {
    if (error instanceof LimitReached) return [error.issue];
    throw error;
  }
  return sink.issues;
}
