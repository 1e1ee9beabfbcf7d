/**
 * Tool arguments checked against the tool's `input_schema` in the workflow, before any
 * activity is scheduled: invalid arguments go back to the model as a tool error and never
 * reach the tool. The validator (`json-schema/`) enforces the JSON Schema keywords tools use;
 * the compiler refuses any other keyword in a manifest, and arguments too large or too deep
 * to check are refused rather than waved through.
 */
import type { JsonValue } from '../contract/plan.ts';
import { argumentSizeProblem } from '../validation/json-schema/instance.ts';
import { validateSchema } from '../validation/json-schema/validate.ts';

export { MAX_ARGUMENT_DEPTH, MAX_ARGUMENT_VALUES } from '../validation/json-schema/instance.ts';

export interface ArgumentIssue {
  /** JSON path of the offending value, `$` for the whole input. */
  path: string;
  message: string;
  /** The schema keyword that failed (`type`, `required`, `format`, …); absent when a size or work bound refused the arguments. */
  keyword?: string;
}

const MAX_ISSUES = 10;

/** Issues with `value` against `schema`; empty when valid (or when the schema says nothing). */
export function validateArguments(value: JsonValue, schema: unknown, path = '$'): ArgumentIssue[] {
  const tooLarge = argumentSizeProblem(value, path);
  if (tooLarge) return [tooLarge];
  return validateSchema(value, schema, path, MAX_ISSUES);
}
