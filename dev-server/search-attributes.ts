/** Registering orch's search attributes on a namespace that lacks them. */
import type { Connection } from '@temporalio/client';
import { ORCH_SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';

export type SearchAttributeSpec = (typeof ORCH_SEARCH_ATTRIBUTES)[number];
type AddSearchAttributesRequest = Parameters<Connection['operatorService']['addSearchAttributes']>[0];
type IndexedValueTypes = NonNullable<AddSearchAttributesRequest['searchAttributes']>;

/** `temporal.api.enums.v1.IndexedValueType` wire values (stable proto enum numbers). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeSpec['type'], number> = { Keyword: 2, Int: 3, Double: 4, KeywordList: 7 };

/** Which of `attributes` the namespace lacks. */
export async function missingSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  attributes: ReadonlyArray<SearchAttributeSpec> = ORCH_SEARCH_ATTRIBUTES,
): Promise<SearchAttributeSpec[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  return attributes.filter((attribute) => !known.has(attribute.name));
}

/**
 * Registers any of orch's search attributes the namespace lacks. Used on a local server orch
 * did not start (a plain `temporal server start-dev`), and on a database from an older orch;
 * on other clusters an operator does it. Returns the names it added; `missing`, when the caller
 * has just listed them, saves listing again.
 */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  attributes: ReadonlyArray<SearchAttributeSpec> = ORCH_SEARCH_ATTRIBUTES,
  missing?: ReadonlyArray<SearchAttributeSpec>,
): Promise<string[]> {
  missing ??= await missingSearchAttributes(connection, namespace, attributes);
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, number> = {};
  for (const attribute of missing) searchAttributes[attribute.name] = INDEXED_VALUE_TYPE[attribute.type];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: searchAttributes as IndexedValueTypes });
  return missing.map((attribute) => attribute.name);
}
