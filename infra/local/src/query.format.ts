import { stringify } from 'csv-stringify/sync';
// string-width 4.2.3: the newest release that is CommonJS (5 and later are ESM-only, which jest
// cannot require on Node 20); it counts East Asian wide and full-width characters as two columns.
import stringWidth from 'string-width';
import { flattenResult, type Json, type Table } from './query.flatten';

/** How `npm run query` prints an answer's data (see USAGE in query.cli.ts). */
export const FORMATS = ['json', 'csv', 'table'] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatOptions {
  /** CSV only: start with a UTF-8 byte order mark, so Excel reads the file as UTF-8 (汉字 intact). */
  bom?: boolean;
}

/**
 * RFC 4180 CSV: a header line, then the rows, each line ending in CRLF; a field is quoted when it
 * holds a comma, a quote or a line break (CR or LF), quotes doubled. Nothing at all for no columns.
 */
export function toCsv(table: Table, { bom = false }: FormatOptions = {}): string {
  if (table.columns.length === 0) return '';
  // Rows as arrays, not objects: csv-stringify would read the dots of `town.name` as paths.
  return stringify([table.columns, ...table.rows], { record_delimiter: '\r\n', quote_record_delimiter: true, bom });
}

/** Columns a terminal gives a text: two for East Asian wide and full-width characters (汉字, ，), none for combining marks. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** The rows as an aligned text table; numeric columns are right-aligned, line breaks shown as ↵. */
export function toTextTable(table: Table): string {
  if (table.columns.length === 0) return '(no data)\n';
  const clean = (text: string) => text.replace(/\r\n|\r|\n/g, '↵').replace(/\t/g, ' ');
  const lines = [table.columns, ...table.rows].map((line) => line.map(clean));
  const widths = table.columns.map((_, i) => Math.max(...lines.map((line) => displayWidth(line[i]))));
  const numeric = table.columns.map((_, i) => table.rows.some((row) => row[i] !== '') && table.rows.every((row) => row[i] === '' || NUMBER.test(row[i])));
  const pad = (text: string, i: number) => {
    const fill = ' '.repeat(widths[i] - displayWidth(text));
    return numeric[i] ? fill + text : text + fill;
  };
  const render = (line: string[]) => line.map(pad).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const count = `(${table.rows.length} ${table.rows.length === 1 ? 'row' : 'rows'})`;
  return [render(lines[0]), rule, ...lines.slice(1).map(render), count, ''].join('\n');
}

/** An answer's data in one of the formats: json pretty-printed, csv and table from its rows. */
export function formatData(data: Json, format: Format, options: FormatOptions = {}): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const table = flattenResult(data);
  return format === 'csv' ? toCsv(table, options) : toTextTable(table);
}
