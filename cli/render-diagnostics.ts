/** Diagnostics as people read them: `file:line:col: error CODE: message`, then a summary line. */
import { formatLocation, type Diagnostic } from '../compiler/diagnostics.ts';

export function renderDiagnostic(diagnostic: Diagnostic): string {
  const where = formatLocation(diagnostic.location);
  return `${where ? `${where}: ` : ''}${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const lines = diagnostics.map(renderDiagnostic);
  lines.push(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
