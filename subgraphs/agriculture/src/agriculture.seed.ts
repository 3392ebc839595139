import { type SeedReport, seedTransaction } from '@zigong/kit';
import { GANTANG, parkId, parkProjectId, pick, seededRandom, type VillageRecord, zigongDivisions } from '@zigong/reference-data';
import type { DataSource } from 'typeorm';

/** Supply chains are referred to by no other department, so their ids live here. */
export const supplyChainId = (villageCode: string, n = 1, park = 1) => `chain-${villageCode}-${park}-${n}`;

/** The article's park (F2, F3): Gantang's "laying hen – plum" circular crop-and-livestock park. */
export const GANTANG_PARK = {
  id: parkId(GANTANG),
  name: '干塘村“蛋鸡—李子”种养循环产业园',
  products: ['鸡蛋', '李子'],
  projects: [
    // Phase 2 is the article's (F3); phase 1 is the farm that phase 2 extends.
    { id: parkProjectId(GANTANG, 1), name: '蛋鸡养殖场一期', phase: 1 },
    { id: parkProjectId(GANTANG, 2), name: '蛋鸡养殖场二期', phase: 2 },
  ],
  eggs: { id: supplyChainId(GANTANG, 1), product: '鸡蛋', dailyVolume: 21000, unit: '枚', destinations: ['周边城市'] },
} as const;

interface ProductKind {
  product: string;
  /** Goes into a one-product park's name: 石桥村晚熟柑橘产业园. */
  theme: string;
  /** Goes into a circular park's name, livestock first as in the article's “蛋鸡—李子”. */
  label: string;
  livestock: boolean;
  /** Goes into its projects' names: 柑橘种植基地二期. */
  facility: string;
  unit: string;
  /** Plausible daily volume range for one village park, in unit. */
  volume: readonly [number, number];
}

/** What Zigong's village parks typically produce (自贡: 柑橘, 茶叶, 生猪, 冷吃兔's rabbits, ...). */
const KINDS: readonly ProductKind[] = [
  { product: '柑橘', theme: '晚熟柑橘', label: '柑橘', livestock: false, facility: '柑橘种植基地', unit: '公斤', volume: [1500, 12000] },
  { product: '茶叶', theme: '生态茶叶', label: '茶叶', livestock: false, facility: '茶园', unit: '公斤', volume: [50, 600] },
  { product: '蔬菜', theme: '蔬菜', label: '蔬菜', livestock: false, facility: '蔬菜大棚', unit: '公斤', volume: [1000, 15000] },
  { product: '花椒', theme: '花椒', label: '花椒', livestock: false, facility: '花椒种植基地', unit: '公斤', volume: [100, 1500] },
  { product: '李子', theme: '李子', label: '李子', livestock: false, facility: '李子园', unit: '公斤', volume: [500, 8000] },
  { product: '蚕茧', theme: '桑蚕', label: '桑蚕', livestock: false, facility: '桑园', unit: '公斤', volume: [50, 500] },
  { product: '生猪', theme: '生猪养殖', label: '生猪', livestock: true, facility: '生猪养殖场', unit: '头', volume: [10, 120] },
  { product: '水产', theme: '水产养殖', label: '水产', livestock: true, facility: '水产养殖池', unit: '公斤', volume: [200, 3000] },
  { product: '肉兔', theme: '肉兔养殖', label: '肉兔', livestock: true, facility: '肉兔养殖场', unit: '只', volume: [200, 3000] },
  { product: '鸡蛋', theme: '蛋鸡养殖', label: '蛋鸡', livestock: true, facility: '蛋鸡养殖场', unit: '枚', volume: [3000, 30000] },
];

/** Zigong's own urban area and its neighbouring cities, where village produce is sold. */
const MARKETS = ['自贡城区', '成都', '重庆', '宜宾', '泸州', '内江', '乐山', '眉山'];
const PHASES = ['一期', '二期', '三期'];
/** About one village in four has a generated park. */
const PARK_SHARE = 0.25;

export interface ParkRecord {
  id: string;
  name: string;
  villageId: string;
  products: string[];
  generated: boolean;
}
export interface ProjectRecord {
  id: string;
  parkId: string;
  name: string;
  phase: number;
  generated: boolean;
}
export interface SupplyChainRecord {
  id: string;
  parkId: string;
  product: string;
  dailyVolume: number;
  unit: string;
  destinations: string[];
  generated: boolean;
}
export interface AgricultureData {
  parks: ParkRecord[];
  projects: ProjectRecord[];
  supplyChains: SupplyChainRecord[];
}

/**
 * The agriculture reference data, pure and deterministic: Gantang's park as the article tells it,
 * and a generated park in about every fourth other village, each with one to three phases and a
 * supply chain per product.
 */
export function agricultureData(villages: readonly VillageRecord[]): AgricultureData {
  const random = seededRandom(1217);
  const data: AgricultureData = { parks: [], projects: [], supplyChains: [] };
  const between = ([low, high]: readonly [number, number], step: number) => Math.round((low + random() * (high - low)) / step) * step || step;

  for (const village of villages) {
    if (village.code === GANTANG) {
      const park = GANTANG_PARK;
      data.parks.push({ id: park.id, name: park.name, villageId: GANTANG, products: [...park.products], generated: false });
      for (const p of park.projects) data.projects.push({ ...p, parkId: park.id, generated: false });
      data.supplyChains.push({ ...park.eggs, destinations: [...park.eggs.destinations], parkId: park.id, generated: false });
      continue;
    }
    if (random() >= PARK_SHARE) continue;

    const main = pick(random, KINDS);
    // A quarter are circular crop-and-livestock parks like Gantang's: livestock manure feeds the crop.
    const partner = random() < 0.25 ? pick(random, KINDS.filter((k) => k.livestock !== main.livestock)) : undefined;
    const kinds = partner ? [main, partner] : [main];
    const id = parkId(village.code);
    const name = partner ? `${village.name}“${kinds.find((k) => k.livestock)!.label}—${kinds.find((k) => !k.livestock)!.label}”种养循环产业园` : `${village.name}${main.theme}产业园`;
    data.parks.push({ id, name, villageId: village.code, products: kinds.map((k) => k.product), generated: true });

    const phases = 1 + Math.floor(random() * PHASES.length);
    for (let phase = 1; phase <= phases; phase++) {
      data.projects.push({ id: parkProjectId(village.code, phase), parkId: id, name: `${main.facility}${PHASES[phase - 1]}`, phase, generated: true });
    }
    kinds.forEach((kind, i) => {
      const markets = sample(random, MARKETS, 1 + Math.floor(random() * 3));
      const step = kind.volume[1] >= 5000 ? 100 : 10;
      data.supplyChains.push({
        id: supplyChainId(village.code, i + 1),
        parkId: id,
        product: kind.product,
        dailyVolume: between(kind.volume, step),
        unit: kind.unit,
        destinations: markets,
        generated: true,
      });
    });
  }
  return data;
}

/** Loads the agriculture reference data in one transaction; rows already there are left alone. */
export async function seedAgriculture(db: DataSource, { scale = 1 } = {}): Promise<SeedReport> {
  const { parks, projects, supplyChains } = agricultureData(zigongDivisions({ scale }).villages);
  return seedTransaction(db, async (insert) => {
    await insert('agriculture.industrial_park', ['id', 'name', 'village_id', 'products', 'generated'], parks.map((p) => [p.id, p.name, p.villageId, p.products, p.generated]));
    await insert('agriculture.park_project', ['id', 'park_id', 'name', 'phase', 'generated'], projects.map((p) => [p.id, p.parkId, p.name, p.phase, p.generated]));
    await insert(
      'agriculture.supply_chain',
      ['id', 'park_id', 'product', 'daily_volume', 'unit', 'destinations', 'generated'],
      supplyChains.map((c) => [c.id, c.parkId, c.product, c.dailyVolume, c.unit, c.destinations, c.generated]),
    );
  });
}

/** n distinct items in random order (a partial Fisher–Yates shuffle). */
function sample<T>(random: () => number, items: readonly T[], n: number): T[] {
  const pool = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}
