import { randomBytes } from 'node:crypto';
import { gatewayPages } from '@zigong/explorer';
import { loadGatewayConfig, mintToken, startGateway, type RunningGateway } from '@zigong/gateway';
import { startSubgraph, type RunningSubgraph } from '@zigong/kit';
import { createTestDatabase, type TestDatabase, testSubgraphConfig } from '@zigong/kit/testing';
import { composeRegistry, loadDepartment, prepareDatabase, readRegistry, SUPERGRAPH_PATH } from '@zigong/cli';

// Random, as production mode (which some tests run the gateway in) refuses guessable secrets.
const TEST_SECRET = randomBytes(32).toString('hex');
export const SIGNING_SECRET = randomBytes(32).toString('hex');
/** Production needs both; every test gateway checks them, and every test token carries them. */
export const TEST_ISSUER = 'https://idp.zigong.test/';
export const TEST_AUDIENCE = 'zigong-test';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string } & Record<string, unknown> }>;
}

export interface TestPlatform {
  gatewayUrl: string;
  database: TestDatabase;
  subgraphs: RunningSubgraph[];
  gateway: RunningGateway;
  /** A bearer token for the test gateway: `Authorization: Bearer ${await platform.token('finance:write')}`. */
  token(scope: string, options?: { sub?: string; expiresIn?: string | number; azp?: string }): Promise<string>;
  /** POSTs a GraphQL request to the gateway over real HTTP. */
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/**
 * Every registered department (or just the named ones) as a real HTTP subgraph on its own port, and the gateway on the
 * committed supergraph, over one fresh database with the reference data: the deployed shape,
 * in one process.
 */
export async function startPlatform({
  departments,
  gatewayEnv = {},
  supergraphFile,
}: {
  departments?: string[];
  gatewayEnv?: Record<string, string>;
  /** A supergraph file for the gateway to serve and watch, instead of the committed one. */
  supergraphFile?: string;
} = {}): Promise<TestPlatform> {
  const database = await createTestDatabase();
  const registry = departments ? departments.map((name) => ({ name, routingUrl: `http://127.0.0.1/${name}`, schemaFile: '' })) : readRegistry();
  // A subset of departments is composed on the spot; the whole registry uses the committed supergraph.
  const supergraphSdl = departments && !supergraphFile ? (await composeRegistry(registry)).supergraphSdl : undefined;
  await prepareDatabase(database.url, registry);
  const subgraphs: RunningSubgraph[] = [];
  for (const entry of registry) {
    subgraphs.push(
      await startSubgraph(loadDepartment(entry.name), testSubgraphConfig(database.url, { signingSecret: SIGNING_SECRET })),
    );
  }
  const config = loadGatewayConfig({
    GATEWAY_MODE: 'local',
    GATEWAY_PORT: '0',
    JWT_SECRET: TEST_SECRET,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
    LOG_LEVEL: 'silent',
    ...gatewayEnv,
  });
  const gateway = await startGateway(
    { ...config, supergraphPath: supergraphFile ?? SUPERGRAPH_PATH, subgraphUrls: Object.fromEntries(subgraphs.map((s) => [s.name, s.url])) },
    supergraphSdl,
    // Mounted as gateway/src/main.ts mounts them.
    { pages: gatewayPages(config.operationsDir) },
  );
  const query = async <T,>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) } as GraphQLResponse<T>;
  };
  return {
    gatewayUrl: gateway.url,
    database,
    subgraphs,
    gateway,
    query,
    token: (scope, { sub = 'tester', expiresIn = '10m', azp } = {}) => mintToken(TEST_SECRET, { sub, scope, expiresIn, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, azp }),
    stop: async () => {
      await gateway.stop();
      await Promise.all(subgraphs.map((s) => s.stop()));
      await database.drop();
    },
  };
}
