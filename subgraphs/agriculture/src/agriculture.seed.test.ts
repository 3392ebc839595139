import { GANTANG, parkId, parkProjectId, VILLAGE_COUNT, zigongDivisions } from '@zigong/reference-data';
import { agricultureData, GANTANG_PARK, supplyChainId } from './agriculture.seed';

const { villages } = zigongDivisions();
const data = agricultureData(villages);

describe('agriculture reference data', () => {
  it('is the same on every run', () => {
    expect(agricultureData(villages)).toEqual(data);
  });

  it('reproduces Gantang’s park as the article tells it (F2, F3), not generated', () => {
    const park = data.parks.find((p) => p.villageId === GANTANG)!;
    expect(park).toEqual({ id: parkId(GANTANG), name: GANTANG_PARK.name, villageId: GANTANG, products: ['鸡蛋', '李子'], generated: false });
    expect(park.name).toContain('蛋鸡—李子');
    expect(data.projects.filter((p) => p.parkId === park.id)).toEqual([
      expect.objectContaining({ id: parkProjectId(GANTANG, 1), phase: 1, generated: false }),
      expect.objectContaining({ id: parkProjectId(GANTANG, 2), phase: 2, generated: false }),
    ]);
    expect(data.supplyChains.filter((c) => c.parkId === park.id)).toEqual([
      { id: supplyChainId(GANTANG), parkId: park.id, product: '鸡蛋', dailyVolume: 21000, unit: '枚', destinations: ['周边城市'], generated: false },
    ]);
  });

  it('gives about one village in four a generated park, each in a known village with a unique id', () => {
    const codes = new Set(villages.map((v) => v.code));
    expect(data.parks.length).toBeGreaterThan(VILLAGE_COUNT * 0.18);
    expect(data.parks.length).toBeLessThan(VILLAGE_COUNT * 0.32);
    expect(data.parks.every((p) => codes.has(p.villageId))).toBe(true);
    expect(new Set(data.parks.map((p) => p.id)).size).toBe(data.parks.length);
    expect(data.parks.filter((p) => !p.generated).map((p) => p.villageId)).toEqual([GANTANG]);
  });

  it('names every generated park after its village and gives it phases 1..n and a chain per product', () => {
    const byCode = new Map(villages.map((v) => [v.code, v.name]));
    for (const park of data.parks.filter((p) => p.generated)) {
      expect(park.name.startsWith(byCode.get(park.villageId)!)).toBe(true);
      expect(park.name).toMatch(/产业园$/);
      const phases = data.projects.filter((p) => p.parkId === park.id).map((p) => p.phase);
      expect(phases).toEqual(Array.from({ length: phases.length }, (_, i) => i + 1));
      expect(phases.length).toBeGreaterThanOrEqual(1);
      const chains = data.supplyChains.filter((c) => c.parkId === park.id);
      expect(chains.map((c) => c.product)).toEqual(park.products);
      for (const chain of chains) {
        expect(chain.generated).toBe(true);
        expect(chain.dailyVolume).toBeGreaterThan(0);
        expect(chain.destinations.length).toBeGreaterThan(0);
        expect(new Set(chain.destinations).size).toBe(chain.destinations.length);
      }
    }
  });

  it('varies what the parks produce', () => {
    const products = new Set(data.parks.flatMap((p) => p.products));
    for (const typical of ['柑橘', '茶叶', '生猪', '蔬菜', '花椒', '李子']) expect(products).toContain(typical);
    expect(data.parks.some((p) => p.generated && p.name.includes('种养循环'))).toBe(true);
  });

  it('scales with the division tree for the bench', () => {
    const bigger = agricultureData(zigongDivisions({ scale: 3 }).villages);
    expect(bigger.parks.length).toBeGreaterThan(data.parks.length * 2.5);
    expect(new Set(bigger.supplyChains.map((c) => c.id)).size).toBe(bigger.supplyChains.length);
  });
});
