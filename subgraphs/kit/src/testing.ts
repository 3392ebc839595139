import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from './database';
import type { AnyDepartment } from './department';
import type { SubgraphConfig } from './config';

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
  await migrate(db, department.name);
  if (seed) await department.seed?.(db);
  statements.length = 0;
  return { db, statements, close: () => db.destroy() };
}

/** A subgraph's configuration for a test: any free port on loopback, silent, the rest as given. */
export function testSubgraphConfig(databaseUrl: string, overrides: Partial<SubgraphConfig> = {}): SubgraphConfig {
  return { host: '127.0.0.1', port: 0, databaseUrl, poolSize: 5, bodyLimitBytes: 1_000_000, logLevel: 'silent', ...overrides };
}
