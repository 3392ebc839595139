import { decodeCursor, encodeCursor, ErrorCode, pageSize, selectsPath, userError } from '@zigong/kit';
import type { GraphQLResolveInfo } from 'graphql';
import type { DataSource } from 'typeorm';
import { BRANCH_COLUMNS, type BranchWithOfficers, type OrganizationLoaders, VILLAGE_COLUMNS } from './organization.loaders';
import type { VillageConnection } from './village.connection';
import type { Village } from './village.entity';

/** An edge encodes its cursor only when asked: a page of 100 rarely wants more than the last one. */
class Edge {
  constructor(readonly node: Village) {}

  get cursor(): string {
    return encodeCursor([this.node.name, this.node.id]);
  }
}

export const VILLAGE_PAGE = { defaultSize: 20, maxSize: 100 } as const;

/** What the page's own statement also fetches, because the client is about to ask for it. */
export interface PageAhead {
  /** Each village's party branch, handed to the branch loader (a round trip saved). */
  branches?: OrganizationLoaders['partyBranchOfVillage'];
  /** totalCount, counted once in the same statement (an InitPlan). */
  withCount?: boolean;
}

/** What a `villages` field's selection will ask of its page. */
export function pageAhead(info: GraphQLResolveInfo, loaders: OrganizationLoaders): PageAhead {
  return {
    branches: selectsPath(info, ['edges', 'node', 'partyBranch']) ? loaders.partyBranchOfVillage : undefined,
    withCount: selectsPath(info, ['totalCount']),
  };
}

export interface VillageFilter {
  /** Division-code prefix of the region the villages lie in. */
  prefix?: string;
  nameContains?: string;
}

/**
 * Keyset pagination in (name, id) order, byte-wise, so pages never skip or repeat a village
 * while others are added. `totalCount` runs only when a client asks for it.
 */
export async function villagePage(
  db: DataSource,
  filter: VillageFilter,
  args: { first?: number | null; after?: string | null },
  ahead: PageAhead = {},
): Promise<VillageConnection> {
  const { branches, withCount } = ahead;
  const size = pageSize(args.first, VILLAGE_PAGE);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.prefix) where.push(`id LIKE ${param(filter.prefix + '%')}`);
  if (filter.nameContains !== undefined) {
    const text = filter.nameContains.trim();
    if (text.length > 50) throw userError(ErrorCode.BAD_USER_INPUT, '`nameContains` is longer than 50 characters.');
    if (text) where.push(`strpos(name, ${param(text)}) > 0`);
  }
  const filterSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const filterParams = [...params];

  if (args.after) {
    const [name, id] = decodeCursor(args.after, 2);
    where.push(`(name COLLATE "C", id) > (${param(name)} COLLATE "C", ${param(id)})`);
  }
  const branchSql = branches
    ? `, (SELECT row_to_json(b) FROM (SELECT ${BRANCH_COLUMNS} FROM organization.party_branch b WHERE b.village_id = village.id) b) AS branch`
    : '';
  const countSql = withCount ? `, (SELECT count(*)::int FROM organization.village ${filterSql}) AS "totalCount"` : '';
  const rows: Array<Village & { branch?: BranchWithOfficers | null; totalCount?: number }> = await db.query(
    `SELECT ${VILLAGE_COLUMNS}${branchSql}${countSql} FROM organization.village
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY name COLLATE "C", id LIMIT ${param(size + 1)}`,
    params,
  );
  const counted = rows[0]?.totalCount;
  for (const row of rows) {
    branches?.prime(row.id, row.branch ?? null);
    delete row.branch;
    delete row.totalCount;
  }
  const edges = rows.slice(0, size).map((node) => new Edge(node));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    countTotal: async () => {
      if (counted !== undefined) return counted;
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM organization.village ${filterSql}`, filterParams);
      return count;
    },
  };
}
