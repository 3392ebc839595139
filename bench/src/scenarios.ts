import { zigongDivisions } from '@zigong/reference';

/** The places a load draws its variables from, so requests vary the way real traffic does. */
export interface BenchData {
  districts: string[];
  towns: string[];
  villages: string[];
  funds: string[];
}

/** `funds`: the fund ids the graph lists (`{ funds { id } }`), for the allocations. */
export function benchData(scale: number, funds: string[] = []): BenchData {
  const { regions, villages } = zigongDivisions({ scale });
  return {
    districts: regions.filter((r) => r.level === 'DISTRICT' || r.level === 'COUNTY').map((r) => r.code),
    towns: regions.filter((r) => r.level === 'TOWN').map((r) => r.code),
    villages: villages.map((v) => v.code),
    funds,
  };
}

export interface Scenario {
  name: string;
  description: string;
  query: string;
  /** Variables of the i-th request. */
  variables(i: number, data: BenchData): Record<string, unknown>;
  /** The one subgraph that can answer it alone, for the direct comparison. */
  direct?: string;
  /** Writes: sent with a token allowed to write (our gateway) or the identity it stands for (the others). */
  mutation?: boolean;
}

const pick = <T>(items: T[], i: number) => items[(i * 7919) % items.length];

export const SCENARIOS: Scenario[] = [
  {
    name: 'dashboard',
    description: 'a page of 100 villages of a district with fields from all four departments',
    query: `query Dashboard($regionId: ID!, $year: Int!) {
      villages(regionId: $regionId, first: 100) {
        totalCount
        edges { node {
          id name town { name } partyBranch { name officers { name role } }
          industrialParks { name products }
          collectiveIncome(year: $year) { amount }
          tourismAlliances { name }
        } }
      }
    }`,
    variables: (i, data) => ({ regionId: pick(data.districts, i), year: 2023 + (i % 2) }),
  },
  {
    name: 'village-page',
    description: 'one village’s page across departments (Gantang’s shape), varied villages',
    query: `query VillagePage($id: ID!) {
      village(id: $id) {
        name town { name } district { name }
        partyBranch { name kind officers { name role } }
        industrialParks { name projects { name phase } supplyChains { product dailyVolume unit destinations } }
        collectiveIncome(year: 2024) { amount }
        fundAllocations { amount purpose fund { name coordinatedBy { name } } }
        tourismAlliances { name theme platforms { name } }
      }
    }`,
    variables: (i, data) => ({ id: i % 10 === 0 ? '510302101201' : pick(data.villages, i) }),
  },
  {
    name: 'city-summary',
    description: 'the city’s income summary broken down by district and county',
    query: `query CitySummary($year: Int!) {
      city: collectiveIncomeSummary(regionId: "510300000000", year: $year) { villageCount total averagePerVillage growthRate }
      districts: regions(level: DISTRICT) { name collectiveIncomeSummary(year: $year) { villageCount total averagePerVillage growthRate } }
      counties: regions(level: COUNTY) { name collectiveIncomeSummary(year: $year) { villageCount total averagePerVillage growthRate } }
    }`,
    variables: (i) => ({ year: 2023 + (i % 2) }),
  },
  {
    name: 'single-list',
    description: 'one department’s list: the industrial parks of a town',
    query: `query TownParks($regionId: ID!) { industrialParks(regionId: $regionId) { id name products projects { name phase } } }`,
    variables: (i, data) => ({ regionId: pick(data.towns, i) }),
    direct: 'agriculture',
  },
  {
    name: 'allocation',
    description: 'allocating money from a fund to a village, confirmed with what was allocated from which fund',
    query: `mutation Allocate($input: AllocateFundInput!) {
      allocateFund(input: $input) { amount purpose allocatedOn fund { id name } village { id } }
    }`,
    variables: (i, data) => ({
      input: { fundId: pick(data.funds, i), villageId: pick(data.villages, i + 1), amount: '0.01', purpose: `bench allocation ${i % 100}` },
    }),
    mutation: true,
  },
];
