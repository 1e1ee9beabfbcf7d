/**
 * Bounds on what one manifest may ask of the compiler. Each is far above what a real manifest
 * needs and far below what would exhaust the stack or make loading slower than linear; going
 * past one is a located error diagnostic, never a crash or a hang.
 */

/**
 * How deeply maps and lists may nest, counting the document's own map as level 1: readers of
 * the data further on (schema checks, the plan hash, Temporal's payload codec) recurse per level.
 */
export const MAX_NESTING_DEPTH = 100;

/** How many aliases one YAML document may hold: yaml resolves each against the anchors before it. */
export const MAX_ALIASES_PER_DOCUMENT = 1_000;

/** How many nodes one document's aliases may add once expanded, in all (alias bombs stop here). */
export const MAX_ALIAS_EXPANSION = 100_000;
