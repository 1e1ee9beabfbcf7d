/**
 * The JSON Schema vocabulary argument validation enforces, in one table shared by the
 * validator (workflow) and the compiler, which refuses a manifest's `input_schema` that uses
 * anything else: a keyword that looks enforced but is not would let bad arguments through.
 */
import { FORMAT_CHECKS } from './formats.ts';

/** What a keyword's value must be, so the compiler can check it before the workflow relies on it. */
export type KeywordShape =
  | 'types'
  | 'any'
  | 'array'
  | 'number'
  | 'positive-number'
  | 'number-or-boolean'
  | 'count'
  | 'boolean'
  | 'regex'
  | 'format'
  | 'schema'
  | 'schema-or-schemas'
  | 'schemas'
  | 'schema-map'
  | 'regex-schema-map'
  | 'strings'
  | 'string-lists'
  | 'dependencies'
  | 'ref';

/** Validation keywords, with the shape of their values. Drafts 4 to 2020-12. */
export const VALIDATION_KEYWORDS: Readonly<Record<string, KeywordShape>> = {
  type: 'types',
  enum: 'array',
  const: 'any',
  minimum: 'number',
  maximum: 'number',
  // Numbers since draft 6; booleans modifying minimum/maximum in draft 4.
  exclusiveMinimum: 'number-or-boolean',
  exclusiveMaximum: 'number-or-boolean',
  multipleOf: 'positive-number',
  minLength: 'count',
  maxLength: 'count',
  pattern: 'regex',
  format: 'format',
  items: 'schema-or-schemas',
  prefixItems: 'schemas',
  additionalItems: 'schema',
  minItems: 'count',
  maxItems: 'count',
  uniqueItems: 'boolean',
  contains: 'schema',
  minContains: 'count',
  maxContains: 'count',
  properties: 'schema-map',
  patternProperties: 'regex-schema-map',
  additionalProperties: 'schema',
  propertyNames: 'schema',
  required: 'strings',
  minProperties: 'count',
  maxProperties: 'count',
  dependentRequired: 'string-lists',
  dependentSchemas: 'schema-map',
  dependencies: 'dependencies',
  allOf: 'schemas',
  anyOf: 'schemas',
  oneOf: 'schemas',
  not: 'schema',
  if: 'schema',
  then: 'schema',
  else: 'schema',
  $ref: 'ref',
  // Containers for $ref targets: their members are schemas, checked like the rest.
  $defs: 'schema-map',
  definitions: 'schema-map',
};

/**
 * Keywords that describe but never reject a value: allowed, ignored by validation. (Vendor
 * extensions, `x-…`, are too.) OpenAPI's `nullable` is not here: it changes what is valid.
 */
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set([
  '$schema',
  '$id',
  'id',
  '$comment',
  '$anchor',
  'title',
  'description',
  'default',
  'examples',
  'example',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'contentEncoding',
  'contentSchema',
  'xml',
  'externalDocs',
]);

/** JSON types as `type` names them. */
export const JSON_TYPES: ReadonlySet<string> = new Set(['null', 'boolean', 'object', 'array', 'number', 'integer', 'string']);

/** `format` values the validator checks. */
export const FORMATS: readonly string[] = Object.keys(FORMAT_CHECKS);

/** Whether `key` is an annotation: listed, or a vendor extension (`x-…`). */
export function isAnnotation(key: string): boolean {
  return ANNOTATION_KEYWORDS.has(key) || key.startsWith('x-');
}
