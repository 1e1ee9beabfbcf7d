/** Why a manifest's regex cannot run on the workflow's linear-time engine (`workflows/linear-regex`). */
import { compileRegex } from '../validation/linear-regex/index.ts';

export interface RegexProblem {
  /** UNSUPPORTED_REGEX for valid syntax the engine refuses (backreferences, lookaround, size); INVALID_VALUE for bad syntax. */
  code: 'UNSUPPORTED_REGEX' | 'INVALID_VALUE';
  /** The engine's reason and where: `… (at character 3)`. */
  detail: string;
}

/** Null when the linear engine compiles `pattern`. */
export function regexProblem(pattern: string): RegexProblem | null {
  const compiled = compileRegex(pattern);
  if (compiled.ok) return null;
  const { kind, message, offset } = compiled.error;
  return { code: kind === 'unsupported' ? 'UNSUPPORTED_REGEX' : 'INVALID_VALUE', detail: `${message} (at character ${offset + 1})` };
}
