import { type SeedReport, seedTransaction } from '@zigong/kit';
import { DISTRICTS, GANTANG, seededRandom, zigongDivisions } from '@zigong/reference-data';
import type { DataSource } from 'typeorm';

/** Ids of the reference items: readable, and stable across runs and machines. */
export const __name__ItemId = (villageCode: string, n = 1) => `__name__-${villageCode}-${n}`;

/**
 * The reference items as rows [id, village_id, name, generated]: one on Gantang (the article's
 * village, so examples have a known place to look) and, for every district and county, `2 × scale`
 * villages drawn deterministically. All made up, so all generated.
 */
export function __name__ReferenceData({ scale = 1 }: { scale?: number } = {}): unknown[][] {
  const { villages } = zigongDivisions({ scale });
  const gantang = villages.find((v) => v.code === GANTANG)!;
  const rows: unknown[][] = [[__name__ItemId(GANTANG), GANTANG, `${gantang.name} __name__ sample`, true]];
  for (const district of DISTRICTS) {
    const prefix = district.code.slice(0, 6);
    const random = seededRandom(Number(prefix));
    const pool = villages.filter((v) => v.code.startsWith(prefix) && v.code !== GANTANG);
    for (let n = 0; n < 2 * scale && pool.length; n++) {
      const village = pool.splice(Math.floor(random() * pool.length), 1)[0];
      rows.push([__name__ItemId(village.code), village.code, `${village.name} __name__ sample`, true]);
    }
  }
  return rows;
}

/** Loads the reference items in one transaction; only missing rows are added. */
export async function seed__Name__(db: DataSource, { scale = 1 }: { scale?: number } = {}): Promise<SeedReport> {
  const rows = __name__ReferenceData({ scale });
  return seedTransaction(db, (insert) => insert('__name__.item', ['id', 'village_id', 'name', 'generated'], rows));
}
