import { DASHBOARD_HTML_PATH } from '@zigong/explorer';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeWatched, launchChromium, watchedPage, type WatchedPage } from '../support/browser';
import { startPlatform, type TestPlatform } from '../support/platform';

/**
 * The analysts' pages in a real browser: headless Chromium (Debian's `chromium` package) driven by
 * playwright-core against the platform started in this process. Every request the pages make must
 * stay on this machine; screenshots land in tests/browser/output/ for a person to look at.
 */
const OUTPUT = join(__dirname, 'output');
const ZILIUJING = '510302000000';
const RONG_COUNTY = '510321000000';

let platform: TestPlatform;
let browser: Browser;
let gatewayOrigin: string;
let dashboardOrigin: string;

/** Requests that would have left this machine (blocked), and everything asked, per test. */
let offsite: string[];
let asked: Array<{ url: string; method: string; authorization?: string }>;
let problems: string[];

beforeAll(async () => {
  if (!existsSync(DASHBOARD_HTML_PATH)) throw new Error(`${DASHBOARD_HTML_PATH} is not built; run \`npm run build -w @zigong/explorer\` first.`);
  mkdirSync(OUTPUT, { recursive: true });
  platform = await startPlatform();
  gatewayOrigin = new URL(platform.gatewayUrl).origin;
  dashboardOrigin = gatewayOrigin;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

let context: BrowserContext;
let page: Page;

let watched: WatchedPage | undefined;

beforeEach(async () => {
  watched = await watchedPage(browser, { viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
  ({ context, page, offsite, asked, problems } = watched);
});

afterEach(() => closeWatched(watched));

/** Non-blank pixels of a chart's canvas, and how many of them are in the given series colour. */
async function canvasInk(selector: string, colour: [number, number, number]): Promise<{ width: number; height: number; inked: number; inColour: number }> {
  return page.$eval(
    `${selector} canvas`,
    (canvas, [r, g, b]) => {
      const c = canvas as HTMLCanvasElement;
      const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      let inColour = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const [pr, pg, pb, pa] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
        if (pa > 0 && !(pr > 245 && pg > 245 && pb > 245)) inked++;
        if (pa > 200 && Math.abs(pr - r) < 12 && Math.abs(pg - g) < 12 && Math.abs(pb - b) < 12) inColour++;
      }
      return { width: c.width, height: c.height, inked, inColour };
    },
    colour,
  );
}

const rowsOf = (selector: string) =>
  page.$$eval(`${selector} tbody tr`, (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
const cents = (decimal: string) => BigInt(decimal.replace('.', ''));

describe('the explorer at /', () => {
  it('opens the saved city income summary, runs it and shows F5–F7', async () => {
    await page.goto(`${gatewayOrigin}/`);
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
    await page.locator('button[data-operation="CityIncomeSummary"]').click();
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    await expectText(result, '153962418.36');
    const text = await result.innerText();
    expect(text).toContain('"total": "153962418.36"');
    expect(text).toContain('"averagePerVillage": "219007.71"');
    expect(text).toMatch(/"growthRate": 0\.1296/);
    expect(text).toContain('自贡市');
    await page.screenshot({ path: join(OUTPUT, 'explorer.png') });
    expect(asked.some((request) => request.method === 'POST' && request.url === platform.gatewayUrl)).toBe(true);
    expect(problems).toEqual([]);
  }, 90_000);
});

async function expectText(locator: ReturnType<Page['locator']>, text: string, timeout = 30_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

describe('the dashboard at /dashboard', () => {
  it('draws the districts’ income, a district’s trend and its top villages from the graph, figures exact', async () => {
    const response = await page.goto(`${dashboardOrigin}/dashboard`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toMatch(/script-src 'self' 'sha256-[^']+'; style-src 'self' 'sha256-[^']+';/);
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 30_000 });
    expect(await page.title()).toBe('自贡市村级集体经济收入看板');

    // The city's figures, as the article gives them (F5–F7).
    const kpi = (name: string) => page.locator(`[data-kpi="${name}"] .dash-kpi-value`).innerText();
    expect([await kpi('total'), await kpi('average'), await kpi('growth'), await kpi('villages')]).toEqual(['153962418.36', '219007.71', '12.96%', '703']);

    // The bar chart: six districts and counties, exact totals that add up to the city's.
    const districts = await rowsOf('#districts');
    expect(districts.map((row) => row[0])).toEqual(['自流井区', '贡井区', '大安区', '沿滩区', '荣县', '富顺县']);
    expect(districts.reduce((sum, row) => sum + cents(row[2]), 0n)).toBe(cents('153962418.36'));
    const ranking = await platform.query<{ districts: Array<{ name: string; collectiveIncomeSummary: { total: string; averagePerVillage: string } }> }>(
      '{ districts: regions(level: DISTRICT) { name collectiveIncomeSummary(year: 2024) { total averagePerVillage } } }',
    );
    for (const region of ranking.data!.districts) {
      expect(districts.find((row) => row[0] === region.name)?.slice(2, 4)).toEqual([region.collectiveIncomeSummary.total, region.collectiveIncomeSummary.averagePerVillage]);
    }

    // Each chart is drawn: a canvas of the container's size with ink in its first series' colour.
    for (const chart of ['#districts-chart', '#trend-chart', '#ranking-chart']) {
      await page.locator(`${chart}[data-state="drawn"]`).waitFor();
      const ink = await canvasInk(chart, [0xb7, 0x31, 0x2c]);
      expect({ chart, wide: ink.width > 400, tall: ink.height > 300 }).toEqual({ chart, wide: true, tall: true });
      expect(ink.inked).toBeGreaterThan(2_000);
      expect(ink.inColour).toBeGreaterThan(chart === '#trend-chart' ? 50 : 1_000);
    }

    // A tooltip shows the exact Decimal string of the bar under the pointer.
    const box = (await page.locator('#districts-chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6);
    const tooltip = page.locator('#districts-chart .dash-tooltip');
    await tooltip.waitFor({ state: 'visible' });
    const tip = await tooltip.innerText();
    const hovered = districts.find((row) => tip.includes(row[0]));
    expect(hovered).toBeDefined();
    expect(tip).toContain(`${hovered![2]} 元`);
    expect(tip).toContain(`${hovered![3]} 元`);

    // The first district's trend (2023, 2024) and its 20 best villages, as the graph ranks them.
    expect(await page.locator('#dash-district').inputValue()).toBe(ZILIUJING);
    expect(await page.locator('#trend-title').innerText()).toBe('自流井区集体经济收入变化（2023—2024年）');
    expect((await rowsOf('#trend')).map((row) => row[0])).toEqual(['2023', '2024']);
    expect(await topTwentyShown()).toEqual(await topTwentyFromGraph(ZILIUJING));
    expect((await rowsOf('#ranking'))[0].slice(1, 5)).toEqual(['干塘村', '荣边镇', '510302101201', '5160000.00']);
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });

    // Another county: more villages than one page holds, so the ranking pages through them all.
    await page.locator('#dash-district').selectOption(RONG_COUNTY);
    await expectText(page.locator('#ranking-title'), '荣县');
    await page.locator('body[data-state="ready"]').waitFor();
    expect(await page.locator('#ranking-note').innerText()).toContain('共 194 个村');
    expect(await topTwentyShown()).toEqual(await topTwentyFromGraph(RONG_COUNTY));
    await page.screenshot({ path: join(OUTPUT, 'dashboard-rong-county.png'), fullPage: true });

    const graphql = asked.filter((request) => new URL(request.url).pathname === '/graphql');
    expect(graphql.length).toBeGreaterThanOrEqual(6);
    expect(graphql.every((request) => request.method === 'POST' && request.url.startsWith(`${dashboardOrigin}/`))).toBe(true);
    expect(problems).toEqual([]);
  }, 120_000);

  it('sends the token field as a bearer token and says so when the gateway refuses it', async () => {
    await page.goto(`${dashboardOrigin}/dashboard`);
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 30_000 });
    expect(asked.filter((request) => request.url.endsWith('/graphql')).every((request) => request.authorization === undefined)).toBe(true);

    await page.locator('#dash-token').fill('not-a-valid-token');
    await page.locator('#dash-refresh').click();
    await page.locator('body[data-state="error"]').waitFor();
    expect(await page.locator('#dash-status').innerText()).toMatch(/^需要有效的访问令牌/);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-refused.png') });

    const token = await platform.token('organization:read');
    asked.length = 0;
    await page.locator('#dash-token').fill(token);
    await page.locator('#dash-refresh').click();
    await page.locator('body[data-state="ready"]').waitFor();
    const sent = asked.filter((request) => request.url.endsWith('/graphql'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
    // The browser logs the refused (401) request itself; nothing else may go wrong.
    expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([]);
  }, 90_000);
});

/** The ranking table: village id and exact amount, in the order shown. */
async function topTwentyShown(): Promise<string[][]> {
  return (await rowsOf('#ranking')).map((row) => [row[3], row[4]]);
}

/** The same ranking computed here from the graph, independently of the page's code. */
async function topTwentyFromGraph(regionId: string): Promise<string[][]> {
  const villages: Array<[string, string]> = [];
  let after: string | null = null;
  for (;;) {
    const page: { data?: any; errors?: unknown } = await platform.query(
      `query($id: ID!, $after: String) { region(id: $id) { villages(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { id collectiveIncome(year: 2024) { amount } } } } } }`,
      { id: regionId, after },
    );
    expect(page.errors).toBeUndefined();
    const connection = page.data.region.villages;
    for (const { node } of connection.edges) if (node.collectiveIncome) villages.push([node.id, node.collectiveIncome.amount]);
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return villages
    .sort(([idA, a], [idB, b]) => (cents(b) > cents(a) ? 1 : cents(b) < cents(a) ? -1 : idA.localeCompare(idB)))
    .slice(0, 20)
    .map(([id, amount]) => [id, amount]);
}
