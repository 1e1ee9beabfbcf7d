/** Diagnostics as people read them: `file:line:col: error CODE: message`, then a summary line. */
import { formatLocation, type Diagnostic } from '../compiler/diagnostics.ts';
import { escapeLine } from './render-text.ts';

/**
 * One diagnostic, always one line: messages quote manifest values and file names, which may
 * hold newlines or terminal escapes, so they are escaped (a manifest cannot forge diagnostics).
 */
export function renderDiagnostic(diagnostic: Diagnostic): string {
  const where = formatLocation(diagnostic.location);
  return escapeLine(`${where ? `${where}: ` : ''}${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`);
}

/** Every diagnostic, one per line, then the count of errors and warnings; empty when there are none. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const lines = diagnostics.map(renderDiagnostic);
  lines.push(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
