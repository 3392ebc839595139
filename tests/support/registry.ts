import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { LOCAL_JWT_SECRET, mintToken } from '@zigong/platform';
import { loadRegistryConfig, type RegistryConfig, type RunningRegistry, startRegistry } from '@zigong/registry';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

export const SCHEMA_DIR = join(__dirname, '../../schema');
export const DEPARTMENTS = ['organization', 'agriculture', 'finance', 'tourism'] as const;
export type DepartmentName = (typeof DEPARTMENTS)[number];

/** A department's committed SDL (schema/<name>.graphql): the real subgraphs the registry composes. */
export function departmentSdl(name: string): string {
  return readFileSync(join(SCHEMA_DIR, `${name}.graphql`), 'utf8');
}

/** The SDL with one more field on a type it defines: a new version that composes and breaks nothing. */
export function withField(sdl: string, type: string, field: string): string {
  const opening = new RegExp(`(\\ntype ${type}\\b[^{]*\\{\\n)`);
  if (!opening.test(sdl)) throw new Error(`the SDL defines no type ${type}`);
  return sdl.replace(opening, `$1  ${field}\n`);
}

export const routingUrl = (name: string) => `http://127.0.0.1:${4000 + DEPARTMENTS.indexOf(name as DepartmentName) + 1}/graphql`;

/** A token the registry in local mode accepts (the development secret, as `npm run token` signs). */
export function registryToken(scope: string, sub = 'ci@test'): Promise<string> {
  return mintToken(LOCAL_JWT_SECRET, { sub, scope });
}

export interface TestRegistry {
  registry: RunningRegistry;
  database: TestDatabase;
  base: string;
  /** POSTs a GraphQL request over real HTTP with the given bearer token (none when null). */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<{ status: number; data?: T; errors?: any[] }>;
  /** A statement on the test database, as its owner. */
  sql(text: string, parameters?: unknown[]): Promise<any[]>;
  stop(): Promise<void>;
}

/** The local-mode configuration of a registry on a test database, on a free port, quiet. */
export function testRegistryConfig(databaseUrl: string, env: Record<string, string> = {}): RegistryConfig {
  return loadRegistryConfig({ REGISTRY_MODE: 'local', DATABASE_URL: databaseUrl, REGISTRY_PORT: '0', LOG_LEVEL: 'silent', ...env });
}

/** A registry in this process on a database of its own; `stop()` drops the database. */
export async function startTestRegistry(env: Record<string, string> = {}): Promise<TestRegistry> {
  const database = await createTestDatabase();
  let registry: RunningRegistry;
  try {
    registry = await startRegistry(testRegistryConfig(database.url, env));
  } catch (error) {
    await database.drop();
    throw error;
  }
  const base = `http://127.0.0.1:${registry.port}`;
  let stopping: Promise<void> | undefined;
  return {
    registry,
    database,
    base,
    graphql: async (query, variables = {}, token = null) => {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    sql: (text, parameters) => sqlOn(database.url, text, parameters),
    stop: () => (stopping ??= registry.stop().finally(() => database.drop())),
  };
}

export async function sqlOn(url: string, text: string, parameters: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, parameters)).rows;
  } finally {
    await client.end();
  }
}

/** Rows in each of the registry's tables: what a refused request must leave unchanged. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  const [row] = await sqlOn(
    url,
    `SELECT (SELECT count(*) FROM registry.subgraph_version)::int AS versions,
            (SELECT count(*) FROM registry.composition)::int AS compositions,
            (SELECT count(*) FROM registry.composition_subgraph)::int AS links,
            (SELECT string_agg(name || '=' || coalesce(current_composition_id::text, '-'), ',' ORDER BY name) FROM registry.variant) AS variants`,
  );
  return row;
}

export const PUBLISH = /* GraphQL */ `
  mutation Publish($input: PublishInput!) {
    publish(input: $input) {
      outcome
      version { id subgraph accepted publisher routingUrl commit branch }
      composition { id status kind subgraph hash current errors subgraphs { id subgraph } changes { severity type coordinate message } }
      check { ok unchanged compositionErrors changes { severity type coordinate } contractBreaks { type message } brokenOperations { name } operationsChecked }
    }
  }
`;
