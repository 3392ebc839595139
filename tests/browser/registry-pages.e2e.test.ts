import { REGISTRY_HTML_PATH } from '@zigong/explorer';
import { type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeWatched, launchChromium, watchedPage, type WatchedPage } from '../support/browser';
import { startProcess } from '../support/process';
import { DEPARTMENTS, departmentSdl, registryToken, routingUrl, withField } from '../support/registry';

/**
 * The schema registry's pages in a real browser: a registry process (registry/dist/main.js, local
 * mode) on a database of its own, the four departments published to it through its GraphQL API,
 * then one accepted change and one refused change, read back in headless Chromium (Debian's
 * `chromium`, as tests/browser/browser.e2e.test.ts drives it). Every request the pages make must
 * stay on this machine; screenshots land in tests/browser/output/registry-*.png.
 */
const OUTPUT = join(__dirname, 'output');
/** The field the accepted change adds, and the one the refused change declares against organization's Village.name. */
const ADDED_FIELD = 'certifiedArea: Float';
const CONFLICTING_FIELD = 'name: Int';

/** A commit id as git writes them (40 hex digits), one per publish. */
const commitOf = (what: string) => createHash('sha1').update(what).digest('hex');

const PUBLISH = `mutation Publish($input: PublishInput!) {
  publish(input: $input) { outcome version { id accepted } composition { id status current } }
}`;

interface PublishAnswer {
  data?: { publish: { outcome: string; version: { id: string; accepted: boolean } | null; composition: { id: string; status: string; current: boolean } } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string; errors?: string[] } }>;
}

let database: TestDatabase;
let registry: Service;
let origin: string;
let browser: Browser;

async function graphql<T>(query: string, variables: Record<string, unknown>, bearer?: string): Promise<{ status: number } & T> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as T) };
}

async function publish(subgraph: string, sdl: string, commit: string): Promise<PublishAnswer> {
  const input = { variant: 'production', subgraph, sdl, routingUrl: routingUrl(subgraph), commit, branch: 'main' };
  return graphql<PublishAnswer>(PUBLISH, { input }, await registryToken(`${subgraph}:publish`, `ci-${subgraph}@zigong.test`));
}

/** What the registry said when it refused the conflicting change: its composition errors. */
let refusalErrors: string[];
let acceptedVersion: string;
let previousVersion: string;

beforeAll(async () => {
  if (!existsSync(REGISTRY_HTML_PATH)) throw new Error(`${REGISTRY_HTML_PATH} is not built; run \`npm run build -w @zigong/explorer\` first.`);
  mkdirSync(OUTPUT, { recursive: true });
  database = await createTestDatabase();
  registry = await startProcess('registry', 'registry/dist/main.js', { REGISTRY_MODE: 'local', DATABASE_URL: database.url });
  origin = new URL(registry.url).origin;

  for (const department of DEPARTMENTS) {
    const answer = await publish(department, departmentSdl(department), commitOf(department));
    expect({ department, errors: answer.errors, outcome: answer.data?.publish.outcome }).toEqual({ department, errors: undefined, outcome: 'PUBLISHED' });
    if (department === 'agriculture') previousVersion = answer.data!.publish.version!.id;
  }
  const accepted = await publish('agriculture', withField(departmentSdl('agriculture'), 'IndustrialPark', ADDED_FIELD), commitOf('agriculture, certified area'));
  expect(accepted.errors).toBeUndefined();
  acceptedVersion = accepted.data!.publish.version!.id;

  const refused = await publish('tourism', withField(departmentSdl('tourism'), 'Village', CONFLICTING_FIELD), commitOf('tourism, conflicting name'));
  expect(refused.errors?.[0]?.extensions?.code).toBe('COMPOSITION_FAILED');
  refusalErrors = refused.errors![0].extensions!.errors!;
  expect(refusalErrors.length).toBeGreaterThan(0);

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (registry) await stopServices([registry]);
  await database?.drop();
});

/** Requests that would have left this machine (blocked), and everything asked, per test. */
let offsite: string[];
let asked: Array<{ url: string; method: string; authorization?: string }>;
let problems: string[];
let context: BrowserContext;
let page: Page;


let watched: WatchedPage | undefined;

beforeEach(async () => {
  watched = await watchedPage(browser, { viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  ({ context, page, offsite, asked, problems } = watched);
});

afterEach(() => closeWatched(watched));

/** Waits until the view has loaded; a view that failed fails the test with what the page said. */
async function ready(): Promise<void> {
  // The state of the address now shown, not of the one before a navigation that has not drawn yet.
  await page.waitForFunction(() => document.body.dataset.shown === location.hash && ['ready', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 30_000 });
  if ((await page.locator('body').getAttribute('data-state')) === 'error') {
    throw new Error(`the page shows an error: ${await page.locator('#reg-status').innerText()} ${problems.join('; ')}`);
  }
}
const graphqlRequests = () => asked.filter((request) => new URL(request.url).pathname === '/graphql');

describe('the registry pages at the registry’s /', () => {
  it('list each variant’s current composition and the subgraphs it is built from, and the last refused attempt', async () => {
    const response = await page.goto(`${origin}/`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toMatch(/script-src 'self' 'sha256-[^']+'; style-src 'self' 'sha256-[^']+';/);
    await ready();
    expect(await page.title()).toBe('Schema registry: variants');
    // The page is for browsers: an API client asking / is sent to /graphql.
    const api = await fetch(`${origin}/`, { headers: { accept: 'application/json' } });
    expect([api.status, await api.json()]).toEqual([404, { errors: [{ message: 'GraphQL is at /graphql.', extensions: { code: 'NOT_FOUND' } }] }]);

    const production = page.locator('section.reg-variant[data-variant="production"]');
    const rows = await production.locator('table.reg-subgraphs tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.map((row) => row[0]).sort()).toEqual([...DEPARTMENTS].sort());
    const agriculture = rows.find((row) => row[0] === 'agriculture')!;
    expect(agriculture[2]).toBe(routingUrl('agriculture'));
    expect(agriculture[3]).toBe('ci-agriculture@zigong.test');
    expect(agriculture[4]).toBe(`commit ${commitOf('agriculture, certified area').slice(0, 12)} on main`);
    expect(await production.locator('.reg-current').innerText()).toMatch(/publish of agriculture/);

    // The tourism change was refused after the last accepted one: gateways still get the agriculture composition.
    const refusal = production.locator('.reg-refusal');
    expect(await refusal.getAttribute('class')).toBe('reg-refusal');
    const refusalText = await refusal.innerText();
    expect(refusalText).toContain('publish of tourism by ci-tourism@zigong.test');
    expect(refusalText).toContain(refusalErrors[0]);

    // Staging composes on its own: nothing was published to it.
    expect(await page.locator('section.reg-variant[data-variant="staging"]').innerText()).toContain('Nothing composed yet');
    await page.screenshot({ path: join(OUTPUT, 'registry-variants.png'), fullPage: true });

    expect(graphqlRequests().every((request) => request.method === 'POST' && request.url === `${origin}/graphql` && request.authorization === undefined)).toBe(true);
    expect(problems).toEqual([]);
  }, 90_000);

  it('show a subgraph’s versions, each with its schema diff: the accepted change’s added field, marked safe', async () => {
    await page.goto(`${origin}/`);
    await ready();
    await page.locator('section.reg-variant[data-variant="production"] a.reg-subgraph-link', { hasText: 'agriculture' }).click();
    await page.waitForURL(/#\/variants\/production\/subgraphs\/agriculture$/);
    await ready();

    const versions = await page.locator('li.reg-version').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.version));
    expect(versions).toEqual([acceptedVersion, previousVersion]);
    const newest = page.locator(`li.reg-version[data-version="${acceptedVersion}"]`);
    expect(await newest.locator('.reg-badge').innerText()).toBe('served now');
    expect(await newest.locator('.reg-diff').getAttribute('data-diff-base')).toBe(previousVersion);
    const diff = await newest.locator('.reg-diff li.reg-change').evaluateAll((items) =>
      items.map((item) => [(item as HTMLElement).dataset.severity, item.querySelector('.reg-coordinate')?.textContent ?? '']),
    );
    expect(diff).toContainEqual(['SAFE', 'IndustrialPark.certifiedArea']);
    expect(diff.filter(([severity]) => severity !== 'SAFE')).toEqual([]);
    // The publish's effect on the API schema, as the registry's composition records it.
    expect(await newest.locator('.reg-api-changes').innerText()).toContain('IndustrialPark.certifiedArea');
    expect(await page.locator(`li.reg-version[data-version="${previousVersion}"] .reg-diff`).innerText()).toContain('First version');

    // The SDL, asked for only when opened.
    await newest.locator('.reg-sdl summary').click();
    await newest.locator('.reg-sdl pre').waitFor();
    expect(await newest.locator('.reg-sdl pre').innerText()).toContain(ADDED_FIELD);
    await page.screenshot({ path: join(OUTPUT, 'registry-subgraph.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 90_000);

  it('show the changelog, newest first, with the refused attempt and the registry’s error text', async () => {
    await page.goto(`${origin}/#/variants/production/changelog`);
    await ready();
    const entries = await page.locator('li.reg-entry').evaluateAll((items) => items.map((item) => [(item as HTMLElement).dataset.status, item.querySelector('.reg-entry-what')?.textContent]));
    expect(entries).toEqual([
      ['REFUSED', 'publish of tourism'],
      ['ACCEPTED', 'publish of agriculture'],
      ...[...DEPARTMENTS].reverse().map((department) => ['ACCEPTED', `publish of ${department}`]),
    ]);
    const refused = page.locator('li.reg-entry[data-status="REFUSED"]');
    const shown = await refused.locator('.reg-errors li').allInnerTexts();
    expect(shown.map((text) => text.trim())).toEqual(refusalErrors.map((text) => text.trim()));
    expect(await refused.locator('.reg-badge').innerText()).toBe('refused');
    expect(await page.locator('li.reg-entry[data-status="ACCEPTED"]').first().locator('.reg-badge').innerText()).toBe('served now');
    // Landed here directly, the page still links every variant's changelog.
    await page.locator('nav.reg-nav a', { hasText: 'staging changelog' }).waitFor();
    await page.screenshot({ path: join(OUTPUT, 'registry-changelog.png'), fullPage: true });

    // The refused composition's own page: its errors and the versions it proposed, none served.
    await refused.locator('a.reg-id').click();
    await page.waitForURL(/#\/compositions\/[^/]+$/);
    await ready();
    expect(await page.locator('h2.reg-title .reg-badge').innerText()).toBe('refused');
    expect((await page.locator('.reg-errors li').allInnerTexts()).map((text) => text.trim())).toEqual(refusalErrors.map((text) => text.trim()));
    const proposed = await page.locator('table.reg-subgraphs tbody tr td:first-child').allInnerTexts();
    expect(proposed.sort()).toEqual([...DEPARTMENTS].sort());
    await page.screenshot({ path: join(OUTPUT, 'registry-refused-composition.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 90_000);

  it('send the token field as a bearer token, keep it for the tab, and say what a refusal means', async () => {
    await page.goto(`${origin}/`);
    await ready();

    await page.locator('#reg-token').fill('not-a-valid-token');
    await page.locator('#reg-apply').click();
    await page.locator('body[data-state="error"]').waitFor();
    expect(await page.locator('#reg-status').innerText()).toMatch(/^The registry needs a token with a registry scope/);
    await page.screenshot({ path: join(OUTPUT, 'registry-refused-token.png') });

    const noRegistryScope = await registryToken('organization:read');
    await page.locator('#reg-token').fill(noRegistryScope);
    await page.locator('#reg-apply').click();
    await page.locator('body[data-state="error"]').waitFor();
    expect(await page.locator('#reg-status').innerText()).toMatch(/^This token may not read the registry\./);

    const reader = await registryToken('registry:read');
    asked.length = 0;
    await page.locator('#reg-token').fill(reader);
    await page.locator('#reg-apply').click();
    await ready();
    expect(graphqlRequests().length).toBeGreaterThan(0);
    expect(graphqlRequests().every((request) => request.authorization === `Bearer ${reader}`)).toBe(true);

    // Kept in sessionStorage: a reload in the same tab sends it again.
    asked.length = 0;
    await page.reload();
    await ready();
    expect(await page.locator('#reg-token').inputValue()).toBe(reader);
    expect(graphqlRequests().every((request) => request.authorization === `Bearer ${reader}`)).toBe(true);
    // The browser logs the refused (401, 403) requests itself; nothing else may go wrong.
    expect(problems.filter((problem) => !/status of 40[13]/.test(problem))).toEqual([]);
  }, 90_000);

  // Last: it stops the registry.
  it('say so when the registry cannot be reached, and keep the last view on screen', async () => {
    await page.goto(`${origin}/#/variants/production/changelog`);
    await ready();
    await stopServices([registry]);
    await page.locator('#reg-apply').click();
    await page.locator('body[data-state="error"]').waitFor();
    expect(await page.locator('#reg-status').innerText()).toMatch(/^The registry cannot be reached \(.+\)\. Is the registry running\?/);
    expect(await page.locator('li.reg-entry').count()).toBe(DEPARTMENTS.length + 2);
    await page.screenshot({ path: join(OUTPUT, 'registry-unreachable.png') });
    expect(problems.filter((problem) => !/ERR_CONNECTION_REFUSED|Failed to fetch/.test(problem))).toEqual([]);
  }, 90_000);
});
