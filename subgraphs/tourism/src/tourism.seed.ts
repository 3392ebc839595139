import { type SeedReport, seedTransaction } from '@zigong/kit';
import { CAOTANG, DISTRICTS, FEILONGXIA, seededRandom, TOWN_NAMES, zigongDivisions } from '@zigong/reference-data';
import type { DataSource } from 'typeorm';

/** Ids of the reference alliances and platforms: readable, and stable across runs and machines. */
export const tourismAllianceId = (leadVillageCode: string) => `ta-${leadVillageCode}`;
export const tourismPlatformId = (leadVillageCode: string, n = 1) => `tp-${leadVillageCode}-${n}`;

/** F11, F12: the article's alliance, its platform, theme and its 2024 contribution. */
export const FEILONGXIA_ALLIANCE = {
  id: tourismAllianceId(CAOTANG),
  name: '飞龙峡文旅联盟',
  theme: '休闲康养',
  leadVillage: CAOTANG,
  town: FEILONGXIA,
  platform: '康养飞龙峡',
  contribution: { year: 2024, amount: '410000.00' },
} as const;

interface GeneratedAlliance {
  district: string;
  town: string;
  name: string;
  theme: string;
  platforms: string[];
}

/** Made-up alliances around real sights of Zigong's other districts and counties. */
const GENERATED: GeneratedAlliance[] = [
  { district: '510311000000', town: '仙市镇', name: '仙市古镇文旅联盟', theme: '古镇民俗', platforms: ['盐运古镇·仙市', '仙市古镇民宿联营'] },
  { district: '510321000000', town: '旭阳镇', name: '荣县大佛文旅联盟', theme: '佛教文化研学', platforms: ['大佛荣州'] },
  { district: '510322000000', town: '富世镇', name: '富顺文庙文旅联盟', theme: '国学研学', platforms: ['才子之乡·富顺文庙'] },
  { district: '510304000000', town: '三多寨镇', name: '三多寨古寨文旅联盟', theme: '山地避暑', platforms: ['云上三多寨'] },
  { district: '510303000000', town: '艾叶镇', name: '艾叶盐运古道文旅联盟', theme: '盐运文化体验', platforms: ['艾叶古镇盐道游', '井盐研学基地'] },
];

export interface TourismReferenceData {
  /** [id, name, theme, lead_village_id, generated] */
  alliances: unknown[][];
  /** [alliance_id, village_id, generated] */
  members: unknown[][];
  /** [id, alliance_id, name, generated] */
  platforms: unknown[][];
  /** [alliance_id, year, amount, generated] */
  contributions: unknown[][];
}

/**
 * The tourism department's reference data, as rows: the Feilongxia alliance of the article (with
 * a few made-up neighbouring members) and, for every copy of the towns at this scale, the
 * made-up alliances of GENERATED with 2023 and 2024 contributions. Pure and deterministic: each
 * alliance draws from its own generator, seeded by its town's code.
 */
export function tourismReferenceData({ scale = 1 }: { scale?: number } = {}): TourismReferenceData {
  const { villages } = zigongDivisions({ scale });
  const villagesOf = new Map<string, string[]>();
  for (const village of villages) {
    const list = villagesOf.get(village.town) ?? villagesOf.set(village.town, []).get(village.town)!;
    list.push(village.code);
  }
  const data: TourismReferenceData = { alliances: [], members: [], platforms: [], contributions: [] };

  const feilongxia = FEILONGXIA_ALLIANCE;
  const feilongxiaRandom = seededRandom(Number(feilongxia.town.slice(0, 9)));
  data.alliances.push([feilongxia.id, feilongxia.name, feilongxia.theme, feilongxia.leadVillage, false]);
  data.members.push([feilongxia.id, feilongxia.leadVillage, false]);
  for (const village of draw(feilongxiaRandom, without(villagesOf.get(feilongxia.town)!, feilongxia.leadVillage), 3)) {
    data.members.push([feilongxia.id, village, true]);
  }
  data.platforms.push([tourismPlatformId(feilongxia.leadVillage), feilongxia.id, feilongxia.platform, false]);
  data.contributions.push([feilongxia.id, feilongxia.contribution.year, feilongxia.contribution.amount, false]);

  for (const spec of GENERATED) {
    const names = TOWN_NAMES[spec.district];
    const index = names.indexOf(spec.town);
    // The same bound on copies as the division tree: town codes have three digits.
    const copies = Math.min(scale, Math.floor(900 / names.length));
    for (let copy = 0; copy < copies; copy++) {
      const town = townCode(spec.district, copy * names.length + index);
      const neighbour = townCode(spec.district, copy * names.length + ((index + 1) % names.length));
      const random = seededRandom(Number(town.slice(0, 9)));
      const [lead, ...ownTown] = draw(random, villagesOf.get(town)!, 2 + Math.floor(random() * 3));
      const members = [lead, ...ownTown, ...draw(random, villagesOf.get(neighbour)!, 1)];
      const id = tourismAllianceId(lead);
      data.alliances.push([id, copy ? `${spec.name}${copy + 1}` : spec.name, spec.theme, lead, true]);
      for (const village of members) data.members.push([id, village, true]);
      spec.platforms.forEach((name, n) => data.platforms.push([tourismPlatformId(lead, n + 1), id, name, true]));
      // 80,000–330,000 yuan in 2023, growing 2–25% in 2024; whole hundreds, as reported figures are.
      const hundreds2023 = 800 + Math.floor(random() * 2500);
      const hundreds2024 = Math.round(hundreds2023 * (1.02 + random() * 0.23));
      data.contributions.push([id, 2023, `${hundreds2023}00.00`, true], [id, 2024, `${hundreds2024}00.00`, true]);
    }
  }
  return data;
}

/** Loads the reference data in one transaction; only missing rows are added. */
export async function seedTourism(db: DataSource, { scale = 1 } = {}): Promise<SeedReport> {
  const data = tourismReferenceData({ scale });
  return seedTransaction(db, async (insert) => {
    await insert('tourism.alliance', ['id', 'name', 'theme', 'lead_village_id', 'generated'], data.alliances);
    await insert('tourism.alliance_member', ['alliance_id', 'village_id', 'generated'], data.members);
    await insert('tourism.platform', ['id', 'alliance_id', 'name', 'generated'], data.platforms);
    await insert('tourism.income_contribution', ['alliance_id', 'year', 'amount', 'generated'], data.contributions);
  });
}

function townCode(district: string, index: number): string {
  return district.slice(0, 6) + String(100 + index).padStart(3, '0') + '000';
}

function without(items: readonly string[], item: string): string[] {
  return items.filter((x) => x !== item);
}

/** `count` distinct items, in the order drawn. */
function draw(random: () => number, items: readonly string[], count: number): string[] {
  const pool = [...items];
  const drawn: string[] = [];
  while (drawn.length < count && pool.length) drawn.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
  return drawn;
}
