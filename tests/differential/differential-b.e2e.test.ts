import { FIXTURES } from './fixtures';
import { type GeneratedQuery, generateQueries, Random } from './generate';
import { batchesOf, type DiffRequest, type Difference, type Variant } from './harness';
import { compareFixtures, differencesOn, SEED, useDifferentialEnvironment } from './suite';

/**
 * Differential test, second half of the fixtures (see differential-a.e2e.test.ts), and the
 * suite's self-tests: with a shortcut broken on purpose through the gateway's test hooks, the
 * same comparison must find differences, or it would not find them when they are real.
 */
const fixtures = FIXTURES.filter((_, i) => i % 2 === 1);
const partialAbstract = FIXTURES.filter((fixture) => fixture.partialAbstract);
const DEDUPE_FIXTURES = ['arguments-defaults', 'input-objects', 'entity-single-key', 'enums'];
const environment = useDifferentialEnvironment(
  FIXTURES.filter((fixture) => fixtures.includes(fixture) || partialAbstract.includes(fixture) || DEDUPE_FIXTURES.includes(fixture.name)),
);

describe('our gateway answers generated queries as stock @apollo/gateway 2.14.4 does (fixtures, second half)', () => {
  compareFixtures(environment, fixtures);
});

describe('the suite catches the bugs it is there for', () => {
  it('finds the partial-union bug when the direct route takes every single-fetch plan (the old rule)', async () => {
    const variant: Variant = { name: "directRouteRule: 'single-fetch'", directRoute: true, resultShaping: true, dedupe: true, hooks: { directRouteRule: 'single-fetch' } };
    const found: Difference[] = [];
    for (const { name } of partialAbstract) {
      const fixture = environment.fixture(name);
      const random = new Random(`${SEED}/old-direct-route/${name}`);
      // Single root fields and many fragments on overlapping interfaces and unions: the shape of the bug.
      const queries = generateQueries(fixture.api, random, 50, { singleRootField: 1, overlapping: 0.7 });
      found.push(...(await differencesOn(environment, fixture, batchesOf(queries, random), [variant])).differences);
    }
    expect(found.length).toBeGreaterThan(0);
  }, 60_000);

  it('finds a dedupe that ignores variables, with overlapping requests that differ only in variables', async () => {
    const variant: Variant = {
      name: 'dedupe keyed without variables',
      directRoute: true,
      resultShaping: true,
      dedupe: true,
      hooks: { dedupeKey: (body) => body.replace(/"variables":\{[^}]*\}/, '') },
    };
    const found: Difference[] = [];
    // Answers that wait a little, so the eight requests of a batch are surely in flight together.
    const delay = environment.servers.delayMs;
    environment.servers.delayMs = 15;
    try {
      for (const name of DEDUPE_FIXTURES) {
        const fixture = environment.fixture(name);
        const random = new Random(`${SEED}/dedupe-without-variables/${name}`);
        const withVariables = generateQueries(fixture.api, random, 30).filter((q) => q.variables && q.alternateVariables && !q.mutation);
        // Each batch: one query with its two sets of variables, interleaved, four times over.
        const batches = withVariables.map(({ query, operationName, variables, alternateVariables }: GeneratedQuery) =>
          Array.from({ length: 8 }, (_, i): DiffRequest => ({ query, operationName, variables: i % 2 ? alternateVariables : variables, authorized: false })),
        );
        found.push(...(await differencesOn(environment, fixture, batches, [variant])).differences);
      }
    } finally {
      environment.servers.delayMs = delay;
    }
    expect(found.length).toBeGreaterThan(0);
  }, 60_000);
});
