/**
 * Tool arguments checked against the tool's `input_schema` in the workflow, before any
 * activity is scheduled: invalid arguments go back to the model as a tool error and never
 * reach the tool. A deterministic subset of JSON Schema: the keywords tools actually use.
 * Keywords it does not know (`$ref`, `format`, …) are not enforced: the tool still validates.
 */
import type { JsonValue } from '../compiler/plan.ts';

export interface ArgumentIssue {
  /** JSON path of the offending value, `$` for the whole input. */
  path: string;
  message: string;
}

type Schema = { [key: string]: unknown };

const MAX_ISSUES = 10;

function typeOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(value: JsonValue, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeOf(value) === type;
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function check(value: JsonValue, schema: unknown, path: string, issues: ArgumentIssue[]): void {
  if (issues.length >= MAX_ISSUES || !isSchema(schema)) return;
  const add = (message: string, at = path) => {
    if (issues.length < MAX_ISSUES) issues.push({ path: at, message });
  };

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => matchesType(value, type))) {
      add(`must be ${types.join(' or ')}, got ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => equal(option, value))) {
    add(`must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`);
  }
  if ('const' in schema && !equal(schema.const, value)) add(`must be ${JSON.stringify(schema.const)}`);

  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) add(`must be >= ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) add(`must be <= ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) add(`must be > ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) add(`must be < ${schema.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) add(`must have at least ${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) add(`must have at most ${schema.maxLength} characters`);
    const pattern = typeof schema.pattern === 'string' ? safeRegExp(schema.pattern) : null;
    if (pattern && !pattern.test(value)) add(`must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) add(`must have at least ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) add(`must have at most ${schema.maxItems} items`);
    if (isSchema(schema.items)) value.forEach((item, index) => check(item, schema.items, `${path}[${index}]`, issues));
  }
  if (typeOf(value) === 'object') {
    const object = value as { [key: string]: JsonValue };
    const properties = isSchema(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) if (!(key in object)) add(`is required`, `${path}.${key}`);
    }
    for (const [key, child] of Object.entries(object)) {
      if (key in properties) check(child, properties[key], `${path}.${key}`, issues);
      else if (schema.additionalProperties === false) add(`is not allowed`, `${path}.${key}`);
      else if (isSchema(schema.additionalProperties)) check(child, schema.additionalProperties, `${path}.${key}`, issues);
    }
  }

  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) check(value, part, path, issues);
  const passing = (parts: unknown[]) => parts.filter((part) => validateArguments(value, part, path).length === 0).length;
  if (Array.isArray(schema.anyOf) && passing(schema.anyOf) === 0) add('must match at least one of the allowed shapes (anyOf)');
  if (Array.isArray(schema.oneOf) && passing(schema.oneOf) !== 1) add('must match exactly one of the allowed shapes (oneOf)');
}

function safeRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return null;
  }
}

/** Issues with `value` against `schema`; empty when valid (or when the schema says nothing). */
export function validateArguments(value: JsonValue, schema: unknown, path = '$'): ArgumentIssue[] {
  const issues: ArgumentIssue[] = [];
  check(value, schema, path, issues);
  return issues;
}
