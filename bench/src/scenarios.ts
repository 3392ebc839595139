import { zigongDivisions } from '@zigong/reference-data';
import type { GraphQLSchema } from 'graphql';
import { generateShapes, type Shape } from './shapes';
import { natural, rankByPopularity, type Ranked, seedOf, shuffled } from './traffic';

export type Variables = Record<string, unknown>;

/** One request a load may send: an operation text and its variables. */
export interface Sent {
  query: string;
  variables: Variables;
}

/** The places a load draws its variables from, so requests vary the way a city's traffic does. */
export interface BenchData {
  scale: number;
  /** The city, its districts and counties, and their towns: the regions a front-end filters by. */
  regions: Array<{ code: string; level: 'CITY' | 'DISTRICT' | 'COUNTY' | 'TOWN' }>;
  villages: string[];
  /** Fund ids the graph lists; `district` for a district's or county's own fund, none for the city's. */
  funds: Array<{ id: string; district?: string }>;
  /**
   * Per region, the cursor after each of its villages in the order the graph pages them
   * (`villages(regionId)` edges), so a page k of size s starts after village k·s − 1.
   */
  cursors: Record<string, string[]>;
  /** The many-shapes scenario's operations, generated once by the bench (within the gateway's cost limit). */
  shapes?: Shape[];
}

/** `funds`: the fund ids the graph lists (`{ funds { id } }`); `cursors`: see BenchData. */
export function benchData(scale: number, funds: string[] = [], cursors: Record<string, string[]> = {}): BenchData {
  const { regions, villages } = zigongDivisions({ scale });
  return {
    scale,
    regions: regions.map((r) => ({ code: r.code, level: r.level })),
    villages: villages.map((v) => v.code),
    funds: funds.map((id) => ({ id, district: /^fund-\d{4}-(\d{12})-/.exec(id)?.[1] })),
    cursors,
  };
}

export interface Scenario {
  name: string;
  description: string;
  /** The operation every request sends; absent where the scenario sends many (many-shapes). */
  query?: string;
  /**
   * Every distinct request the scenario's traffic may send (at least 10,000), most popular
   * first: a load draws rank k with probability ∝ 1/(k+1)^s. Deterministic for the same data.
   */
  universe(data: BenchData): Sent[];
  /** What the axes are, for the report. */
  axes: string;
  /** The one subgraph that can answer it alone, for the direct comparison. */
  direct?: string;
  /** Writes: sent with a token allowed to write (our gateway) or the identity it stands for (the others). */
  mutation?: boolean;
}

/** Years with income records come first; older years are valid and asked for, and answer empty summaries. */
const YEARS_WITH_DATA = [2024, 2023];
/** The years a front-end offers, newest first: those with records, then back to 2000 (valid, empty). */
const YEARS = Array.from({ length: 25 }, (_, i) => 2024 - i);

/** Every variable set with the scenario's one operation. */
const withQuery = (query: string, sets: Variables[]): Sent[] => sets.map((variables) => ({ query, variables }));

/** The product of every axis: one variable set per combination, weighted by the product of the axes' weights. */
function combine(axes: Array<Array<Ranked<Variables>>>): Array<{ value: Variables; weight: number }> {
  return axes.reduce<Array<{ value: Variables; weight: number }>>(
    (sets, axis) => sets.flatMap((set) => axis.map((a) => ({ value: { ...set.value, ...a.value }, weight: set.weight * a.weight }))),
    [{ value: {}, weight: 1 }],
  );
}

const regionsAbove = (data: BenchData, levels: string[]) => data.regions.filter((r) => levels.includes(r.level)).map((r) => r.code);

const VILLAGE_PAGE = `query VillagePage($id: ID!, $year: Int!) {
      village(id: $id) {
        name town { name } district { name }
        partyBranch { name kind officers { name role } }
        industrialParks { name projects { name phase } supplyChains { product dailyVolume unit destinations } }
        collectiveIncome(year: $year) { amount }
        fundAllocations { amount purpose fund { name coordinatedBy { name } } }
        tourismAlliances { name theme platforms { name } }
      }
    }`;

const SINGLE_LIST = `query RegionParks($regionId: ID!, $withProjects: Boolean!, $withProducts: Boolean!, $withSupplyChains: Boolean!, $withGenerated: Boolean!) {
      industrialParks(regionId: $regionId) {
        id name products @include(if: $withProducts) generated @include(if: $withGenerated)
        projects @include(if: $withProjects) { name phase }
        supplyChains @include(if: $withSupplyChains) { product dailyVolume unit }
      }
    }`;

const ALLOCATE = `mutation Allocate($input: AllocateFundInput!) {
      allocateFund(input: $input) { amount purpose allocatedOn fund { id name } village { id } }
    }`;

const DASHBOARD = `query Dashboard($regionId: ID!, $year: Int!, $first: Int!, $after: String) {
      villages(regionId: $regionId, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node {
          id name town { name } partyBranch { name officers { name role } }
          industrialParks { name products }
          collectiveIncome(year: $year) { amount }
          tourismAlliances { name }
        } }
      }
    }`;

const REGION_SUMMARY = `query RegionSummary($regionId: ID!, $year: Int!, $withGrowth: Boolean!, $withAverage: Boolean!, $withChildren: Boolean!) {
      summary: collectiveIncomeSummary(regionId: $regionId, year: $year) { villageCount total averagePerVillage @include(if: $withAverage) growthRate @include(if: $withGrowth) }
      region(id: $regionId) {
        name
        children @include(if: $withChildren) { name collectiveIncomeSummary(year: $year) { villageCount total averagePerVillage @include(if: $withAverage) growthRate @include(if: $withGrowth) } }
      }
    }`;

/** Columns a front-end may show or hide: each an @include flag, shown first in popularity. */
const flags = (...names: string[]) => names.map((name) => natural([true, false]).map((f) => ({ value: { [name]: f.value }, weight: f.weight })));

/** Distinct operation texts of the many-shapes scenario, and the request sets each is asked with. */
export const SHAPES = 320;
const SETS_PER_SHAPE = 40;

export const SCENARIOS: Scenario[] = [
  {
    name: 'dashboard',
    description: 'a page of a region’s villages (city, district, county or town; 10 to 100 a page, any page) with fields from all four departments',
    axes: 'region (city, districts, counties, towns) × page size (20, 50, 100, 10) × page (cursor) × year (2024 back to 2005; 2023 and 2024 have records)',
    query: DASHBOARD,
    universe: (data) => {
      const regions = shuffled(regionsAbove(data, ['CITY', 'DISTRICT', 'COUNTY', 'TOWN']), seedOf('dashboard', 'regions'));
      const sets: Array<{ value: Variables; weight: number }> = [];
      for (const region of regions) {
        const cursors = data.cursors[region.value] ?? [];
        for (const size of natural([20, 50, 100, 10])) {
          const pages = Math.max(1, Math.ceil(cursors.length / size.value));
          for (let page = 0; page < pages; page++) {
            const after = page === 0 ? {} : { after: cursors[page * size.value - 1] };
            for (const year of natural(YEARS.slice(0, 20))) {
              sets.push({
                value: { regionId: region.value, first: size.value, ...after, year: year.value },
                weight: region.weight * size.weight * year.weight * (1 / (page + 1)),
              });
            }
          }
        }
      }
      return withQuery(DASHBOARD, rankByPopularity(sets, seedOf('dashboard')));
    },
  },
  {
    name: 'village-page',
    description: 'one village’s page across departments (Gantang’s shape), any village, any year',
    axes: 'village (703) × year (2024 back to 2010)',
    query: VILLAGE_PAGE,
    universe: (data) =>
      withQuery(
        VILLAGE_PAGE,
        rankByPopularity(
          combine([
            shuffled(data.villages, seedOf('village-page', 'villages')).map((v) => ({ value: { id: v.value }, weight: v.weight })),
            natural(YEARS.slice(0, 15)).map((y) => ({ value: { year: y.value }, weight: y.weight })),
          ]),
          seedOf('village-page'),
        ),
      ),
  },
  {
    name: 'region-summary',
    description: 'a region’s income summary for a year with each child region’s (the city by district and county, a district by town), with or without the growth and average columns and the children',
    axes: 'region (city, districts, counties, towns) × year (2024 back to 2000; only 2023 and 2024 have records) × growth shown × average shown × children shown',
    query: REGION_SUMMARY,
    universe: (data) =>
      withQuery(
        REGION_SUMMARY,
        rankByPopularity(
          combine([
            shuffled(regionsAbove(data, ['CITY', 'DISTRICT', 'COUNTY', 'TOWN']), seedOf('region-summary', 'regions')).map((r) => ({
              value: { regionId: r.value },
              weight: r.weight,
            })),
            natural(YEARS).map((y) => ({ value: { year: y.value }, weight: y.weight })),
            ...flags('withChildren', 'withGrowth', 'withAverage'),
          ]),
          seedOf('region-summary'),
        ),
      ),
  },
  {
    name: 'single-list',
    description: 'one department’s list: the industrial parks at or below the city, a district, county, town or village, with or without their products, projects, supply chains and origin',
    axes: 'region (city, districts, counties, towns, villages) × projects shown × products shown × supply chains shown × origin shown',
    query: SINGLE_LIST,
    universe: (data) =>
      withQuery(
        SINGLE_LIST,
        rankByPopularity(
          combine([
            shuffled([...regionsAbove(data, ['CITY', 'DISTRICT', 'COUNTY', 'TOWN']), ...data.villages], seedOf('single-list', 'regions')).map((r) => ({
              value: { regionId: r.value },
              weight: r.weight,
            })),
            ...flags('withProjects', 'withProducts', 'withSupplyChains', 'withGenerated'),
          ]),
          seedOf('single-list'),
        ),
      ),
    direct: 'agriculture',
  },
  {
    name: 'many-shapes',
    description: `${SHAPES} distinct operations generated from the API schema (seeded): a village, a page of a region’s villages, a region or a region’s parks, each with a random choice of fields up to three levels down`,
    axes: `shape (${SHAPES}, ranked) × its root’s variables (village × year, region × page size × year, region × year, region), the ${SETS_PER_SHAPE} most popular sets of each shape`,
    universe: (data) => {
      const shapes = data.shapes;
      if (!shapes?.length) throw new Error('many-shapes: no shapes in the bench data (manyShapes() makes them)');
      const sets: Array<{ value: Sent; weight: number }> = [];
      for (const [rank, shape] of shapes.entries()) {
        const variables = rankByPopularity(rootVariables(shape, data), seedOf('many-shapes', rank)).slice(0, SETS_PER_SHAPE);
        variables.forEach((v, i) => sets.push({ value: { query: shape.query, variables: v }, weight: 1 / (rank + 1) / (i + 1) }));
      }
      return rankByPopularity(sets, seedOf('many-shapes', 'sets'));
    },
  },
  {
    name: 'allocation',
    description: 'allocating money from a fund (the city’s three or the village’s own district’s) to a village, confirmed with what was allocated from which fund',
    axes: 'village (703) × fund (3 city funds, the district’s own) × purpose (5), with a small amount',
    query: ALLOCATE,
    universe: (data) => {
      const purposes = natural(['道路硬化', '产业园配套', '冷链仓储', '文旅步道', '人居环境整治']);
      const cityFunds = data.funds.filter((f) => !f.district).map((f) => f.id);
      const sets: Array<{ value: Variables; weight: number }> = [];
      for (const village of shuffled(data.villages, seedOf('allocation', 'villages'))) {
        const district = `${village.value.slice(0, 6)}000000`;
        const own = data.funds.filter((f) => f.district === district).map((f) => f.id);
        for (const fund of natural([...cityFunds, ...own])) {
          for (const purpose of purposes) {
            const n = sets.length;
            sets.push({
              value: { input: { fundId: fund.value, villageId: village.value, amount: `0.${String(1 + (n % 99)).padStart(2, '0')}`, purpose: `bench: ${purpose.value}` } },
              weight: village.weight * fund.weight * purpose.weight,
            });
          }
        }
      }
      return withQuery(ALLOCATE, rankByPopularity(sets, seedOf('allocation')));
    },
    mutation: true,
  },
];

/** The many-shapes scenario's operations: SHAPES distinct texts from the API schema, seeded, each within `accept` (the gateway's cost rule). */
export function manyShapes(api: GraphQLSchema, accept: (query: string) => boolean): Shape[] {
  return generateShapes(api, SHAPES, seedOf('many-shapes'), accept);
}

/** The variable sets a shape can be asked with, by its root, weighted by popularity. */
function rootVariables(shape: Shape, data: BenchData): Array<{ value: Variables; weight: number }> {
  const years = shape.year ? [natural(YEARS_WITH_DATA).map((y) => ({ value: { year: y.value }, weight: y.weight }))] : [];
  const regions = (levels: string[], extra: string[] = []) =>
    shuffled([...regionsAbove(data, levels), ...extra], seedOf('many-shapes', shape.root.field)).map((r) => ({ value: { regionId: r.value }, weight: r.weight }));
  switch (shape.root.field) {
    case 'village':
      return combine([shuffled(data.villages, seedOf('many-shapes', 'villages')).map((v) => ({ value: { id: v.value }, weight: v.weight })), ...years]);
    case 'villages':
      return combine([regions(['CITY', 'DISTRICT', 'COUNTY', 'TOWN']), natural([20, 10, 50]).map((f) => ({ value: { first: f.value }, weight: f.weight })), ...years]);
    case 'region':
      return combine([regions(['CITY', 'DISTRICT', 'COUNTY', 'TOWN']), ...years]);
    default:
      return combine([regions(['DISTRICT', 'COUNTY', 'TOWN'], data.villages), ...years]);
  }
}

/** The dashboard as the one-at-a-time checks have always asked it: the first page of 100 of a district or county. */
export function fixedDashboardVariables(i: number, data: BenchData): Variables {
  const districts = regionsAbove(data, ['DISTRICT', 'COUNTY']);
  return { regionId: districts[(i * 7919) % districts.length], first: 100, year: YEARS_WITH_DATA[i % 2] };
}

/** The city's summary by district and county, either year: the 100× latency check. */
export function citySummaryVariables(i: number): Variables {
  return { regionId: '510300000000', year: YEARS_WITH_DATA[i % 2], withChildren: true, withGrowth: true, withAverage: true };
}
