/**
 * The AI SDK schema for an agent's `output_schema`, with validation.
 *
 * ai@7's `jsonSchema()` does not validate by itself: without a `validate` function any
 * parseable JSON passes `Output.object`. orch validates with zod's JSON Schema import, so
 * an answer that does not match the schema fails as MODEL_RESPONSE_INVALID (retryable)
 * instead of flowing downstream as if it were valid.
 */
import { jsonSchema, type JSONSchema7, type Schema } from 'ai';
import { z } from 'zod';
import type { JsonObject, JsonValue } from '../contract/plan.ts';

/** Builds the validated schema. A schema zod cannot import is sent to the model but not checked. */
export function structuredOutputSchema(schema: JsonObject): Schema<JsonValue> {
  let validator: z.ZodType | undefined;
  try {
    validator = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
  } catch {
    // zod's importer is semi-experimental and refuses some keywords; the provider still
    // enforces the schema where it supports structured outputs.
    validator = undefined;
  }
  if (!validator) return jsonSchema<JsonValue>(schema as JSONSchema7);
  const check = validator;
  return jsonSchema<JsonValue>(schema as JSONSchema7, {
    validate: (value) => {
      const result = check.safeParse(value);
      // Keep the model's value, not zod's output: zod may strip or default fields.
      return result.success ? { success: true, value: value as JsonValue } : { success: false, error: result.error };
    },
  });
}
