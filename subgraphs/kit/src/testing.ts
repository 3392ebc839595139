import type { Identity } from '@zigong/platform';
import { graphql, type GraphQLSchema } from 'graphql';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from './database';
import type { AnyDepartment } from './department';
import type { SubgraphConfig } from './config';
import { buildDepartmentSchema } from './federation';

/**
 * Test databases on the server that the test run started (or TEST_DATABASE_URL): one fresh
 * database per test file, dropped afterwards, so files never see each other's rows.
 */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`, whose setup starts Postgres.');
  return url;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface MigratedDepartment {
  db: DataSource;
  /** Every SQL statement sent since the last `resetCount()`. */
  statements: string[];
  close(): Promise<void>;
}

/** A department's DataSource on the given database, migrated and (optionally) seeded. */
export async function migratedDepartment(department: AnyDepartment, url: string, { seed = false } = {}): Promise<MigratedDepartment> {
  const statements: string[] = [];
  const db = createDataSource(department, url, { onQuery: (sql) => statements.push(sql), poolSize: 5 });
  await db.initialize();
  await migrate(db, department);
  if (seed) await department.seed?.(db);
  statements.length = 0;
  return { db, statements, close: () => db.destroy() };
}

/** What a test gets back from running an operation; `any`, because each test knows the shape it asked for. */
export interface OperationResult {
  data?: any;
  errors?: any[];
}

/**
 * One department on a throw-away database of its own, for its int tests: migrated (and seeded
 * when asked), with its schema, a way to run operations as the gateway would send them, and the
 * statements it sent. `close()` drops the database.
 */
export interface DepartmentHarness {
  db: DataSource;
  /** The test database's URL, e.g. for a subgraph server on it. */
  url: string;
  schema: GraphQLSchema;
  /** Every SQL statement the department sent since this list was last emptied (`statements.length = 0`). */
  statements: string[];
  /** Runs an operation against the department's schema with fresh loaders, as `identity` (anonymous when null). */
  run(source: string, variables?: Record<string, unknown>, identity?: Identity | null): Promise<OperationResult>;
  /** `run`, with the number of statements it sent (`statements` then holds them). */
  runCounted(source: string, variables?: Record<string, unknown>, identity?: Identity | null): Promise<OperationResult & { statements: number }>;
  /** A statement of the test's own, on the department's connection (it counts in `statements` too). */
  sql(text: string, parameters?: unknown[]): Promise<any[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Load the department's reference data (scale 1) after its migrations. */
  seed?: boolean;
  /** Runs on the new, empty database before the department's migrations: an older state to migrate from. */
  before?(url: string): Promise<void>;
}

/**
 * `let dept: DepartmentHarness;`, then `beforeAll(async () => { dept = await
 * departmentHarness(department, { seed: true }); })` and `afterAll(() => dept?.close())`.
 */
export async function departmentHarness(department: AnyDepartment, options: HarnessOptions = {}): Promise<DepartmentHarness> {
  const database = await createTestDatabase();
  let migrated: MigratedDepartment | undefined;
  try {
    await options.before?.(database.url);
    migrated = await migratedDepartment(department, database.url, { seed: options.seed });
    const { db, statements } = migrated;
    const { schema } = await buildDepartmentSchema(department);
    let closing: Promise<void> | undefined;
    const run: DepartmentHarness['run'] = (source, variableValues, identity = null) =>
      graphql({ schema, source, variableValues, contextValue: { db, identity, loaders: department.createLoaders(db) } }) as Promise<OperationResult>;
    return {
      db,
      url: database.url,
      schema,
      statements,
      run,
      runCounted: async (source, variables, identity) => {
        statements.length = 0;
        const result = await run(source, variables, identity);
        return { ...result, statements: statements.length };
      },
      sql: (text, parameters) => db.query(text, parameters),
      close: () => (closing ??= migrated!.close().finally(() => database.drop())),
    };
  } catch (error) {
    await migrated?.close();
    await database.drop();
    throw error;
  }
}

/** A subgraph's configuration for a test: any free port on loopback, silent, the rest as given. */
export function testSubgraphConfig(databaseUrl: string, overrides: Partial<SubgraphConfig> = {}): SubgraphConfig {
  return { mode: 'local', host: '127.0.0.1', port: 0, databaseUrl, poolSize: 5, bodyLimitBytes: 1_000_000, logLevel: 'silent', ...overrides };
}

/**
 * The `extensions.code` of the error `fn` throws, or undefined when it throws none; an error
 * without a code is thrown on, so a test never mistakes a crash for a refusal.
 */
export function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
    if (typeof code !== 'string') throw error;
    return code;
  }
  return undefined;
}
