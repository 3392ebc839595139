import { FIXTURES } from './fixtures';
import { compareFixtures, MINIMUM_QUERIES, QUERIES_PER_FIXTURE, useDifferentialEnvironment } from './suite';

/**
 * Differential test, first half of the fixtures: our gateway (all shortcuts on, and each of the
 * direct route, result shaping and dedupe off in turn) against unpatched @apollo/gateway 2.14.4 in
 * its own process, on generated supergraphs, generated queries and one deterministic world
 * (world.ts), so any difference in status, data (byte for byte) or errors is the gateways'.
 * The fixtures are split over two files so that jest's two workers share the work.
 */
const fixtures = FIXTURES.filter((_, i) => i % 2 === 0);
const environment = useDifferentialEnvironment(fixtures);

describe('our gateway answers generated queries as stock @apollo/gateway 2.14.4 does (fixtures, first half)', () => {
  it(`the two halves together send at least ${MINIMUM_QUERIES} generated queries`, () => {
    expect(FIXTURES.length * QUERIES_PER_FIXTURE).toBeGreaterThanOrEqual(MINIMUM_QUERIES);
  });

  compareFixtures(environment, fixtures);
});
