import { REGISTRY_HTML_PATH } from '@zigong/explorer';
import { type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { closeWatched, launchChromium, watchedPage, type WatchedPage } from '../support/browser';
import { startProcess } from '../support/process';
import { DEPARTMENTS, departmentSdl, registryToken, routingUrl } from '../support/registry';

/**
 * The registry pages' usage views in a real browser (headless Chromium, tests/support/browser.ts):
 * a registry process (local mode) on a database of its own, the four departments published
 * (organization's with two deprecations), usage reports POSTed to its /usage as gateways send
 * them, with known counts, and a publish refused because clients use what it removes. The usage
 * and deprecations views must show the exact counts; the refused publish must name its clients in
 * the changelog and on its composition's page; an accepted breaking change links to its usage.
 * An app manifest published and activated must be listed ACTIVE in the apps view, its operation's
 * body shown when opened. Screenshots land in tests/browser/output/registry-usage-*.png and
 * registry-apps*.png.
 */
const OUTPUT = join(__dirname, 'output');

const ORGANIZATION = departmentSdl('organization')
  .replace(/(type Region @key[^]*?\n  generated: Boolean!)/, '$1 @deprecated(reason: "Ask the reference data set.")')
  .replace(/\n    nameContains: String\n/, '\n    nameContains: String @deprecated(reason: "Use search.")\n');
const WITHOUT_VILLAGE_GENERATED = ORGANIZATION.replace(/(type Village @key[^]*?)\n  """True where the reference data set made this record up\."""\n  generated: Boolean!/, '$1');

let database: TestDatabase;
let registry: Service;
let origin: string;
let browser: Browser;

async function graphql(query: string, variables: Record<string, unknown>, scope: string): Promise<{ data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await registryToken(scope, `ci-${scope.split(':')[0]}@zigong.test`)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

const publish = (subgraph: string, sdl: string) =>
  graphql('mutation($input: PublishInput!) { publish(input: $input) { outcome composition { id status } } }', { input: { variant: 'production', subgraph, sdl, routingUrl: routingUrl(subgraph) } }, `${subgraph}:publish`);

const operation = (name: string | null, signature: string, coordinates: string[]) => ({ hash: createHash('sha256').update(signature).digest('hex'), name, signature, coordinates });
const VILLAGE_REPORT = operation('VillageReport', 'query VillageReport($id:ID!){village(id:$id){generated name}}', ['Query.village', 'Query.village.id', 'Village', 'Village.generated', 'Village.name']);
const REGION_FLAGS = operation('RegionFlags', 'query RegionFlags{regions{generated id}}', ['Query.regions', 'Region', 'Region.generated', 'Region.id']);

const MINUTE = 60_000;
const M0 = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE);
const OLD = new Date(M0.getTime() - 100 * 86_400_000);

/** What the gateways reported: [minute, client, version, operation, count, errors]. */
const LOAD: Array<[Date, string, string, typeof VILLAGE_REPORT, number, number]> = [
  [M0, 'annual-report', '2026.1', VILLAGE_REPORT, 12, 1],
  [M0, 'dashboard', '3.2.0', VILLAGE_REPORT, 5, 0],
  [M0, 'dashboard', '3.2.0', REGION_FLAGS, 7, 2],
  [new Date(M0.getTime() - MINUTE), 'dashboard', '3.1.0', REGION_FLAGS, 3, 0],
  [OLD, 'annual-report', '2025.1', VILLAGE_REPORT, 6, 0],
];

let refusedComposition: string;

beforeAll(async () => {
  if (!existsSync(REGISTRY_HTML_PATH)) throw new Error(`${REGISTRY_HTML_PATH} is not built; run \`npm run build -w @zigong/explorer\` first.`);
  mkdirSync(OUTPUT, { recursive: true });
  database = await createTestDatabase();
  registry = await startProcess('registry', 'registry/dist/main.js', { REGISTRY_MODE: 'local', DATABASE_URL: database.url });
  origin = new URL(registry.url).origin;
  for (const department of DEPARTMENTS) {
    const answer = await publish(department, department === 'organization' ? ORGANIZATION : departmentSdl(department));
    expect({ department, errors: answer.errors }).toEqual({ department, errors: undefined });
  }
  const response = await fetch(`${origin}/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: new Uint8Array(gzipSync(
      JSON.stringify({
        variant: 'production',
        operations: [VILLAGE_REPORT, REGION_FLAGS],
        counts: LOAD.map(([minute, client, clientVersion, op, count, errors]) => ({ minute: minute.toISOString(), client, clientVersion, hash: op.hash, count, errors, durationMsSum: count * 10 })),
      }),
    )),
  });
  expect([response.status, await response.json()]).toEqual([202, { accepted: LOAD.length }]);

  const refused = await publish('organization', WITHOUT_VILLAGE_GENERATED);
  expect(refused.errors?.[0]?.extensions?.code).toBe('USAGE_BROKEN');
  const history = await graphql('{ history(variant: "production", first: 1) { id status } }', {}, 'registry:read');
  expect(history.data.history[0].status).toBe('REFUSED');
  refusedComposition = history.data.history[0].id;

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (registry) await stopServices([registry]);
  await database?.drop();
});

let watched: WatchedPage | undefined;
let page: Page;

beforeEach(async () => {
  watched = await watchedPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  page = watched.page;
});

afterEach(() => closeWatched(watched));

async function ready(): Promise<void> {
  // The state of the address now shown, not of the one before a navigation that has not drawn yet.
  await page.waitForFunction(() => document.body.dataset.shown === location.hash && ['ready', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 30_000 });
  if ((await page.locator('body').getAttribute('data-state')) === 'error') {
    throw new Error(`the page shows an error: ${await page.locator('#reg-status').innerText()} ${watched!.problems.join('; ')}`);
  }
}

/** A table's body as text cells, row by row. */
const cells = (selector: string) => page.locator(`${selector} tbody tr`).evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));

describe('the usage view', () => {
  it('is linked from each variant; asks a coordinate and a window, and shows client versions and operations with exact counts', async () => {
    await page.goto(`${origin}/`);
    await ready();
    await page.locator('section.reg-variant[data-variant="production"] a.reg-usage-page-link').click();
    await page.waitForURL(/#\/variants\/production\/usage\?since=30d$/);
    await ready();
    expect(await page.title()).toBe('Schema registry: production usage');

    await page.locator('#reg-usage-coordinate').fill('Village.generated');
    await page.locator('#reg-usage-show').click();
    await page.waitForURL(/#\/variants\/production\/usage\?coordinate=Village\.generated&since=30d$/);
    await ready();
    expect(await page.locator('.reg-usage-summary').getAttribute('data-total')).toBe('17');
    expect(await page.locator('.reg-usage-summary').innerText()).toMatch(/^Village\.generated: 17 requests in production since \d{4}-.* UTC \(30d\), last seen \d{4}-.* UTC\.$/);
    expect((await cells('table.reg-usage-clients')).map((row) => row.slice(0, 3)).sort()).toEqual([
      ['annual-report', '2026.1', '12'],
      ['dashboard', '3.2.0', '5'],
    ]);
    expect((await cells('table.reg-usage-operations')).map((row) => [row[0], row[1], row[2], row[3], row[4], row[5]]).sort()).toEqual([
      ['VillageReport', VILLAGE_REPORT.hash.slice(0, 12), 'annual-report', '2026.1', '12', '1'],
      ['VillageReport', VILLAGE_REPORT.hash.slice(0, 12), 'dashboard', '3.2.0', '5', '0'],
    ]);
    // The operation's signature on hover, its full hash too.
    expect(await page.locator('table.reg-usage-operations .reg-operation').first().getAttribute('title')).toBe(VILLAGE_REPORT.signature);
    await page.screenshot({ path: join(OUTPUT, 'registry-usage-field.png'), fullPage: true });

    // A longer window adds the 100-day-old use of an older annual-report.
    await page.locator('#reg-usage-since').selectOption('400d');
    await page.locator('#reg-usage-show').click();
    await page.waitForURL(/since=400d$/);
    await ready();
    expect(await page.locator('.reg-usage-summary').getAttribute('data-total')).toBe('23');
    expect(await cells('table.reg-usage-clients')).toContainEqual(['annual-report', '2025.1', '6', expect.stringMatching(/UTC$/)]);

    // Nobody touched it: said so, no tables.
    await page.goto(`${origin}/#/variants/production/usage?coordinate=Village.town&since=30d`);
    await ready();
    expect(await page.locator('.reg-usage-summary').innerText()).toMatch(/^Village\.town is unused in production since .* \(30d\): no client request touched it\.$/);
    expect(await page.locator('table.reg-usage-clients').count()).toBe(0);
    expect(watched!.problems).toEqual([]);
  }, 90_000);
});

describe('the deprecations view', () => {
  it('lists each deprecated coordinate with its reason, and who still uses it with exact counts, or "unused"', async () => {
    await page.goto(`${origin}/`);
    await ready();
    await page.locator('section.reg-variant[data-variant="production"] a.reg-deprecations-link').click();
    await page.waitForURL(/#\/variants\/production\/deprecations$/);
    await ready();
    const used = page.locator('li.reg-deprecation[data-coordinate="Region.generated"]');
    expect(await used.getAttribute('data-total')).toBe('10');
    expect(await used.locator('.reg-badge').innerText()).toBe('10 requests');
    expect(await used.locator('.reg-deprecation-reason').innerText()).toBe('Reason: Ask the reference data set.');
    expect((await cells('li.reg-deprecation[data-coordinate="Region.generated"] table.reg-usage-clients')).map((row) => row.slice(0, 3)).sort()).toEqual([
      ['dashboard', '3.1.0', '3'],
      ['dashboard', '3.2.0', '7'],
    ]);
    const unused = page.locator('li.reg-deprecation[data-coordinate="Query.villages.nameContains"]');
    expect(await unused.locator('.reg-badge').innerText()).toBe('unused');
    expect(await unused.locator('table').count()).toBe(0);
    await page.screenshot({ path: join(OUTPUT, 'registry-usage-deprecations.png'), fullPage: true });

    // Each coordinate opens its usage over the same window.
    await used.locator('a.reg-usage-link').click();
    await page.waitForURL(/#\/variants\/production\/usage\?coordinate=Region\.generated&since=400d$/);
    await ready();
    expect(await page.locator('.reg-usage-summary').getAttribute('data-total')).toBe('10');
    expect(watched!.problems).toEqual([]);
  }, 90_000);
});

describe('a publish refused for its usage', () => {
  const expectBreak = async () => {
    const box = page.locator('.reg-usage-breaks .reg-usage-break[data-coordinate="Village.generated"]');
    expect(await box.locator('.reg-usage-clients-named').innerText()).toBe('used 17 times by annual-report, dashboard');
    expect((await box.locator('table.reg-usage-operations tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, 6).map((td) => (td.textContent ?? '').trim()))))).toEqual([
      ['VillageReport', VILLAGE_REPORT.hash.slice(0, 12), 'annual-report', '2026.1', '12', '1'],
      ['VillageReport', VILLAGE_REPORT.hash.slice(0, 12), 'dashboard', '3.2.0', '5', '0'],
    ]);
  };

  it('names its clients and operations in the changelog and on its composition’s page', async () => {
    await page.goto(`${origin}/#/variants/production/changelog`);
    await ready();
    const refused = page.locator(`li.reg-entry[data-composition="${refusedComposition}"]`);
    expect(await refused.getAttribute('data-status')).toBe('REFUSED');
    await expectBreak();
    await page.screenshot({ path: join(OUTPUT, 'registry-usage-refused-changelog.png'), fullPage: true });

    await refused.locator('a.reg-id').click();
    await page.waitForURL(new RegExp(`#/compositions/${refusedComposition}$`));
    await ready();
    await expectBreak();
    expect(watched!.problems).toEqual([]);
  }, 90_000);

  it('passes once its clients are excluded; the accepted breaking change links to its usage', async () => {
    const rules = await graphql('mutation { setUsageRules(variant: "production", rules: { excludedClients: ["annual-report", "dashboard"] }) { excludedClients } }', {}, 'registry:admin');
    expect(rules.errors).toBeUndefined();
    const accepted = await publish('organization', WITHOUT_VILLAGE_GENERATED);
    expect(accepted.errors).toBeUndefined();
    const id = accepted.data.publish.composition.id;

    await page.goto(`${origin}/#/variants/production/changelog`);
    await ready();
    const link = page.locator(`li.reg-entry[data-composition="${id}"] li.reg-change[data-severity="BREAKING"] a.reg-usage-link`, { hasText: 'Village.generated' });
    expect(await link.getAttribute('href')).toBe('#/variants/production/usage?coordinate=Village.generated&since=30d');
    // Today's rules exclude the earlier refusal's clients; the refusal still names them, as judged then.
    await expectBreak();
    expect(await page.locator(`li.reg-entry[data-composition="${refusedComposition}"] .reg-usage-breaks .reg-note`).innerText()).toMatch(/^As judged when it was refused, .*, under production's usage rules then \(window 30d\)\./);
    await link.click();
    await page.waitForURL(/usage\?coordinate=Village\.generated&since=30d$/);
    await ready();
    expect(await page.locator('.reg-usage-summary').getAttribute('data-total')).toBe('17');
    await page.screenshot({ path: join(OUTPUT, 'registry-usage-link.png'), fullPage: true });
    expect(watched!.asked.filter((request) => new URL(request.url).pathname === '/graphql').every((request) => request.method === 'POST' && request.url === `${origin}/graphql`)).toBe(true);
    expect(watched!.problems).toEqual([]);
  }, 90_000);
});

describe('the apps view', () => {
  const VILLAGE_NAME = 'query VillageName($id: ID!) { village(id: $id) { name } }';
  const VILLAGE_NAME_ID = createHash('sha256').update(VILLAGE_NAME).digest('hex');

  it('is linked from each variant; lists an activated app version as ACTIVE with its operation, whose body opens', async () => {
    const manifest = JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: VILLAGE_NAME_ID, name: 'VillageName', type: 'query', body: VILLAGE_NAME }] });
    const published = await graphql(
      'mutation($input: AppPublishInput!) { publishApp(input: $input) { app version status } }',
      { input: { variant: 'production', app: 'dashboard', version: '3.2.0', manifest } },
      'apps:publish',
    );
    expect(published).toEqual({ data: { publishApp: { app: 'dashboard', version: '3.2.0', status: 'PENDING' } } });
    const activated = await graphql('mutation { activateApp(variant: "production", app: "dashboard", version: "3.2.0") { status } }', {}, 'apps:publish');
    expect(activated).toEqual({ data: { activateApp: { status: 'ACTIVE' } } });

    await page.goto(`${origin}/`);
    await ready();
    await page.locator('section.reg-variant[data-variant="production"] a.reg-apps-link').click();
    await page.waitForURL(/#\/variants\/production\/apps$/);
    await ready();
    expect(await page.title()).toBe('Schema registry: production apps');
    const rows = await cells('table.reg-apps');
    expect(rows).toEqual([['dashboard', '3.2.0', 'active', 'ci-apps@zigong.test', expect.stringMatching(/UTC$/), expect.stringMatching(/UTC$/), '—', '1']]);
    expect(await page.locator('table.reg-apps .reg-app-status').getAttribute('data-status')).toBe('ACTIVE');
    await page.screenshot({ path: join(OUTPUT, 'registry-apps.png'), fullPage: true });

    // Filtered by status through apps(variant, status): nothing is pending.
    await page.locator('#reg-apps-status').selectOption('PENDING');
    await page.waitForURL(/#\/variants\/production\/apps\?status=PENDING$/);
    await ready();
    expect(await page.locator('.reg-no-apps').innerText()).toBe('No app version of production is pending.');
    await page.locator('#reg-apps-status').selectOption('ACTIVE');
    await page.waitForURL(/status=ACTIVE$/);
    await ready();
    expect((await cells('table.reg-apps')).map((row) => row[0])).toEqual(['dashboard']);

    await page.locator('table.reg-apps a.reg-app-version-link', { hasText: '3.2.0' }).click();
    await page.waitForURL(/#\/variants\/production\/apps\/dashboard\/3\.2\.0$/);
    await ready();
    const operation = page.locator(`li.reg-app-operation[data-operation="${VILLAGE_NAME_ID}"]`);
    expect([await operation.locator('h3 .reg-hash').innerText(), await operation.locator('h3 .reg-hash').getAttribute('title'), await operation.locator('h3 .reg-operation').innerText()]).toEqual([
      VILLAGE_NAME_ID.slice(0, 12),
      VILLAGE_NAME_ID,
      'VillageName',
    ]);
    const body = operation.locator('details.reg-app-body');
    expect(await body.locator('pre').isVisible()).toBe(false);
    await body.locator('summary').click();
    expect(await body.locator('pre').innerText()).toBe(VILLAGE_NAME);
    await page.screenshot({ path: join(OUTPUT, 'registry-apps-version.png'), fullPage: true });
    expect(watched!.problems).toEqual([]);
  }, 90_000);
});
