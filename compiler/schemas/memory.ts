/** Memory: a store agents use through the built-in memory tools (Orloj `resources/resource_types.go`, `MemoryConfig`). */
import type { z } from 'zod';
import { fields, reference, text } from './common.ts';

export const memorySpecSchema = fields({
  // Informational in Orloj; orch ranks `memory.search` by similarity for `vector`, by substring otherwise.
  type: text.optional(),
  provider: text.optional(),
  embedding_model: text.optional(),
  endpoint: text.optional(),
  // Orloj writes `secretRef`; keys are read in any spelling as `secret_ref`.
  auth: fields({ secret_ref: reference.optional() }).optional(),
});

export type MemorySpecInput = z.output<typeof memorySpecSchema>;
