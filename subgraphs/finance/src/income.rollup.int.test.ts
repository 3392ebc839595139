import { createDataSource, type Identity } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness, migratedDepartment } from '@zigong/kit/testing';
import { CITY, seededRandom, zigongDivisions } from '@zigong/reference-data';
import { graphql } from 'graphql';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { seedFinance } from './finance.seed';
import { finance } from './index';
import { FinanceInitial1764300000000 } from './migrations/1764300000000-FinanceInitial';

/**
 * finance.income_rollup and finance.income_ranking against the rows they derive from: whatever is
 * written to collective_income, by whatever statements, in whatever transactions, concurrently or
 * not, the rollups must equal a
 * GROUP BY over the rows at every prefix level.
 */

let fin: DepartmentHarness;
beforeAll(async () => {
  fin = await departmentHarness(finance, {
    // The reference data as it was before the rollups existed: the migration must pick it up.
    before: async (url) => {
      const before = await migratedDepartment({ ...finance, migrations: [FinanceInitial1764300000000] }, url);
      await seedFinance(before.db);
      await before.close();
    },
  });
});
afterAll(() => fin?.close());

const EXPECTED = `SELECT left(village_id, level.digits) COLLATE "C" AS region_prefix, year, count(*)::int AS village_count, sum(amount) AS total
    FROM finance.collective_income CROSS JOIN (VALUES (4), (6), (9)) AS level(digits)
   GROUP BY 1, 2`;
const ROLLUPS = `SELECT region_prefix, year, village_count, total FROM finance.income_rollup`;

/** Rows `actual` gives that `expected` does not, and the other way round: [] when they agree. */
function differences(expected: string, actual: string, db: DataSource | EntityManager): Promise<unknown[]> {
  return db.query(`
    SELECT 'missing' AS problem, m.* FROM (${expected} EXCEPT ALL ${actual}) m
    UNION ALL
    SELECT 'extra', x.* FROM (${actual} EXCEPT ALL ${expected}) x
    ORDER BY 2, 3`);
}
/** Rollup rows that a direct aggregate does not give, and the other way round: [] when exact. */
const drift = (db: DataSource | EntityManager = fin.db) => differences(EXPECTED, ROLLUPS, db);
/**
 * The same for finance.income_ranking (FinanceIncomeRanking migration): every row of
 * collective_income next to its village's figure of the year before, and nothing else.
 */
const RANKING_EXPECTED = `SELECT c.year, c.village_id, c.amount, p.amount AS previous_amount,
         CASE WHEN p.amount > 0 THEN (c.amount - p.amount) / p.amount END AS growth
    FROM finance.collective_income c
    LEFT JOIN finance.collective_income p ON p.year = c.year - 1 AND p.village_id = c.village_id`;
const RANKING_ROWS = `SELECT year, village_id, amount, previous_amount, growth FROM finance.income_ranking`;
const rankingDrift = (db: DataSource | EntityManager = fin.db) => differences(RANKING_EXPECTED, RANKING_ROWS, db);
const rollupCount = async () => (await fin.sql(`SELECT count(*)::int AS n FROM finance.income_rollup`))[0].n as number;

const villages = zigongDivisions().villages.map((v) => v.code);
const towns = [...new Set(villages.map((v) => v.slice(0, 9)))];

describe('income rollups', () => {
  it('are backfilled by the migration from the rows already there, for every level and year', async () => {
    expect(await drift()).toEqual([]);
    expect(await rankingDrift()).toEqual([]);
    const [{ ranked }] = await fin.sql(`SELECT count(*)::int AS ranked FROM finance.income_ranking`);
    expect(ranked).toBe(2 * villages.length);
    // 1 city + 6 districts/counties + every town, for 2023 and 2024.
    expect(await rollupCount()).toBe(2 * (1 + 6 + towns.length));
    const [city] = await fin.sql(`SELECT village_count, total::text FROM finance.income_rollup WHERE region_prefix = '5103' AND year = 2024`);
    expect(city).toEqual({ village_count: villages.length, total: '153962418.36' });
  });

  it('stay exact through random inserts, updates, upserts and deletes in many statements and transactions', async () => {
    const random = seededRandom(20250101);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const some = (n: number) => Array.from({ length: n }, () => pick(villages));
    const amount = () => (random() < 0.1 ? '0.00' : (Math.floor(random() * 100_000_000) / 100).toFixed(2));
    const years = [2023, 2024, 2025, 2026];

    type Step = (tx: EntityManager) => Promise<unknown>;
    const steps: Record<string, Step> = {
      // Multi-row insert that skips rows already there (the seed's own statement).
      insert: (tx) => {
        const rows = [...new Set(some(1 + Math.floor(random() * 40)))].map((v) => [pick(years), v, amount()]);
        return tx.query(
          `INSERT INTO finance.collective_income (year, village_id, amount, recorded_by)
           SELECT * , 'test' FROM unnest($1::int[], $2::text[], $3::numeric[]) ON CONFLICT DO NOTHING`,
          [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
        );
      },
      // Insert-or-replace of new and existing rows in one statement: fires both triggers.
      upsert: (tx) => {
        const year = pick(years);
        const rows = [...new Set(some(1 + Math.floor(random() * 30)))];
        return tx.query(
          `INSERT INTO finance.collective_income (year, village_id, amount, recorded_by)
           SELECT $1, v, a, 'test' FROM unnest($2::text[], $3::numeric[]) AS x(v, a)
           ON CONFLICT (year, village_id) DO UPDATE SET amount = EXCLUDED.amount`,
          [year, rows, rows.map(amount)],
        );
      },
      updateTown: (tx) =>
        tx.query(`UPDATE finance.collective_income SET amount = round(amount * $1, 2) WHERE year = $2 AND village_id LIKE $3`, [
          (0.5 + random()).toFixed(3),
          pick(years),
          pick(towns) + '%',
        ]),
      // Moves rows to another year, where that village has none: the key changes, not the amount.
      moveYear: (tx) => {
        const [from, to] = [pick(years), pick(years)];
        return tx.query(
          `UPDATE finance.collective_income i SET year = $2 WHERE i.year = $1 AND i.village_id = ANY($3)
             AND NOT EXISTS (SELECT 1 FROM finance.collective_income j WHERE j.year = $2 AND j.village_id = i.village_id)`,
          [from, to, some(20)],
        );
      },
      // Gives a village's figure to another village (in another town or district, mostly).
      moveVillage: async (tx) => {
        const year = pick(years);
        const [row] = await tx.query(`SELECT village_id FROM finance.collective_income WHERE year = $1 AND village_id = ANY($2) ORDER BY 1 LIMIT 1`, [year, some(10)]);
        const [target] = await tx.query(
          `SELECT v FROM unnest($2::text[]) AS v WHERE NOT EXISTS (SELECT 1 FROM finance.collective_income WHERE year = $1 AND village_id = v) LIMIT 1`,
          [year, some(10)],
        );
        if (!row || !target) return;
        await tx.query(`UPDATE finance.collective_income SET village_id = $3, amount = amount + 1 WHERE year = $1 AND village_id = $2`, [year, row.village_id, target.v]);
      },
      // Changes nothing that is summed.
      touch: (tx) => tx.query(`UPDATE finance.collective_income SET generated = NOT generated WHERE year = $1 AND village_id LIKE $2`, [pick(years), pick(towns) + '%']),
      deleteSome: (tx) => tx.query(`DELETE FROM finance.collective_income WHERE year = $1 AND village_id = ANY($2)`, [pick(years), some(25)]),
      // Empties a town for a year: its rollup row must go, not stay at zero.
      deleteTown: (tx) => tx.query(`DELETE FROM finance.collective_income WHERE year = $1 AND village_id LIKE $2`, [pick(years), pick(towns) + '%']),
    };
    const names = Object.keys(steps);

    const ran = new Map<string, number>();
    let rolledBack = 0;
    for (let transaction = 0; transaction < 60; transaction++) {
      const rollback = random() < 0.2;
      const plan = Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(names));
      const before = rollback ? await fin.sql(`${ROLLUPS} ORDER BY 1, 2`) : null;
      await fin.db
        .transaction(async (tx) => {
          for (const name of plan) {
            await steps[name](tx);
            ran.set(name, (ran.get(name) ?? 0) + 1);
          }
          // Exact inside the transaction too, between statements.
          expect(await drift(tx)).toEqual([]);
          expect(await rankingDrift(tx)).toEqual([]);
          if (rollback) throw new Error('roll back');
        })
        .catch((error) => {
          if (!rollback || error.message !== 'roll back') throw error;
          rolledBack++;
        });
      expect(await drift()).toEqual([]);
      expect(await rankingDrift()).toEqual([]);
      if (before) expect(await fin.sql(`${ROLLUPS} ORDER BY 1, 2`)).toEqual(before);
    }
    // The walk really exercised every kind of write, and left rows and empty regions behind.
    expect([...ran.keys()].sort()).toEqual([...names].sort());
    expect(rolledBack).toBeGreaterThan(0);
    const [{ n }] = await fin.sql(`SELECT count(*)::int AS n FROM finance.collective_income WHERE year IN (2025, 2026)`);
    expect(n).toBeGreaterThan(0);
    const [{ empty }] = await fin.sql(
      `SELECT count(*)::int AS empty FROM unnest($1::text[]) AS t(prefix) CROSS JOIN (VALUES (2023), (2024)) AS y(year)
        WHERE NOT EXISTS (SELECT 1 FROM finance.income_rollup r WHERE r.region_prefix = t.prefix AND r.year = y.year)`,
      [towns],
    );
    expect(empty).toBeGreaterThan(0);
  });

  it('stay exact under 50 concurrent recordCollectiveIncome calls on the same villages, towns and districts', async () => {
    const WRITER: Identity = { sub: 'finance-officer', scopes: ['finance:write'] };
    const RECORD = `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year amount } }`;
    // Its own pool, so the calls really run side by side (25 connections for 50 calls).
    const db = createDataSource(finance, fin.url, { poolSize: 25 });
    await db.initialize();
    try {
      // A handful of villages in two towns of one district: new rows and replaced ones, and the
      // same (village, year) written by several calls at once.
      const town = towns.find((t) => t.startsWith('510302'))!;
      const hot = villages.filter((v) => v.startsWith(town)).slice(0, 5);
      const other = villages.filter((v) => v.startsWith('510302') && !v.startsWith(town)).slice(0, 5);
      const calls = Array.from({ length: 50 }, (_, i) => ({
        villageId: (i % 2 ? hot : other)[i % 5],
        year: i % 3 === 0 ? 2027 : 2024,
        amount: `${1000 + i * 37}.${String(i).padStart(2, '0')}`,
      }));
      const results = await Promise.all(
        calls.map((input) => graphql({ schema: fin.schema, source: RECORD, variableValues: { input }, contextValue: { db, identity: WRITER, loaders: finance.createLoaders(db) } })),
      );
      expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
      expect(await drift()).toEqual([]);
      expect(await rankingDrift()).toEqual([]);

      // Each (village, year) holds one of the amounts written to it, and the district's summary
      // counts each once.
      const [{ n }] = await fin.sql(`SELECT count(*)::int AS n FROM finance.collective_income WHERE year = 2027`);
      expect(n).toBe(new Set(calls.filter((c) => c.year === 2027).map((c) => c.villageId)).size);
      const { data } = await fin.run(`{ collectiveIncomeSummary(regionId: "510302000000", year: 2027) { villageCount total } }`);
      const [direct] = await fin.sql(
        `SELECT count(*)::int AS "villageCount", sum(amount)::text AS total FROM finance.collective_income WHERE year = 2027 AND village_id LIKE '510302%'`,
      );
      expect(data.collectiveIncomeSummary).toEqual(direct);
    } finally {
      await db.destroy();
    }
  });

  it('answer the summaries exactly as a direct aggregate of the rows does', async () => {
    const regions = zigongDivisions().regions.map((r) => r.code);
    const { data, errors } = await fin.run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id collectiveIncomeSummary(year: 2024) { villageCount total averagePerVillage } } } }`,
      { reps: regions.map((id) => ({ __typename: 'Region', id })) },
    );
    expect(errors).toBeUndefined();
    const direct = await fin.sql(
      `SELECT r AS id, count(i.village_id)::int AS "villageCount", coalesce(sum(i.amount), 0)::numeric(18,2)::text AS total,
              coalesce(round(avg(i.amount), 2), 0)::numeric(18,2)::text AS "averagePerVillage"
         FROM unnest($1::text[], $2::text[]) AS x(r, prefix)
         LEFT JOIN finance.collective_income i ON i.year = 2024 AND i.village_id LIKE x.prefix || '%'
        GROUP BY r`,
      [regions, regions.map((r) => (r === CITY.code ? r.slice(0, 4) : r.endsWith('000000') ? r.slice(0, 6) : r.slice(0, 9)))],
    );
    const byId = new Map(direct.map((d: any) => [d.id, d]));
    for (const region of data._entities) {
      const { id, ...expected } = byId.get(region.id) as any;
      expect({ id, ...region.collectiveIncomeSummary }).toEqual({ id, ...expected });
    }
  });

  it('are emptied with the table they sum', async () => {
    await fin.sql(`TRUNCATE finance.collective_income`);
    expect(await rollupCount()).toBe(0);
    expect(await fin.sql(RANKING_ROWS)).toEqual([]);
    await seedFinance(fin.db);
    expect(await drift()).toEqual([]);
    expect(await rankingDrift()).toEqual([]);
    expect(await rollupCount()).toBe(2 * (1 + 6 + towns.length));
  });
});

describe('income ranking rows', () => {
  const WRITER: Identity = { sub: 'finance-officer', scopes: ['finance:write'] };
  const RECORD = `mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year amount } }`;

  it('stay exact under concurrent writes of adjacent years of the same villages', async () => {
    // A ranking row reads two years of a village: writers of either year must not miss each other.
    const db = createDataSource(finance, fin.url, { poolSize: 20 });
    await db.initialize();
    try {
      const hot = villages.slice(0, 4);
      const calls = Array.from({ length: 40 }, (_, i) => ({ villageId: hot[i % 4], year: 2025 + (Math.floor(i / 4) % 3), amount: `${500 + i * 13}.${String(i).padStart(2, '0')}` }));
      const bulk = (year: number, factor: string) =>
        db.query(
          `INSERT INTO finance.collective_income (year, village_id, amount, recorded_by)
           SELECT $1, v, 1000 * $2::numeric, 'test' FROM unnest($3::text[]) AS v
           ON CONFLICT (year, village_id) DO UPDATE SET amount = EXCLUDED.amount`,
          [year, factor, hot],
        );
      const results = await Promise.all([
        ...calls.map((input) => graphql({ schema: fin.schema, source: RECORD, variableValues: { input }, contextValue: { db, identity: WRITER, loaders: finance.createLoaders(db) } })),
        bulk(2025, '1.5'),
        bulk(2026, '2.5'),
        bulk(2027, '3.5'),
        db.query(`DELETE FROM finance.collective_income WHERE year = 2026 AND village_id = $1`, [hot[1]]),
      ]);
      expect(results.slice(0, calls.length).flatMap((r: any) => r.errors ?? [])).toEqual([]);
      expect(await rankingDrift()).toEqual([]);
      expect(await drift()).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('make the second of two overlapping writers wait and read what the first committed, or fail to serialise', async () => {
    const village = villages[10];
    const connect = async () => {
      const client = new Client({ connectionString: fin.url });
      await client.connect();
      return client;
    };
    const [first, second] = await Promise.all([connect(), connect()]);
    const previous = async () =>
      (await fin.sql(`SELECT previous_amount::text AS p FROM finance.income_ranking WHERE year = 2024 AND village_id = $1`, [village]))[0].p;
    try {
      for (const [isolation, amount] of [['READ COMMITTED', '7777.77'], ['REPEATABLE READ', '8888.88']]) {
        await first.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        await second.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        await second.query(`SELECT 1`); // takes the second's snapshot before the first commits
        await first.query(`UPDATE finance.collective_income SET amount = amount + 1 WHERE year = 2024 AND village_id = $1`, [village]);
        // Writes the year before, on which the first's ranking row depends: waits for the first.
        const waiting = second.query(`UPDATE finance.collective_income SET amount = $2 WHERE year = 2023 AND village_id = $1`, [village, amount]).then(
          () => null,
          (error: { code: string }) => error.code,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        await first.query('COMMIT');
        const failed = await waiting;
        await second.query(failed ? 'ROLLBACK' : 'COMMIT');
        if (isolation === 'READ COMMITTED') {
          expect(failed).toBeNull();
          expect(await previous()).toBe('7777.77');
        } else {
          expect(failed).toBe('40001'); // serialization_failure: the client retries
          expect(await previous()).toBe('7777.77'); // the first run's, unchanged
        }
        expect(await rankingDrift()).toEqual([]);
      }
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });
});
