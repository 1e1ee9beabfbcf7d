/**
 * Keywords for arrays (items in their draft 4 and 2020-12 forms, contains, uniqueItems) and
 * objects (properties, patternProperties, additionalProperties, required, dependencies, …).
 * Own keys only: an argument named `constructor` or `__proto__` is data, not a prototype slot.
 */
import { canonicalJson, childPath, isObject } from './instance.ts';
import type { KeywordCheck } from './validation.ts';

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isSubschema = (x: unknown) => typeof x === 'boolean' || isObject(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((item): item is string => typeof item === 'string') : []);

export const checkArray: KeywordCheck = (validation, value, schema, path, depth, sink) => {
  if (!Array.isArray(value)) return;
  const { minItems, maxItems, uniqueItems, items, prefixItems, additionalItems, contains, minContains, maxContains } = schema;
  if (isCount(minItems) && value.length < minItems) sink.add(path, `must have at least ${minItems} items`, 'minItems');
  if (isCount(maxItems) && value.length > maxItems) sink.add(path, `must have at most ${maxItems} items`, 'maxItems');
  if (uniqueItems === true) {
    const seen = new Map<string, number>();
    for (let index = 0; index < value.length; index++) {
      const key = canonicalJson(value[index]);
      validation.charge(1 + Math.floor(key.length / 256));
      const first = seen.get(key);
      if (first !== undefined) {
        sink.add(childPath(path, index), `duplicates item ${first} (items must be unique)`, 'uniqueItems');
        break;
      }
      seen.set(key, index);
    }
  }

  // 2020-12 `prefixItems` + `items` for the rest; drafts 4–2019 `items: [..]` + `additionalItems`.
  const tuple = Array.isArray(prefixItems) ? prefixItems : Array.isArray(items) ? items : [];
  const rest = Array.isArray(prefixItems) ? items : Array.isArray(items) ? additionalItems : items;
  const restKeyword = Array.isArray(prefixItems) ? 'items' : Array.isArray(items) ? 'additionalItems' : 'items';
  for (let index = 0; index < value.length && !sink.full; index++) {
    const itemSchema = index < tuple.length ? tuple[index] : rest;
    if (itemSchema === false) {
      sink.add(childPath(path, index), `is not allowed: at most ${tuple.length} items`, index < tuple.length ? 'prefixItems' : restKeyword);
    } else if (isSubschema(itemSchema)) validation.apply(value[index], itemSchema, childPath(path, index), depth + 1, sink);
  }

  if (isSubschema(contains)) {
    const least = isCount(minContains) ? minContains : 1;
    const most = isCount(maxContains) ? maxContains : Infinity;
    let matching = 0;
    for (let index = 0; index < value.length && matching <= most; index++) {
      if (validation.passes(value[index], contains, childPath(path, index), depth + 1)) matching++;
      if (matching >= least && most === Infinity) break;
    }
    if (matching < least) sink.add(path, least === 1 ? 'must contain an item that matches contains' : `must contain at least ${least} items that match contains`, least === 1 && !isCount(minContains) ? 'contains' : 'minContains');
    else if (matching > most) sink.add(path, `must contain at most ${most} items that match contains`, 'maxContains');
  }
};

export const checkObject: KeywordCheck = (validation, value, schema, path, depth, sink) => {
  if (!isObject(value)) return;
  const object = value;
  const keys = Object.keys(object);
  validation.charge(keys.length);
  const has = (key: string) => Object.hasOwn(object, key);
  const { required, minProperties, maxProperties, dependentRequired, dependentSchemas, dependencies, propertyNames } = schema;

  for (const key of strings(required)) if (!has(key)) sink.add(childPath(path, key), 'is required', 'required');
  if (isCount(minProperties) && keys.length < minProperties) sink.add(path, `must have at least ${minProperties} properties`, 'minProperties');
  if (isCount(maxProperties) && keys.length > maxProperties) sink.add(path, `must have at most ${maxProperties} properties`, 'maxProperties');

  // dependentRequired / dependentSchemas (2019+) and their draft 4–7 form, dependencies.
  const requiredWhen = (trigger: string, needed: string[], keyword: string) => {
    for (const key of needed) if (!has(key)) sink.add(childPath(path, key), `is required when ${trigger} is present`, keyword);
  };
  if (isObject(dependentRequired)) for (const trigger of Object.keys(dependentRequired)) if (has(trigger)) requiredWhen(trigger, strings(dependentRequired[trigger]), 'dependentRequired');
  for (const [keyword, map] of [['dependentSchemas', dependentSchemas], ['dependencies', dependencies]] as const) {
    if (!isObject(map)) continue;
    for (const trigger of Object.keys(map)) {
      if (!has(trigger) || sink.full) continue;
      const dependency = map[trigger];
      if (Array.isArray(dependency)) requiredWhen(trigger, strings(dependency), keyword);
      else if (isSubschema(dependency)) validation.apply(object, dependency, path, depth + 1, sink);
    }
  }

  if (isSubschema(propertyNames)) {
    for (const key of keys) {
      if (sink.full) break;
      if (!validation.passes(key, propertyNames, childPath(path, key), depth + 1)) sink.add(childPath(path, key), `property name ${JSON.stringify(key)} does not match propertyNames`, 'propertyNames');
    }
  }

  const properties = isObject(schema.properties) ? schema.properties : {};
  const patterns = isObject(schema.patternProperties) ? Object.keys(schema.patternProperties) : [];
  const additional = schema.additionalProperties;
  for (const key of keys) {
    if (sink.full) break;
    const at = childPath(path, key);
    let declared = false;
    if (Object.hasOwn(properties, key)) {
      declared = true;
      validation.apply(object[key], properties[key], at, depth + 1, sink);
    }
    // A pattern the linear engine cannot run (only from a server's schema) leaves the key's status unknown.
    let unknown = false;
    for (const pattern of patterns) {
      const matched = validation.matches(pattern, key, at);
      if (matched === null) unknown = true;
      if (matched !== true) continue;
      declared = true;
      validation.apply(object[key], (schema.patternProperties as { [key: string]: unknown })[pattern], at, depth + 1, sink);
    }
    if (declared || unknown || additional === undefined) continue;
    if (additional === false) sink.add(at, 'is not allowed', 'additionalProperties');
    else if (isSubschema(additional)) validation.apply(object[key], additional, at, depth + 1, sink);
  }
};
