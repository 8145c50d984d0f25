/**
 * A tiny table printer for lockctl: a header row, then one row per item, columns separated by
 * two spaces, numbers right-aligned. No borders and no colours, so the output stays greppable
 * and `awk`-able; scripts should use `--json` anyway.
 */
import stringWidth from 'string-width';

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | boolean | undefined;
  /** Default: right for numbers, left otherwise (decided per column from its first row). */
  readonly align?: 'left' | 'right';
}

/**
 * Terminal columns a string takes: CJK and emoji take two, combining marks none, ANSI escapes
 * none (string-width), so a lock name in any script keeps the columns after it aligned.
 */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

function cell(v: string | number | boolean | undefined): string {
  if (v === undefined) return '-';
  return String(v).replace(/[\r\n\t]/g, ' ');
}

/** Renders rows as an aligned table (ending with a newline); an empty list renders `empty`. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], empty = '(none)\n'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const aligns = columns.map((c) => c.align ?? (rows[0] !== undefined && typeof c.value(rows[0]) === 'number' ? 'right' : 'left'));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i] ?? ''))));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(v)));
        return aligns[i] === 'right' ? pad + v : i === values.length - 1 ? v : v + pad;
      })
      .join('  ')
      .trimEnd() + '\n';
  return line(columns.map((c) => c.header)) + cells.map(line).join('');
}

/** `key: value` lines with the keys aligned. */
export function renderKeyValues(pairs: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => displayWidth(k)));
  return pairs.map(([k, v]) => `${k}:${' '.repeat(width - displayWidth(k) + 1)}${cell(v)}\n`).join('');
}
