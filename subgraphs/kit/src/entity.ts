import { DateScalar, DecimalScalar } from '@zigong/platform';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn, type ColumnOptions } from 'typeorm';

/*
 * A department's records are TypeORM entities that are also type-graphql object types, so most
 * columns are a column and a field at once. These decorators say both in one line; a column that
 * is no field (a foreign key that a field resolver turns into an entity) keeps TypeORM's own
 * `@Column`, and a field that is no column its own `@Field`. Fields appear in the schema in the
 * order the class declares them.
 */

export interface EntityTypeOptions {
  description?: string;
  /** A federation entity (`@key(fields: "id")`) that the gateway and other departments reach by id. */
  key?: boolean;
  /** type-graphql's simpleResolvers: no middlewares or auth on this type's fields, for speed. */
  simpleResolvers?: boolean;
}

/** A table of the department's Postgres schema that is also a GraphQL object type of the same name as the class. */
export function EntityType(table: string, { description, key = false, simpleResolvers }: EntityTypeOptions = {}): ClassDecorator {
  return (target) => {
    if (key) Directive('@key(fields: "id")')(target);
    ObjectType({ description, simpleResolvers })(target);
    Entity({ name: table })(target);
  };
}

export interface ColumnFieldOptions {
  description?: string;
}

/** What a field resolves to: a scalar, an enum, a class, or a list of one. */
type TypeFunction = () => object;

function columnField(column: ColumnOptions & { primary?: boolean }, type: TypeFunction, field: ColumnFieldOptions & { nullable?: boolean }): PropertyDecorator {
  const { primary, ...options } = column;
  return (prototype, property) => {
    Field(type, field)(prototype, property);
    (primary ? PrimaryColumn({ ...options, nullable: false }) : Column(options))(prototype, property);
  };
}

/** The text primary key (varchar with `length`), as the GraphQL ID. */
export function IdColumn({ length, description }: ColumnFieldOptions & { length?: number } = {}): PropertyDecorator {
  return columnField({ primary: true, type: length ? 'varchar' : 'text', length }, () => ID, { description });
}

/** A text column, as a String field. */
export function TextColumn({ name, nullable, description }: ColumnFieldOptions & { name?: string; nullable?: boolean } = {}): PropertyDecorator {
  return columnField({ name, type: 'text', nullable }, () => String, { description, nullable });
}

/** A text array column, as a list of strings. */
export function TextListColumn({ description }: ColumnFieldOptions = {}): PropertyDecorator {
  return columnField({ type: 'text', array: true }, () => [String], { description });
}

/** An enum kept as text (its values are the enum's), as the enum. */
export function EnumColumn(type: object, { name, description }: ColumnFieldOptions & { name?: string } = {}): PropertyDecorator {
  return columnField({ name, type: 'text' }, () => type, { description });
}

/** An integer column (part of the primary key with `primary`), as an Int. */
export function IntColumn({ name, primary, description }: ColumnFieldOptions & { name?: string; primary?: boolean } = {}): PropertyDecorator {
  return columnField({ name, primary, type: 'integer' }, () => Int, { description });
}

/** Money: numeric(18,2), which pg gives as text and the schema as a Decimal; never a float. */
export function MoneyColumn({ name, computed, description }: ColumnFieldOptions & { name?: string; computed?: boolean } = {}): PropertyDecorator {
  // A computed column is Postgres' own (GENERATED ALWAYS): TypeORM never writes it.
  const writes = computed ? { insert: false, update: false } : {};
  return columnField({ name, type: 'numeric', precision: 18, scale: 2, ...writes }, () => DecimalScalar, { description });
}

/** A calendar day (`date`), as the Date scalar (YYYY-MM-DD). */
export function DateColumn({ name, description }: ColumnFieldOptions & { name?: string } = {}): PropertyDecorator {
  return columnField({ name, type: 'date' }, () => DateScalar, { description });
}

/** `generated`: true where the reference data set made the row up, false for the article's facts and for what users write. */
export function GeneratedFlag(what = 'record'): PropertyDecorator {
  return columnField({ type: 'boolean', default: false }, () => Boolean, { description: `True where the reference data set made this ${what} up.` });
}
