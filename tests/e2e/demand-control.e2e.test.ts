import { CAOTANG, CITY, GANTANG, ZILIUJING } from '@zigong/reference-data';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  type GraphQLField,
  GraphQLList,
  type GraphQLObjectType,
  isEnumType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GraphQLResponse, startPlatform, type TestPlatform } from '../support/platform';

const api = buildSchema(readFileSync(join(__dirname, '../../schema/api.graphql'), 'utf8'));

/** mulberry32: the same queries on every run, so a failure names a reproducible query. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  return { next, pick };
}

/** Values the reference data answers for the arguments a field requires; a field needing any other is not generated. */
const REQUIRED: Record<string, readonly string[]> = {
  year: ['2023', '2024'],
  regionId: [`"${CITY.code}"`, `"${ZILIUJING}"`, `"${GANTANG.slice(0, 9)}000"`],
};
const FIRST = [undefined, undefined, 0, 1, 3, 20, 50, 100];

/**
 * A random operation over the API schema: at each object, some of its fields; at each list, a
 * random `first` or none; required arguments from the reference data. Depth is bounded so the
 * query stays within the gateway's shape limits.
 */
function generateQuery(seed: number): string {
  const { next, pick } = random(seed);
  const argumentsOf = (field: GraphQLField<unknown, unknown>): string | null => {
    const given: string[] = [];
    for (const arg of field.args) {
      if (arg.name === 'first') {
        const first = pick(FIRST);
        if (first !== undefined) given.push(`first: ${first}`);
      } else if (isNonNullType(arg.type)) {
        const values = REQUIRED[arg.name];
        if (!values) return null;
        given.push(`${arg.name}: ${pick(values)}`);
      } else if (isEnumType(arg.type) && next() < 0.3) given.push(`${arg.name}: ${pick(arg.type.getValues()).name}`);
    }
    return given.length ? `(${given.join(', ')})` : '';
  };
  const selection = (type: GraphQLObjectType, depth: number): string => {
    const fields = Object.values(type.getFields());
    const chosen: string[] = [];
    // Lists first, more often: they are what the estimate can get wrong.
    for (const field of [...fields].sort(() => next() - 0.5)) {
      const named = getNamedType(field.type);
      const isList = getNullableType(field.type) instanceof GraphQLList;
      const args = argumentsOf(field);
      if (args === null) continue;
      if (isLeafType(named)) {
        if (next() < 0.3 || !chosen.length) chosen.push(`${field.name}${args}`);
      } else if (isObjectType(named) && depth < 5 && next() < (isList ? 0.5 : 0.3)) {
        chosen.push(`${field.name}${args} { ${selection(named, depth + 1)} }`);
      }
      if (chosen.length >= 4) break;
    }
    return chosen.length ? chosen.join(' ') : '__typename';
  };
  const roots = Object.values(api.getQueryType()!.getFields()).filter((field) => argumentsOf(field) !== null);
  const root = pick(roots);
  const named = getNamedType(root.type);
  return `{ ${root.name}${argumentsOf(root)}${isObjectType(named) ? ` { ${selection(named, 2)} }` : ''} }`;
}

/** Every object in an answer, at any depth: what the estimate must not be below. */
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countObjects(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Object.values(value).reduce((sum: number, item) => sum + countObjects(item), 0);
}

let platform: TestPlatform;
let writer: Record<string, string>;
let ledgerFund: string;
const EXTRA_ALLOCATIONS = 30;

beforeAll(async () => {
  // Every generated query runs, however costly: the estimate is compared with what comes back.
  platform = await startPlatform({ gatewayEnv: { MAX_COST: '100000000' } });
  writer = { authorization: `Bearer ${await platform.token('finance:write', { sub: 'demand-tester' })}` };
  // The ledger only grows: one fund gets more allocations than a page holds.
  const { data } = await platform.query('{ funds { id balance } }');
  ledgerFund = data!.funds.find((f: { balance: string }) => Number(f.balance) > 1_000)!.id;
  for (let i = 0; i < EXTRA_ALLOCATIONS; i++) {
    const { errors } = await platform.query(
      `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id } }`,
      { input: { fundId: ledgerFund, villageId: CAOTANG, amount: '1.00', purpose: `ledger growth ${i}` } },
      writer,
    );
    expect(errors).toBeUndefined();
  }
}, 180_000);
afterAll(() => platform?.stop());

describe('demand control against real answers', () => {
  it('never estimates below the objects a generated query returns over the reference data', async () => {
    const below: string[] = [];
    let answered = 0;
    // Every scope the schema's reads ask for (field authorization), so every object is answered.
    const reader = { authorization: `Bearer ${await platform.token('organization:personnel finance:read')}` };
    for (let seed = 1; seed <= 200; seed++) {
      const query = generateQuery(seed);
      const response = await platform.query(query, undefined, reader);
      expect({ query, errors: response.errors }).toEqual({ query, errors: undefined });
      answered++;
      const estimated = (response as { extensions?: { cost?: { estimated: number } } }).extensions!.cost!.estimated;
      const objects = countObjects(response.data) - 1; // not `data` itself
      if (estimated < objects) below.push(`${query}: estimated ${estimated}, returned ${objects} objects`);
    }
    expect(below).toEqual([]);
    expect(answered).toBe(200);
  }, 300_000);

  it('costs the whole-city park list at its declared size, not at 10', async () => {
    const response = await platform.query('{ industrialParks { id } }');
    const parks = response.data!.industrialParks.length;
    expect(parks).toBeGreaterThan(100); // the finding: 189 parks were counted as 10
    expect((response as any).extensions.cost.estimated).toBeGreaterThanOrEqual(parks);
  });

  it('answers a fund’s growing ledger in pages of 20 unless `first` says otherwise, and pages through it with `after`', async () => {
    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { data, errors }: GraphQLResponse = await platform.query(`query($id: ID!, $after: ID) { fund(id: $id) { allocations(after: $after) { id } } }`, { id: ledgerFund, after });
      expect(errors).toBeUndefined();
      const page: string[] = data!.fund.allocations.map((a: { id: string }) => a.id);
      expect(page.length).toBeLessThanOrEqual(20);
      all.push(...page);
      if (page.length < 20) break;
      after = page[page.length - 1];
    }
    expect(all.length).toBeGreaterThan(EXTRA_ALLOCATIONS);
    expect(new Set(all).size).toBe(all.length);
    const { data } = await platform.query(`query($id: ID!) { fund(id: $id) { allocations(first: 100) { id } } }`, { id: ledgerFund });
    expect(data!.fund.allocations.map((a: { id: string }) => a.id)).toEqual(all);
    // The same ledger as the village sees it: its own page, in ledger order.
    const village = await platform.query(`query($id: ID!) { village(id: $id) { fundAllocations(first: 5) { id } } }`, { id: CAOTANG });
    expect(village.data!.village.fundAllocations).toHaveLength(5);
  });

  it('refuses an `after` that is no allocation of the list, and a page above 100', async () => {
    const unknown = await platform.query(`query($id: ID!) { fund(id: $id) { allocations(after: "no-such-allocation") { id } } }`, { id: ledgerFund });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
    const tooLarge = await platform.query(`query($id: ID!) { fund(id: $id) { allocations(first: 101) { id } } }`, { id: ledgerFund });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
  });
});
