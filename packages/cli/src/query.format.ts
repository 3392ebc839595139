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

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell as a spreadsheet may safely read it (OWASP's rule): text that would start a formula is
 * prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it as text and run
 * nothing. A plain number such as `-12.5` (a Decimal string, a negative growth rate) is left as
 * it is: spreadsheets read it as a number, never as a formula, and quoting it would turn every
 * negative amount into text that sums skip. `-2+3` is not a plain number, so it is escaped.
 */
export function spreadsheetCell(text: string): string {
  return FORMULA_START.test(text) && !NUMBER.test(text) ? `'${text}` : text;
}

/**
 * Quoted besides RFC 4180's cases: an escaped cell, as OWASP asks, and a semicolon, the separator
 * Excel splits on in locales whose decimal mark is a comma, where `a;=cmd` would become a formula cell.
 */
const ALSO_QUOTED = [/^'/, /;/];

/**
 * RFC 4180 CSV: a header line, then the rows, each line ending in CRLF; a field is quoted when it
 * holds a comma, a semicolon, a quote or a line break (CR or LF), quotes doubled. Every cell,
 * header included, is made safe for spreadsheets (spreadsheetCell). Nothing at all for no columns.
 */
export function toCsv(table: Table, { bom = false }: FormatOptions = {}): string {
  if (table.columns.length === 0) return '';
  const lines = [table.columns, ...table.rows].map((line) => line.map(spreadsheetCell));
  // Rows as arrays, not objects: csv-stringify would read the dots of `town.name` as paths.
  return stringify(lines, { record_delimiter: '\r\n', quote_record_delimiter: true, quoted_match: ALSO_QUOTED, bom });
}

/** Columns a terminal gives a text: two for East Asian wide and full-width characters (汉字, ，), none for combining marks. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

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
