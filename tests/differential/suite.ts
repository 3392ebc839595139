import type { LocatedFixture } from './fixtures';
import { generateQueries, Random } from './generate';
import {
  batchesOf,
  closeClient,
  compareAll,
  type DiffRequest,
  type Difference,
  type PreparedFixture,
  prepareFixture,
  report,
  scrapeMetric,
  startStockGateways,
  startVariant,
  type StockGateways,
  type Variant,
  VARIANTS,
} from './harness';
import { startSubgraphServers, type SubgraphServers } from './subgraph-server';
import type { WorldOptions } from './world';

/**
 * DIFF_SEED picks other queries; every failure prints the seed it ran with. The default is one
 * that, among the first few tried, generated a query for every class of difference found so far.
 */
export const SEED = process.env.DIFF_SEED ?? 'zigong-differential-4';
export const QUERIES_PER_FIXTURE = 52;
export const MINIMUM_QUERIES = 2_000;

/** What the tests of one file share: the subgraph servers and the stock gateways of its fixtures. */
export interface DifferentialEnvironment {
  servers: SubgraphServers;
  stock: StockGateways;
  fixture(name: string): PreparedFixture;
}

/**
 * Registers the file's beforeAll/afterAll: subgraph servers for these fixtures, their
 * supergraphs composed (failing loudly where one does not compose), and stock @apollo/gateway
 * for each in its own process. Everything is stopped afterwards, child process included.
 */
export function useDifferentialEnvironment(fixtures: LocatedFixture[], world: WorldOptions = {}): DifferentialEnvironment {
  const prepared = new Map<string, PreparedFixture>();
  const environment = {
    fixture(name: string) {
      const found = prepared.get(name);
      if (!found) throw new Error(`Fixture ${name} is not part of this test file's environment.`);
      return found;
    },
  } as DifferentialEnvironment;
  beforeAll(async () => {
    environment.servers = await startSubgraphServers(fixtures, undefined, world);
    for (const fixture of fixtures) prepared.set(fixture.name, prepareFixture(fixture, environment.servers.urlOf));
    environment.stock = await startStockGateways([...prepared.values()]);
  }, 90_000);
  afterAll(async () => {
    await environment.stock?.stop();
    await environment.servers?.stop();
    closeClient();
  });
  return environment;
}

/** How much of the run each variant's shortcuts took part in, from its /metrics. */
export interface Coverage {
  /** Requests the direct route answered itself. */
  directRouteAnswered: number;
  /** 1 where our result shaping shaped this gateway's answers. */
  resultShapingActive: number;
}

/** Starts the variants on a fixture, sends every batch to them and to stock, stops them. */
export async function differencesOn(
  environment: DifferentialEnvironment,
  fixture: PreparedFixture,
  batches: DiffRequest[][],
  variants: Variant[],
): Promise<{ differences: Difference[]; requests: number; coverage: Coverage[] }> {
  const gateways = await Promise.all(variants.map((variant) => startVariant(fixture.supergraphSdl, variant)));
  try {
    const targets = gateways.map((gateway, i) => ({ variant: variants[i].name, url: gateway.url }));
    const compared = await compareAll(fixture, batches, environment.stock.urls[fixture.name], targets);
    const coverage = await Promise.all(
      gateways.map(async (gateway) => ({
        directRouteAnswered: await scrapeMetric(gateway.url, 'gateway_direct_route_total', /outcome="answered"/),
        resultShapingActive: await scrapeMetric(gateway.url, 'gateway_result_shaping_active'),
      })),
    );
    return { ...compared, coverage };
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
}

/**
 * One test per fixture: QUERIES_PER_FIXTURE generated queries (plus twins and siblings), each sent
 * to stock and to every variant of ours; any difference fails the fixture's test, all of them
 * listed first.
 */
export function compareFixtures(environment: DifferentialEnvironment, fixtures: LocatedFixture[]): void {
  let generated = 0;
  let sent = 0;
  const directRouteAnswered = VARIANTS.map(() => 0);
  const resultShapingActive = VARIANTS.map(() => new Set<number>());
  it.each(fixtures.map((fixture) => [fixture.name]))('%s', async (name) => {
    const fixture = environment.fixture(name);
    const random = new Random(`${SEED}/${name}`);
    const queries = generateQueries(fixture.api, random, QUERIES_PER_FIXTURE);
    expect(queries).toHaveLength(QUERIES_PER_FIXTURE);
    generated += queries.length;
    const { differences, requests, coverage } = await differencesOn(environment, fixture, batchesOf(queries, random), VARIANTS);
    sent += requests;
    coverage.forEach((c, i) => {
      directRouteAnswered[i] += c.directRouteAnswered;
      resultShapingActive[i].add(c.resultShapingActive);
    });
    if (differences.length) throw new Error(report(differences, SEED));
  }, 60_000);

  it(`generated ${QUERIES_PER_FIXTURE} valid queries for each of these ${fixtures.length} fixtures`, () => {
    expect(generated).toBe(fixtures.length * QUERIES_PER_FIXTURE);
  });

  // A shortcut that never ran would make every comparison above pass without testing it.
  it('exercised each shortcut where it was on, and only there', () => {
    VARIANTS.forEach((variant, i) => {
      const answered = `the direct route answered ${directRouteAnswered[i]} of ${sent} requests with ${variant.name}`;
      if (variant.directRoute) expect(answered).toMatch(/answered [1-9]\d* of/);
      else expect(answered).toMatch(/answered 0 of/);
      expect([...resultShapingActive[i]]).toEqual([variant.resultShaping ? 1 : 0]);
    });
  });
}
