import { Kind, type OperationDefinitionNode, parse, valueFromASTUntyped } from 'graphql';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `npm run query -- <file.graphql> [--variables '<json>'] [--format json|csv|table] [--token <jwt>]
 * [--url <gateway>]`: runs a saved question (or any operation file) against a gateway and prints
 * its answer for a terminal, a spreadsheet or a script.
 *
 * Exit codes: 0 the answer has no errors; 1 the gateway answered with GraphQL errors (printed on
 * stderr; partial data is still printed), could not be reached, or did not answer JSON; 2 a wrong
 * invocation or an unreadable operation file.
 *
 * How a result becomes rows (csv, table), so a spreadsheet gets one line per thing asked about:
 * - a nested object becomes dotted columns (`town.name`); a connection (`{ edges { node } }`) is
 *   the list of its nodes, and its other fields (`totalCount`, `pageInfo`) are ordinary columns;
 * - the rows come from the lists of objects found below the root without crossing another list.
 *   Lists whose items have the same fields are stacked (`districts` and `counties` of
 *   DistrictIncomeRanking give one row per district and county, named in an `@list` column); when
 *   lists differ, the group with the most items is the row source and the others are written as
 *   JSON cells. Columns of the row source are named from its items (`name`, `town.name`);
 *   everything outside it is context, repeated on every row under its full path (`region.name`);
 * - inside a row, one nested list of objects is expanded into one row per element with the row's
 *   other columns repeated (`allocations.amount`; an empty list keeps the row); several nested
 *   lists side by side, and lists of scalars, are written as JSON in one cell instead, so no
 *   cross product multiplies the rows;
 * - null is an empty cell; Decimal strings are printed as the gateway sent them, never as floats.
 */

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';
export const FORMATS = ['json', 'csv', 'table'] as const;
export type Format = (typeof FORMATS)[number];
const TIMEOUT_MS = 60_000;

export const USAGE = `Usage: npm run query -- <file.graphql> [options]
       node infra/local/dist/query.js <file.graphql> [options]

Runs the one operation of <file.graphql> (e.g. schema/operations/CityIncomeSummary.graphql)
against the gateway and prints its data.

Options:
  --variables '<json>'   a JSON object overriding the file's default variables
  --format json|csv|table
                         json (default): the data, pretty-printed; csv: RFC 4180 rows with
                         dotted column names, UTF-8; table: the same rows aligned for a terminal
  --token <jwt>          sent as "Authorization: Bearer <jwt>" (production gateways need one)
  --url <gateway>        the GraphQL endpoint (default ${DEFAULT_URL})
  -h, --help             this text

Exit codes: 0 answered without errors; 1 GraphQL errors (on stderr; partial data still printed),
gateway unreachable or not answering JSON; 2 a wrong invocation or an unreadable file.

npm prints its own "> …" lines on stdout: to save the output in a file, use \`npm run -s query -- …\`
or node directly, e.g. node infra/local/dist/query.js q.graphql --format csv > q.csv`;

/** A wrong invocation or an operation file that cannot be sent: exit 2 with its message. */
export class UsageError extends Error {
  readonly code = 'QUERY_USAGE';
}

/** The gateway could not be asked or did not answer GraphQL: exit 1 with its message. */
export class GatewayError extends Error {
  readonly code = 'QUERY_GATEWAY';
}

export interface QueryOptions {
  file: string;
  variables: Record<string, unknown>;
  format: Format;
  token?: string;
  url: string;
}

/** The command line, validated; throws UsageError (or returns 'help'). */
export function parseQueryArguments(argv: string[]): QueryOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        variables: { type: 'string' },
        format: { type: 'string', default: 'json' },
        token: { type: 'string' },
        url: { type: 'string', default: DEFAULT_URL },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'name the operation file to run.' : `one operation file at a time; got ${positionals.join(', ')}.`);
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${values.format}".`);
  let variables: Record<string, unknown> = {};
  if (values.variables !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(values.variables);
    } catch (error) {
      throw new UsageError(`--variables is not valid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--variables must be a JSON object, e.g. \'{"year": 2023}\'.');
    variables = value as Record<string, unknown>;
  }
  let url: URL;
  try {
    url = new URL(values.url!);
  } catch {
    throw new UsageError(`--url is not a URL: "${values.url}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http(s); got "${values.url}".`);
  const token = values.token?.replace(/^Bearer\s+/i, '').trim();
  if (values.token !== undefined && !token) throw new UsageError('--token is empty.');
  return { file: positionals[0], variables, format, token, url: url.toString() };
}

export interface OperationFile {
  text: string;
  operationName?: string;
  /** Each declared variable with its default (undefined without one). */
  variables: Record<string, unknown>;
}

/** Reads and checks an operation file: it must parse and hold exactly one operation. */
export function readOperationFile(file: string, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): OperationFile {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  let document;
  try {
    document = parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not a GraphQL document: ${(error as Error).message}`);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new UsageError(`${file} holds ${operations.length} operations; the command runs a file with exactly one.`);
  const [operation] = operations;
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    variables[definition.variable.name.value] = definition.defaultValue ? valueFromASTUntyped(definition.defaultValue) : undefined;
  }
  return { text, operationName: operation.name?.value, variables };
}

/** The variables to send: only the overrides (the gateway applies the file's defaults), checked against the declared ones. */
export function variablesFor(operation: OperationFile, overrides: Record<string, unknown>, file: string): Record<string, unknown> {
  const declared = Object.keys(operation.variables);
  const unknown = Object.keys(overrides).filter((name) => !declared.includes(name));
  if (unknown.length) {
    const takes = declared.length ? `it takes ${declared.map((name) => `$${name}`).join(', ')}` : 'it takes none';
    throw new UsageError(`${file} declares no variable ${unknown.map((name) => `$${name}`).join(', ')}; ${takes}.`);
  }
  return overrides;
}

// ------------------------------------------------------------------ flattening into rows

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
/** One row: cells by column, in the order the columns were met. */
type Row = Map<string, string>;

export interface Table {
  columns: string[];
  rows: string[][];
}

/** The column naming the list a row came from, when lists were stacked; no GraphQL path can be spelt like it. */
export const LIST_COLUMN = '@list';

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const isConnection = (value: Json | undefined): value is JsonObject & { edges: JsonObject[] } =>
  isObject(value) && Array.isArray(value.edges) && value.edges.every((edge) => isObject(edge) && 'node' in edge);
const isObjectList = (value: Json | undefined): value is Json[] => Array.isArray(value) && value.every((item) => item === null || isObject(item));

/** What lies at a path below an object without crossing a list: a leaf cell, or a list of objects. */
type Entry = { kind: 'leaf'; path: string; value: Json } | { kind: 'list'; path: string; items: JsonObject[]; raw: Json; connection: boolean };

const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

function walk(value: JsonObject, prefix = '', entries: Entry[] = []): Entry[] {
  for (const [key, child] of Object.entries(value)) {
    const path = join(prefix, key);
    if (isConnection(child)) {
      // The nodes take the place of `edges`; an edge's cursor is left out (pageInfo.endCursor pages on).
      for (const [field, value] of Object.entries(child)) {
        if (field !== 'edges') walk({ [field]: value }, path, entries);
        else {
          const items = child.edges.map((edge) => edge.node).filter(isObject);
          entries.push({ kind: 'list', path, items, raw: items, connection: true });
        }
      }
    } else if (isObject(child)) {
      // A nested object that is empty still says the field was asked for.
      if (Object.keys(child).length === 0) entries.push({ kind: 'leaf', path, value: null });
      walk(child, path, entries);
    } else if (isObjectList(child)) {
      entries.push({ kind: 'list', path, items: child.filter(isObject), raw: child, connection: false });
    } else {
      entries.push({ kind: 'leaf', path, value: child ?? null });
    }
  }
  return entries;
}

/** A leaf's text: strings as sent (Decimal strings stay exact), null empty, lists as JSON. */
export function cellText(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

type List = Extract<Entry, { kind: 'list' }>;

/**
 * Rows of an object's entries, with `expand` the lists whose items become rows (their columns
 * prefixed by `prefixOf`) and every other list written as one JSON cell.
 */
function rowsOfEntries(entries: Entry[], expand: List[], prefixOf: (list: List) => string, listColumn: boolean): Row[] {
  const context = (current?: List): Row => {
    const row: Row = new Map();
    if (listColumn && current) row.set(LIST_COLUMN, current.path);
    for (const entry of entries) {
      if (entry.kind === 'leaf') row.set(entry.path, cellText(entry.value));
      else if (!expand.includes(entry)) row.set(entry.path, cellText(entry.raw));
      else if (entry === current) row.set(`\0${entry.path}`, '');
    }
    return row;
  };
  if (expand.length === 0) return [context()];
  const rows: Row[] = [];
  for (const list of expand) {
    const base = context(list);
    const prefix = prefixOf(list);
    const marker = `\0${list.path}`;
    for (const subRow of rowsOfItems(list.items)) {
      const row: Row = new Map();
      for (const [column, cell] of base) {
        if (column !== marker) row.set(column, cell);
        else for (const [subColumn, subCell] of subRow) row.set(join(prefix, subColumn), subCell);
      }
      rows.push(row);
    }
  }
  // Empty lists keep their parent's row (left-join semantics), so no parent disappears.
  return rows.length ? rows : [context()];
}

/** Rows of sibling items: one nested list of objects (at one path across all of them) is expanded. */
function rowsOfItems(items: JsonObject[]): Row[] {
  const walked = items.map((item) => walk(item));
  const expandable: string[] = [];
  for (const entries of walked) {
    for (const entry of entries) {
      // An empty plain list may as well be a list of scalars: only items or a connection prove it holds objects.
      if (entry.kind === 'list' && (entry.items.length > 0 || entry.connection) && !expandable.includes(entry.path)) expandable.push(entry.path);
    }
  }
  const path = expandable.length === 1 ? expandable[0] : undefined;
  return walked.flatMap((entries) => {
    const expand = entries.filter((entry): entry is List => entry.kind === 'list' && entry.path === path);
    return rowsOfEntries(entries, expand, (list) => list.path, false);
  });
}

/** Lists stacked at the root: the same-shaped group with the most items; ties go to the first. */
function rootRowSource(lists: List[]): List[] {
  const shape = (list: List) => [...new Set(list.items.flatMap((item) => Object.keys(item)))].sort().join('\n');
  const groups = new Map<string, List[]>();
  for (const list of lists) groups.set(shape(list), [...(groups.get(shape(list)) ?? []), list]);
  let best: List[] = [];
  let bestCount = -1;
  for (const group of groups.values()) {
    const count = group.reduce((sum, list) => sum + list.items.length, 0);
    if (count > bestCount) [best, bestCount] = [group, count];
  }
  return best;
}

/** A GraphQL result's data as rows (see the file's comment for the rules). */
export function flattenResult(data: Json): Table {
  if (!isObject(data)) return { columns: [], rows: [] };
  const entries = walk(data);
  const lists = entries.filter((entry): entry is List => entry.kind === 'list');
  const source = lists.length ? rootRowSource(lists) : [];
  const contextColumns = new Set(entries.filter((entry) => !source.includes(entry as List)).map((entry) => entry.path));
  const rows = rowsOfEntries(entries, source, (list) => {
    // Items' columns are named from the items unless one would collide with a context column.
    const clash = list.items.some((item) => walk(item).some((entry) => contextColumns.has(entry.path)));
    return clash ? list.path : '';
  }, source.length > 1);
  return toTable(rows);
}

function toTable(rows: Row[]): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) for (const column of row.keys()) if (!seen.has(column)) seen.add(column), columns.push(column);
  // A null object leaves an empty column next to the dotted columns its non-null siblings gave.
  const kept = columns.filter((column) => !(columns.some((other) => other.startsWith(`${column}.`)) && rows.every((row) => !row.get(column))));
  return { columns: kept, rows: rows.map((row) => kept.map((column) => row.get(column) ?? '')) };
}

// ------------------------------------------------------------------ output formats

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header line, then the rows, each line ending in CRLF. */
export function toCsv(table: Table): string {
  if (table.columns.length === 0) return '';
  return [table.columns, ...table.rows].map((line) => `${line.map(csvField).join(',')}\r\n`).join('');
}

/** Columns a terminal gives a character: two for East Asian wide and full-width ones (汉字, ，), none for combining marks. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if ((code >= 0x300 && code <= 0x36f) || code === 0x200b || (code >= 0xfe00 && code <= 0xfe0f)) continue;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0x303e) ||
      (code >= 0x3041 && code <= 0x33ff) ||
      (code >= 0x3400 && code <= 0x4dbf) ||
      (code >= 0x4e00 && code <= 0x9fff) ||
      (code >= 0xa000 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
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

export function formatData(data: Json, format: Format): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const table = flattenResult(data);
  return format === 'csv' ? toCsv(table) : toTextTable(table);
}

// ------------------------------------------------------------------ talking to the gateway

export interface GraphQLAnswer {
  data?: Json;
  errors?: Array<{ message?: string; path?: Array<string | number>; extensions?: { code?: string; subgraph?: string } }>;
}

/** POSTs the operation; throws GatewayError when there is no GraphQL answer to show. */
export async function postOperation(url: string, body: unknown, token?: string): Promise<GraphQLAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/graphql-response+json, application/json',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    if ((error as Error).name === 'TimeoutError') throw new GatewayError(`the gateway at ${url} did not answer within ${TIMEOUT_MS / 1000} s.`);
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new GatewayError(`cannot reach the gateway at ${url} (${reason}). Is it running? Start it with \`npm start\`, or pass --url.`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new GatewayError(`${url} answered ${response.status} ${response.statusText} without JSON: ${text.slice(0, 200).trim() || '(empty body)'}`);
  }
  if (!isObject(answer as Json) || (!('data' in (answer as object)) && !('errors' in (answer as object)))) {
    throw new GatewayError(`${url} answered ${response.status} with JSON that is not a GraphQL response; is --url the gateway's /graphql?`);
  }
  return answer as GraphQLAnswer;
}

/** One line per GraphQL error: message, code, path and the subgraph it came from. */
export function describeErrors(errors: NonNullable<GraphQLAnswer['errors']>): string {
  return errors
    .map((error) => {
      const code = error.extensions?.code ? ` [${error.extensions.code}]` : '';
      const path = error.path?.length ? ` at ${error.path.join('.')}` : '';
      const subgraph = error.extensions?.subgraph ? ` (subgraph ${error.extensions.subgraph})` : '';
      return `query: error${code}${path}${subgraph}: ${error.message ?? 'no message'}\n`;
    })
    .join('');
}

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The whole command; resolves to the exit code. */
export async function runQuery(argv: string[], io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  let options: QueryOptions | 'help';
  try {
    options = parseQueryArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`query: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let operation: OperationFile;
  let variables: Record<string, unknown>;
  try {
    operation = readOperationFile(options.file);
    variables = variablesFor(operation, options.variables, options.file);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`query: ${error.message}\n`);
    return 2;
  }
  let answer: GraphQLAnswer;
  try {
    answer = await postOperation(options.url, { query: operation.text, operationName: operation.operationName, variables }, options.token);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    io.err(`query: ${error.message}\n`);
    return 1;
  }
  if (answer.data !== undefined && answer.data !== null) io.out(formatData(answer.data, options.format));
  if (answer.errors?.length) {
    io.err(describeErrors(answer.errors));
    return 1;
  }
  return 0;
}

if (require.main === module) {
  runQuery(process.argv.slice(2)).then(
    (code) => {
      // exitCode rather than exit(), so a large answer piped to another program is written out in full.
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('query: unexpected failure:', error);
      process.exitCode = 1;
    },
  );
}
