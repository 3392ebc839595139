import { getMetadataArgsStorage } from 'typeorm';

export interface SelectColumnsOptions {
  /** Qualifies every column with a table alias: `p.village_id AS "villageId"`. */
  alias?: string;
  /** Properties left out. */
  except?: readonly string[];
  /** Properties read through SQL of their own instead of their column, e.g. a `date` as text. */
  expressions?: Readonly<Record<string, string>>;
}

/**
 * The select list (or RETURNING list) that reads a TypeORM entity's columns as its properties, in
 * the entity's order: `id, name, village_id AS "villageId", generated`. Plain SQL that uses it
 * returns rows shaped like the entity, as TypeORM's own queries do, from the entity's metadata
 * rather than from a list kept by hand beside it. Column names are TypeORM's: the `name` a column
 * gives, else its property's (the default naming strategy, which the kit's data sources use).
 */
export function selectColumns(entity: Function, { alias, except = [], expressions = {} }: SelectColumnsOptions = {}): string {
  const columns = getMetadataArgsStorage()
    .filterColumns(entity)
    .filter((column) => column.mode !== 'virtual' && column.mode !== 'virtual-property');
  if (!columns.length) throw new Error(`${entity.name} has no TypeORM columns.`);
  const properties = new Set(columns.map((column) => column.propertyName));
  const unknown = [...except, ...Object.keys(expressions)].filter((property) => !properties.has(property));
  if (unknown.length) throw new Error(`${entity.name} has no column ${unknown.join(', ')}.`);
  const qualify = alias ? `${alias}.` : '';
  return columns
    .filter((column) => !except.includes(column.propertyName))
    .map(({ propertyName, options }) => {
      const expression = expressions[propertyName];
      if (expression) return `${expression} AS ${identifier(propertyName)}`;
      const name = options.name ?? propertyName;
      return name === propertyName ? `${qualify}${identifier(name)}` : `${qualify}${identifier(name)} AS ${identifier(propertyName)}`;
    })
    .join(', ');
}

/** A Postgres identifier: as it is when Postgres would read it so unquoted, else quoted. */
function identifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
