import { escapeLine } from './render-text.ts';

/**
 * Plain aligned columns for terminal listings; the last column is not padded. Cells come from
 * runs and their histories, so each is escaped before it is measured: one row, one line.
 */
export function renderColumns(header: readonly string[], unsafeRows: readonly (readonly string[])[]): string {
  const rows = unsafeRows.map((row) => row.map(escapeLine));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [header, ...rows].map((cells) => `${format(cells)}\n`).join('');
}
