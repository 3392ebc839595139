/**
 * A GraphQL result's data as rows (csv, table), so a spreadsheet gets one line per thing asked about:
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
 * - null is an empty cell; Decimal strings are kept as the gateway sent them, never made floats.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/** One row: cells by column, in the order the columns were met. */
type Row = Map<string, string>;

export interface Table {
  columns: string[];
  rows: string[][];
}

/** The column naming the list a row came from, when lists were stacked; no GraphQL path can be spelt like it. */
export const LIST_COLUMN = '@list';

export const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
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
