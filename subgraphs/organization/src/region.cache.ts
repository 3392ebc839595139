import { selectColumns } from '@zigong/kit';
import type { DataSource } from 'typeorm';
import { Region } from './region.entity';

export const REGION_COLUMNS = selectColumns(Region);

/**
 * The region tree, read once per process and database: 80 rows at scale 1, a few thousand at
 * 100×, written only by migrations and seeds (there are no region mutations), so every village
 * on a page finds its town and district without a statement. Seeds only add regions: a code the
 * tree lacks is looked up in the database and kept, unknown codes are not remembered.
 */
export class RegionCache {
  private readonly byId = new Map<string, Region>();
  private loading: Promise<void> | undefined;
  private loaded = false;

  constructor(private readonly db: DataSource) {}

  /** The region if the tree is loaded and has it; for resolvers that can then answer at once. */
  peek(id: string): Region | undefined {
    return this.loaded ? this.byId.get(id) : undefined;
  }

  /** Regions by code, null where none exists: no statement once the tree is loaded, unless a code is missing. */
  async load(ids: readonly string[]): Promise<Array<Region | null>> {
    if (!this.loaded) await (this.loading ??= this.loadTree());
    const missing = ids.filter((id) => !this.byId.has(id));
    if (missing.length) {
      const rows: Region[] = await this.db.query(`SELECT ${REGION_COLUMNS} FROM organization.region WHERE id = ANY($1)`, [missing]);
      for (const row of rows) this.byId.set(row.id, Object.freeze(row));
    }
    return ids.map((id) => this.byId.get(id) ?? null);
  }

  private async loadTree(): Promise<void> {
    try {
      const rows: Region[] = await this.db.query(`SELECT ${REGION_COLUMNS} FROM organization.region`);
      // Shared by every request from now on: frozen, so none can change what the others see.
      for (const row of rows) this.byId.set(row.id, Object.freeze(row));
      this.loaded = true;
    } finally {
      // A failed read is retried by the next request rather than remembered.
      this.loading = undefined;
    }
  }
}

const caches = new WeakMap<DataSource, RegionCache>();

/** The cache of this DataSource's database; test databases each get their own. */
export function regionCache(db: DataSource): RegionCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new RegionCache(db)));
  return cache;
}
