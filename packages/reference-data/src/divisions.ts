import { CAOTANG, CITY, DISTRICTS, FEILONGXIA, GANTANG, RONGBIAN, TOWN_NAMES, VILLAGE_COUNT } from './places';
import { pick, seededRandom } from './random';

export type RegionLevel = 'CITY' | 'DISTRICT' | 'COUNTY' | 'TOWN';

export interface RegionRecord {
  code: string;
  name: string;
  level: RegionLevel;
  parent: string | null;
  /** True where the data set made the record up rather than took it from the article or statistics. */
  generated: boolean;
}

export interface VillageRecord {
  code: string;
  name: string;
  town: string;
  generated: boolean;
}

export interface Divisions {
  regions: RegionRecord[];
  villages: VillageRecord[];
}

const FIRST = '石桥龙凤新和平安金银花竹松柏桂荷高双永长福兴大小东西南北黄青白红五三宝乐仁义'.split('');
const SECOND = '塘湾坝山岩沟坪井田林河溪湖坡岭寺庙桥村园坳冲嘴垭湾滩'.split('');

/**
 * Zigong's division tree: the city, its 6 districts and counties, their towns, and their villages.
 * Scale 1 has exactly 703 villages; scale N has N times as many towns' worth of villages (for the
 * bench), with the article's places always present under the same codes.
 */
export function zigongDivisions({ scale = 1 }: { scale?: number } = {}): Divisions {
  const random = seededRandom(20241213);
  const regions: RegionRecord[] = [{ code: CITY.code, name: CITY.name, level: 'CITY', parent: null, generated: false }];
  const towns: RegionRecord[] = [];
  for (const district of DISTRICTS) {
    regions.push({ code: district.code, name: district.name, level: district.level, parent: CITY.code, generated: false });
    const names = TOWN_NAMES[district.code];
    // Town codes have three digits (100–999), so past that the extra villages go into bigger towns.
    const copies = Math.min(scale, Math.floor(900 / names.length));
    for (let copy = 0; copy < copies; copy++) {
      names.forEach((name, index) => {
        const number = 100 + copy * names.length + index;
        const code = district.code.slice(0, 6) + String(number).padStart(3, '0') + '000';
        const article = code === RONGBIAN || code === FEILONGXIA;
        towns.push({ code, name: copy ? `${name}${copy + 1}` : name, level: 'TOWN', parent: district.code, generated: !article });
      });
    }
  }
  regions.push(...towns);

  const total = VILLAGE_COUNT * scale;
  const villages: VillageRecord[] = [];
  towns.forEach((town, index) => {
    const count = Math.floor(total / towns.length) + (index < total % towns.length ? 1 : 0);
    const taken = new Set<string>();
    for (let i = 0; i < count; i++) {
      // 统计 codes 200–399 are villagers' committees (村委会).
      const code = town.code.slice(0, 9) + String(201 + i).padStart(3, '0');
      let name = articleVillageName(code);
      while (!name || taken.has(name)) name = `${pick(random, FIRST)}${pick(random, SECOND)}村`;
      taken.add(name);
      villages.push({ code, name, town: town.code, generated: !articleVillageName(code) });
    }
  });
  return { regions, villages };
}

function articleVillageName(code: string): string | undefined {
  if (code === GANTANG) return '干塘村';
  if (code === CAOTANG) return '草堂村';
  return undefined;
}
