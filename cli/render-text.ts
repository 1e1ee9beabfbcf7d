/**
 * Text bound for a terminal, made inert. Manifest values, tool errors and model output reach
 * the CLI's text output; a newline in one could forge a diagnostic or a table row, an escape
 * sequence could move the cursor, erase lines or hide text, and a bidi override could make a
 * line read differently from what it is. Every piece of text output goes through here; `--json`
 * output does not (JSON escaping already covers it).
 */

/**
 * C0 controls (tab, newline and carriage return included), DEL and C1 controls, Unicode's line
 * and paragraph separators, and the bidi embedding, override and isolate controls.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, except newline and tab: what text printed as a block of lines may keep. */
const UNSAFE_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** One line of text: every control character becomes a visible escape (`\n`, `\x1b`, `\u{202e}`). */
export function escapeLine(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Text printed as lines of its own (a run's output): newlines and tabs stay, every other control is escaped. */
export function escapeBlock(text: string): string {
  return text.replace(UNSAFE_IN_BLOCK, escapeOne);
}
