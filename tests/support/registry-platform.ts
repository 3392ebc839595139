import { freePort, prepareDatabase, readRegistry, ROOT, type Service, spawnService, stopServices, waitUntilUp } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { GANTANG } from '@zigong/reference-data';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from './process';
import { DEPARTMENTS, PUBLISH, registryToken } from './registry';
import { roundRobinProxy, type RoundRobinProxy } from './round-robin-proxy';

/**
 * The registry's deployed shape on one machine, every part a real process: the registry
 * (registry/dist/main.js, local mode, a database of its own), the four departments' subgraphs,
 * and gateways polling the registry's production variant behind a round-robin proxy.
 */
const SIGNING_SECRET = 'registry-e2e-signing-secret-of-enough-length';

export interface GraphQLAnswer<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

export interface RegistryPlatform {
  /** The registry's origin (its port is kept across restarts: gateways poll a fixed URL). */
  registryBase: string;
  supergraphUrl: string;
  /** Each department's subgraph URL, the routing URL it is published with. */
  subgraphUrls: Record<string, string>;
  gateways: Service[];
  proxy: RoundRobinProxy;
  /** A directory of this platform's own, for gateways' SUPERGRAPH_CACHE_PATH. */
  dir: string;
  /** POSTs GraphQL to the registry with a token of `scope` (none when null). */
  registry<T = any>(query: string, variables: Record<string, unknown>, scope: string | null): Promise<GraphQLAnswer<T>>;
  publish(subgraph: string, sdl: string, scope?: string): Promise<GraphQLAnswer>;
  /** Starts one more gateway polling the registry (SUPERGRAPH_POLL_MS=500); not behind the proxy. */
  startGateway(name: string, env?: Record<string, string>): Promise<Service>;
  /** The registry's process: SIGKILLed, or started again on its port over the same database. */
  killRegistry(): Promise<void>;
  startRegistry(): Promise<void>;
  stop(): Promise<void>;
}

export const post = async <T = any>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLAnswer<T>> => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as object) };
};

/** What a gateway's /ready says: the supergraph's hash and the registry's composition id. */
export const readyOf = async (service: Service) => (await (await fetch(new URL('/ready', service.url))).json()) as { supergraph: string; composition?: string };

export const until = async (condition: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
};

export const VILLAGE = `query($id: ID!) { village(id: $id) { name partyBranch { officers { name } } industrialParks { name } collectiveIncome(year: 2024) { amount } } }`;

/**
 * Clients sending VILLAGE through `url` in a loop until `stop()`, which returns how many were
 * answered and every answer that was not the full, right one.
 */
export function load(url: string, clients = 6) {
  let running = true;
  let answered = 0;
  const failures: string[] = [];
  const client = async () => {
    while (running) {
      const response = await post(url, { query: VILLAGE, variables: { id: GANTANG } }).catch((error) => ({ status: 0, errors: [{ message: String(error) }] }) as GraphQLAnswer);
      answered++;
      if (response.status !== 200 || response.errors || response.data?.village?.name !== '干塘村' || !response.data.village.collectiveIncome) {
        failures.push(JSON.stringify(response).slice(0, 300));
      }
    }
  };
  const running$ = Array.from({ length: clients }, client);
  return {
    stop: async () => {
      running = false;
      await Promise.all(running$);
      return { answered, failures };
    },
  };
}

/**
 * Starts the registry, the four subgraphs and `gateways` gateway processes; `beforeGateways`
 * runs once the registry is up and before any gateway starts (the first publishes: a gateway
 * with no cache waits for a composition).
 */
export async function startRegistryPlatform({ gateways: count = 2, beforeGateways }: { gateways?: number; beforeGateways?: (platform: RegistryPlatform) => Promise<void> }): Promise<RegistryPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'zigong-registry-e2e-'));
  const databases: TestDatabase[] = [];
  const services: Service[] = [];
  const started = async (service: Promise<Service>) => {
    services.push(await service);
    return services[services.length - 1];
  };
  const proxies: RoundRobinProxy[] = [];

  const departments = await createTestDatabase();
  databases.push(departments);
  await prepareDatabase(departments.url, readRegistry());
  const registryDatabase = await createTestDatabase();
  databases.push(registryDatabase);

  const registryPort = await freePort();
  const registryBase = `http://127.0.0.1:${registryPort}`;
  let registryProcess: Service | undefined;
  let registryOutput: string[] = [];
  const startRegistry = async () => {
    registryOutput = [];
    const service = spawnService(
      'registry',
      join(ROOT, 'registry/dist/main.js'),
      `${registryBase}/graphql`,
      `${registryBase}/ready`,
      { ...process.env, REGISTRY_MODE: 'local', REGISTRY_PORT: String(registryPort), HOST: '127.0.0.1', DATABASE_URL: registryDatabase.url, LOG_LEVEL: 'warn' },
      (line) => registryOutput.push(line) > 40 && registryOutput.shift(),
    );
    try {
      await waitUntilUp(service);
    } catch (error) {
      await stopServices([service]);
      throw new Error(`${(error as Error).message}\n${registryOutput.join('\n')}`);
    }
    registryProcess = service;
  };
  const killRegistry = async () => {
    if (!registryProcess) return;
    registryProcess.child.kill('SIGKILL');
    await registryProcess.exited;
    registryProcess = undefined;
  };

  const stop = async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await stopServices(registryProcess ? [...services, registryProcess] : services);
    for (const database of databases) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await startRegistry();
    const subgraphUrls: Record<string, string> = {};
    for (const name of DEPARTMENTS) {
      const service = await started(startProcess(name, `subgraphs/${name}/dist/main.js`, { DATABASE_URL: departments.url, DB_POOL_SIZE: '4', GATEWAY_SIGNING_SECRET: SIGNING_SECRET }));
      subgraphUrls[name] = service.url;
    }
    const supergraphUrl = `${registryBase}/supergraph?variant=production`;
    const registry = async (query: string, variables: Record<string, unknown>, scope: string | null) =>
      post(`${registryBase}/graphql`, { query, variables }, scope ? { authorization: `Bearer ${await registryToken(scope, `test-${scope}`)}` } : {});
    const platform: RegistryPlatform = {
      registryBase,
      supergraphUrl,
      subgraphUrls,
      gateways: [],
      proxy: undefined as unknown as RoundRobinProxy,
      dir,
      registry,
      publish: (subgraph, sdl, scope = `${subgraph}:publish`) =>
        registry(PUBLISH, { input: { variant: 'production', subgraph, sdl, routingUrl: subgraphUrls[subgraph] } }, scope),
      startGateway: (name, env = {}) =>
        started(
          startProcess(name, 'gateway/dist/main.js', {
            GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
            SUPERGRAPH_URL: supergraphUrl,
            SUPERGRAPH_POLL_MS: '500',
            SUPERGRAPH_POLL_TIMEOUT_MS: '2000',
            SUPERGRAPH_CACHE_PATH: join(dir, `${name}.supergraph.json`),
            ...env,
          }),
        ),
      killRegistry,
      startRegistry,
      stop,
    };
    await beforeGateways?.(platform);
    for (let index = 0; index < count; index++) platform.gateways.push(await platform.startGateway(`gateway-${'abcdefgh'[index]}`));
    platform.proxy = await roundRobinProxy(platform.gateways.map((s) => new URL(s.url).origin));
    proxies.push(platform.proxy);
    return platform;
  } catch (error) {
    await stop();
    throw error;
  }
}
