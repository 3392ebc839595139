import { decodeCursor, encodeCursor, ErrorCode, pageSize, userError } from '@zigong/kit';
import type { DataSource } from 'typeorm';
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
): Promise<VillageConnection> {
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
  const rows: Village[] = await db.query(
    `SELECT id, name, town_id AS "townId", generated FROM organization.village
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY name COLLATE "C", id LIMIT ${param(size + 1)}`,
    params,
  );
  const edges = rows.slice(0, size).map((node) => new Edge(node));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    countTotal: async () => {
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM organization.village ${filterSql}`, filterParams);
      return count;
    },
  };
}
