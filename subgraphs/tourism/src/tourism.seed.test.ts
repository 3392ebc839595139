import { CAOTANG, FEILONGXIA, ZILIUJING, zigongDivisions } from '@zigong/reference-data';
import { FEILONGXIA_ALLIANCE, tourismReferenceData } from './tourism.seed';

const data = tourismReferenceData();
const membersOf = (id: string) => data.members.filter(([alliance]) => alliance === id);

describe('tourism reference data', () => {
  it('is deterministic', () => {
    expect(tourismReferenceData()).toEqual(data);
  });

  it('has the Feilongxia alliance of the article, led by Caotang, not generated (F11, F12)', () => {
    const { id } = FEILONGXIA_ALLIANCE;
    expect(data.alliances.filter(([a]) => a === id)).toEqual([[id, '飞龙峡文旅联盟', '休闲康养', CAOTANG, false]]);
    expect(data.platforms.filter(([, a]) => a === id).map(([, , name, generated]) => [name, generated])).toEqual([['康养飞龙峡', false]]);
    expect(data.contributions.filter(([a]) => a === id)).toEqual([[id, 2024, '410000.00', false]]);
  });

  it('gives Feilongxia a few generated neighbours from its own town besides Caotang', () => {
    const members = membersOf(FEILONGXIA_ALLIANCE.id);
    expect(members[0]).toEqual([FEILONGXIA_ALLIANCE.id, CAOTANG, false]);
    const others = members.slice(1);
    expect(others.length).toBeGreaterThanOrEqual(2);
    expect(others.length).toBeLessThanOrEqual(5);
    for (const [, village, generated] of others) {
      expect(village).not.toBe(CAOTANG);
      expect(String(village).slice(0, 9)).toBe(FEILONGXIA.slice(0, 9));
      expect(generated).toBe(true);
    }
  });

  it('makes up 4–6 other alliances outside Ziliujing, each with members, platforms and 2023 and 2024 figures, all generated', () => {
    const generated = data.alliances.filter(([, , , , g]) => g);
    expect(generated.length).toBeGreaterThanOrEqual(4);
    expect(generated.length).toBeLessThanOrEqual(6);
    for (const [id, name, theme, lead] of generated) {
      expect(name).toMatch(/文旅联盟$/);
      expect(theme).toBeTruthy();
      const members = membersOf(String(id));
      expect(members.length).toBeGreaterThanOrEqual(2);
      expect(members.map(([, v]) => v)).toContain(lead);
      for (const [, village, g] of members) {
        expect(String(village).startsWith(ZILIUJING.slice(0, 6))).toBe(false);
        expect(g).toBe(true);
      }
      const platforms = data.platforms.filter(([, a]) => a === id);
      expect(platforms.length).toBeGreaterThan(0);
      expect(platforms.every(([, , , g]) => g === true)).toBe(true);
      const figures = data.contributions.filter(([a]) => a === id);
      expect(figures.map(([, year]) => year)).toEqual([2023, 2024]);
      for (const [, , amount, g] of figures) {
        expect(amount).toMatch(/^\d+00\.00$/);
        expect(Number(amount)).toBeGreaterThanOrEqual(80_000);
        expect(g).toBe(true);
      }
    }
  });

  it('names only villages of the division tree, with unique ids and no duplicate membership or platform name', () => {
    const villages = new Set(zigongDivisions().villages.map((v) => v.code));
    for (const [, village] of data.members) expect(villages.has(String(village))).toBe(true);
    const unique = (rows: unknown[][], key: (row: unknown[]) => string) => new Set(rows.map(key)).size === rows.length;
    expect(unique(data.alliances, ([id]) => String(id))).toBe(true);
    expect(unique(data.members, ([a, v]) => `${a}/${v}`)).toBe(true);
    expect(unique(data.platforms, ([id]) => String(id))).toBe(true);
    expect(unique(data.platforms, ([, a, name]) => `${a}/${name}`)).toBe(true);
    expect(unique(data.contributions, ([a, year]) => `${a}/${year}`)).toBe(true);
  });

  it('grows with scale and keeps the article’s alliance as it is', () => {
    const doubled = tourismReferenceData({ scale: 2 });
    const generatedCount = (d: typeof data) => d.alliances.filter(([, , , , g]) => g).length;
    expect(generatedCount(doubled)).toBe(2 * generatedCount(data));
    expect(new Set(doubled.alliances.map(([id]) => id)).size).toBe(doubled.alliances.length);
    expect(doubled.alliances.filter(([, , , , g]) => !g)).toEqual(data.alliances.filter(([, , , , g]) => !g));
    const villages = new Set(zigongDivisions({ scale: 2 }).villages.map((v) => v.code));
    for (const [, village] of doubled.members) expect(villages.has(String(village))).toBe(true);
  });
});
