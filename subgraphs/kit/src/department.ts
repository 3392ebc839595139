import type DataLoader from 'dataloader';
import type { DataSource, MixedList } from 'typeorm';
import type { NonEmptyArray } from 'type-graphql';
import type { Identity } from '@zigong/platform';
import { STUBS, type Stub } from './stubs';

/** What every resolver of a department receives as its context, fresh for each request. */
export interface DepartmentContext<Loaders extends object = object> {
  db: DataSource;
  /** Follows the request across gateway and subgraph logs. */
  requestId?: string;
  /** The caller, as the gateway verified it; null for anonymous requests. */
  identity: Identity | null;
  /** DataLoaders made for this request only, so nothing is cached across users or requests. */
  loaders: Loaders;
}

/** A federation entity representation as the gateway sends it to `_entities`. */
export interface EntityRef {
  __typename: string;
  id: string | number;
  [field: string]: unknown;
}

export type ReferenceResolver<Loaders extends object> = (ref: EntityRef, ctx: DepartmentContext<Loaders>) => unknown;

export interface SeedOptions {
  /** How many times the reference data set to load; 1 is the article's Zigong. */
  scale?: number;
}

export interface SeedReport {
  /** Rows the seed inserted; 0 on a second run. */
  inserted: number;
}

/**
 * The typed contract a department module fulfils. The module has no side effects: the kit turns
 * it into a subgraph schema, a database, a server, and a seed.
 */
export interface Department<Loaders extends object = object> {
  /** One lower-case word: the folder, the subgraph, the Postgres schema and the package suffix. */
  name: string;
  /** type-graphql resolver classes. */
  resolvers: NonEmptyArray<Function>;
  /** Types no resolver returns but the schema must still carry. */
  orphanedTypes?: Function[];
  /** TypeORM entities; their tables live in the Postgres schema named after the department. */
  entities: MixedList<Function>;
  /** TypeORM migrations, in order. Never `synchronize`. */
  migrations: MixedList<Function>;
  /** `__resolveReference` per entity type this department owns and resolves for the gateway. */
  references?: Record<string, ReferenceResolver<Loaders>>;
  /**
   * Other departments' entities this one points at or adds fields to, from the kit (`Village`,
   * `Region`, …): the kit puts them in the schema and resolves their references to `{ id }`.
   */
  stubs?: Stub[];
  /**
   * Whether this subgraph's SDL repeats the owners' descriptions of its stubs (default true).
   * Composition takes them from the owners either way.
   */
  describeStubs?: boolean;
  /**
   * What the department's login may change, per table of its schema; every table is readable,
   * nothing else writable (`migrate` grants exactly this). E.g. `{ fund: ['INSERT'], income:
   * ['INSERT', 'UPDATE (amount)'] }`. Whatever must never be changed directly (a running total, an
   * append-only ledger) goes through a SECURITY DEFINER function its migrations make instead.
   * `SELECT … FOR KEY SHARE` and the like need UPDATE too: rely on foreign keys instead.
   */
  writes?: Record<string, readonly TableWrite[]>;
  /** Builds this request's DataLoaders. */
  createLoaders(db: DataSource): Loaders;
  /** Loads the reference data (times `scale`); must be idempotent. */
  seed?(db: DataSource, options?: SeedOptions): Promise<SeedReport>;
}

/** A privilege a department's login may hold on one of its tables: whole rows, or some columns. */
export type TableWrite = 'INSERT' | 'DELETE' | 'UPDATE' | `UPDATE (${string})`;
const TABLE_WRITE = /^(INSERT|DELETE|UPDATE|UPDATE \([a-z_][a-z0-9_]*(, [a-z_][a-z0-9_]*)*\))$/;
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** One lower-case word: it names a folder, a subgraph, a Postgres schema and a package. */
export const DEPARTMENT_NAME = /^[a-z][a-z0-9]{1,30}$/;

export function defineDepartment<Loaders extends object>(department: Department<Loaders>): Department<Loaders> {
  if (!DEPARTMENT_NAME.test(department.name)) {
    throw new Error(`Department name "${department.name}" must be one lower-case word (a–z, 0–9, 2–31 characters).`);
  }
  for (const stub of department.stubs ?? []) {
    if (!STUBS.includes(stub)) throw new Error(`${department.name}: stubs must be the kit's stub classes (${STUBS.map((s) => s.name).join(', ')}); ${stub.name} is not.`);
    if (department.references?.[stub.name]) {
      throw new Error(`${department.name}: ${stub.name} is a stub, whose reference resolver comes from the kit; take it out of references.`);
    }
  }
  // Spliced into GRANT statements by `migrate`: only plain names and the privileges above.
  for (const [table, writes] of Object.entries(department.writes ?? {})) {
    const bad = writes.filter((write) => !TABLE_WRITE.test(write));
    if (!TABLE_NAME.test(table) || bad.length) {
      throw new Error(`${department.name}: writes.${table} must name a table of lower-case letters, digits and _ and grant INSERT, DELETE, UPDATE or UPDATE (column, …); got ${JSON.stringify(writes)}.`);
    }
  }
  return department;
}

/** Ids arrive from `_entities` as strings or numbers; loaders key on strings. */
export function refId(ref: EntityRef): string {
  return String(ref.id);
}

export type Loader<V> = DataLoader<string, V>;

/** Any department, whatever its loaders; what the kit's plumbing accepts. */
export type AnyDepartment = Department<any>;
