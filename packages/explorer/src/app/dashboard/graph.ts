/**
 * The dashboard's questions to the graph: same-origin POSTs to /graphql, using only fields of the
 * public contract (schema/contract.graphql), so the page works on any gateway that honours it.
 */
export const ENDPOINT = '/graphql';
/** The year the bar chart and the ranking show, and the years of the trend line. */
export const LATEST_YEAR = 2024;
export const TREND_YEARS = [2023, 2024] as const;
export const TOP_VILLAGES = 20;
/** The gateway's largest page of villages (MAX_PAGE_SIZE). */
const PAGE_SIZE = 100;

export interface IncomeSummary {
  villageCount: number;
  total: string;
  averagePerVillage: string;
  growthRate: number | null;
}

export interface RegionIncome {
  id: string;
  name: string;
  level: 'CITY' | 'DISTRICT' | 'COUNTY' | 'TOWN';
  collectiveIncomeSummary: IncomeSummary;
}

export interface YearIncome extends IncomeSummary {
  year: number;
}

export interface VillageIncome {
  id: string;
  name: string;
  town: string;
  /** null where the village has no income recorded for the year. */
  amount: string | null;
}

/** A failed request, with the gateway's error code where it gave one. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

export type Fetch = typeof fetch;

export interface GraphClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/** A client sending `Authorization: Bearer <token>` whenever `token()` gives one. */
export function graphClient(token: () => string, fetchImpl: Fetch = (...args) => fetch(...args)): GraphClient {
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const bearer = token().trim().replace(/^Bearer\s+/i, '');
      let response: Response;
      try {
        response = await fetchImpl(ENDPOINT, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
      } catch (error) {
        throw new GraphError(`无法连接网关：${(error as Error).message}`);
      }
      const text = await response.text();
      let body: { data?: T; errors?: Array<{ message?: string; extensions?: { code?: string } }> };
      try {
        body = JSON.parse(text);
      } catch {
        throw new GraphError(`网关返回了非 JSON 响应（HTTP ${response.status}）`, undefined, response.status);
      }
      const [first] = body.errors ?? [];
      if (first) throw new GraphError(first.message ?? '未知错误', first.extensions?.code, response.status);
      if (!body.data) throw new GraphError(`网关没有返回数据（HTTP ${response.status}）`, undefined, response.status);
      return body.data;
    },
  };
}

const SUMMARY = 'villageCount total averagePerVillage growthRate';

export const OVERVIEW_QUERY = `query DashboardOverview($year: Int!) {
  city: regions(level: CITY) { id name level collectiveIncomeSummary(year: $year) { ${SUMMARY} } }
  districts: regions(level: DISTRICT) { id name level collectiveIncomeSummary(year: $year) { ${SUMMARY} } }
  counties: regions(level: COUNTY) { id name level collectiveIncomeSummary(year: $year) { ${SUMMARY} } }
}`;

export interface Overview {
  city: RegionIncome | undefined;
  /** Districts, then counties, as the graph lists them. */
  regions: RegionIncome[];
}

export async function loadOverview(client: GraphClient, year = LATEST_YEAR): Promise<Overview> {
  const data = await client.request<{ city: RegionIncome[]; districts: RegionIncome[]; counties: RegionIncome[] }>(OVERVIEW_QUERY, { year });
  return { city: data.city[0], regions: [...data.districts, ...data.counties] };
}

const yearFields = TREND_YEARS.map((year) => `y${year}: collectiveIncomeSummary(year: ${year}) { ${SUMMARY} }`).join('\n    ');

export const TREND_QUERY = `query DashboardTrend($id: ID!) {
  region(id: $id) {
    id
    name
    ${yearFields}
  }
  city: regions(level: CITY) {
    id
    name
    ${yearFields}
  }
}`;

export interface Trend {
  region: { id: string; name: string; years: YearIncome[] } | null;
  city: { id: string; name: string; years: YearIncome[] } | null;
}

type ByYear = { id: string; name: string } & Record<string, IncomeSummary | string>;

function years(region: ByYear | undefined | null): Trend['region'] {
  if (!region) return null;
  return { id: region.id, name: region.name, years: TREND_YEARS.map((year) => ({ year, ...(region[`y${year}`] as IncomeSummary) })) };
}

export async function loadTrend(client: GraphClient, regionId: string): Promise<Trend> {
  const data = await client.request<{ region: ByYear | null; city: ByYear[] }>(TREND_QUERY, { id: regionId });
  return { region: years(data.region), city: years(data.city[0]) };
}

export const VILLAGES_QUERY = `query DashboardVillages($id: ID!, $year: Int!, $first: Int!, $after: String) {
  region(id: $id) {
    id
    name
    villages(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name town { name } collectiveIncome(year: $year) { amount } } }
    }
  }
}`;

interface VillagePage {
  region: {
    id: string;
    name: string;
    villages: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: Array<{ node: { id: string; name: string; town: { name: string }; collectiveIncome: { amount: string } | null } }>;
    };
  } | null;
}

/** Every village of a region with its income for the year, page by page (the graph has no ranking field). */
export async function loadVillages(client: GraphClient, regionId: string, year = LATEST_YEAR): Promise<VillageIncome[]> {
  const villages: VillageIncome[] = [];
  let after: string | null = null;
  for (;;) {
    const data: VillagePage = await client.request<VillagePage>(VILLAGES_QUERY, { id: regionId, year, first: PAGE_SIZE, after });
    if (!data.region) throw new GraphError(`没有编码为 ${regionId} 的区县`, 'NOT_FOUND');
    const { edges, pageInfo } = data.region.villages;
    for (const { node } of edges) villages.push({ id: node.id, name: node.name, town: node.town.name, amount: node.collectiveIncome?.amount ?? null });
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) return villages;
    after = pageInfo.endCursor;
  }
}
