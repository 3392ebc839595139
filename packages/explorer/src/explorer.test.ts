import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import { bundleDashboard, bundleExplorer, bundleRegistry } from './bundle';
import { dashboardShell, pageShell, registryShell } from './page';
import { acceptsHtml, dashboardRoute, ExplorerError, explorerPage, explorerRoute, loadSavedOperations, parseSavedOperation, registryPages, registryRoute, type SavedOperation } from './index';

const REPO = join(__dirname, '../../..');
const OPERATIONS_DIR = join(REPO, 'schema/operations');

let work: string;
let htmlPath: string;
let built: string;
let dashboardPath: string;
let dashboard: string;
let registryPath: string;
let registry: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'explorer-test-'));
  htmlPath = join(work, 'dist/explorer.html');
  dashboardPath = join(work, 'dist/dashboard.html');
  registryPath = join(work, 'dist/registry.html');
  await Promise.all([bundleExplorer(htmlPath), bundleDashboard(dashboardPath), bundleRegistry(registryPath)]);
  built = readFileSync(htmlPath, 'utf8');
  dashboard = readFileSync(dashboardPath, 'utf8');
  registry = readFileSync(registryPath, 'utf8');
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the browser would find between the inline tags the page is made of. */
const inline = (html: string, open: string, close: string) => html.slice(html.indexOf(open) + open.length, html.indexOf(close, html.indexOf(open) + open.length));
const bundleOf = (html: string) => inline(html, '<script id="explorer-bundle">', '</script>');
const styleOf = (html: string) => inline(html, '<style id="explorer-style">', '</style>');
const dataOf = (html: string) => JSON.parse(inline(html, '<script type="application/json" id="saved-operations">', '</script>'));
const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function operationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, 'operations-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function serve(listener: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('loadSavedOperations', () => {
  it('reads every .graphql file: name, leading comment as description, text, default variables', () => {
    const dir = operationsDir({
      'VillagePage.graphql': '# A village and its town,\n# for a front-end page.\nquery VillagePage($id: ID! = "510302101201", $first: Int = 5, $after: String) {\n  village(id: $id) { name }\n}\n',
      'AllRegions.graphql': '{ regions { id } }\n'.replace('{', 'query AllRegions {'),
      'notes.txt': 'not a question',
    });
    expect(loadSavedOperations(dir)).toEqual([
      { name: 'AllRegions', description: '', text: 'query AllRegions { regions { id } }\n', variables: {} },
      {
        name: 'VillagePage',
        description: 'A village and its town, for a front-end page.',
        text: expect.stringContaining('query VillagePage('),
        variables: { id: '510302101201', first: 5, after: null },
      },
    ]);
  });

  it.each([
    ['a syntax error', 'Broken.graphql', 'query Broken { village(id: "1") { name }', /Broken\.graphql: Syntax Error/],
    ['an anonymous operation', 'Nameless.graphql', '{ regions { id } }', /has no name; name it Nameless/],
    ['two operations', 'Two.graphql', 'query Two { regions { id } }\nquery Three { funds { id } }', /holds 2 operations/],
    ['a name that differs from the file', 'Cities.graphql', 'query Towns { regions { id } }', /named Towns but the file says Cities/],
  ])('refuses %s with SAVED_OPERATION_INVALID', (_, file, text, message) => {
    const dir = operationsDir({ [file]: text });
    expect(() => loadSavedOperations(dir)).toThrow(expect.objectContaining({ code: 'SAVED_OPERATION_INVALID', message: expect.stringMatching(message) }));
  });

  it('fails with SAVED_OPERATIONS_MISSING for a folder that is not there', () => {
    expect(() => loadSavedOperations(join(work, 'nowhere'))).toThrow(expect.objectContaining({ code: 'SAVED_OPERATIONS_MISSING' }));
  });

  it('loads the committed saved questions of schema/operations', () => {
    const names = loadSavedOperations(OPERATIONS_DIR).map((operation) => operation.name);
    expect(names).toEqual(expect.arrayContaining(['CityIncomeSummary', 'GantangAcrossDepartments', 'FeilongxiaAlliance']));
  });
});

describe('pageShell', () => {
  it.each([
    ['a "</script" in the script', '', 'const end = "</script>";'],
    ['a "<script" inside an open HTML comment', '', 'const a = "<!--", b = "<script>";'],
    ['a "</style" in the stylesheet', 'a::after { content: "</style>" }', ''],
  ])('refuses a bundle with %s', (_, css, js) => {
    expect(() => pageShell(css, js)).toThrow(expect.objectContaining({ code: 'EXPLORER_BUILD_INVALID' }));
  });

  it('accepts comment markers the parser reads harmlessly', () => {
    expect(pageShell('', 'const a = "<!-- -->", b = "<script>";')).toContain('<script id="explorer-bundle">');
  });
});

describe('the built page', () => {
  it('is one self-contained HTML file: no script, stylesheet, import or font from anywhere else', () => {
    expect(built.startsWith('<!doctype html>')).toBe(true);
    expect(built).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(built.match(/<link[^>]*>/gi)).toEqual(['<link rel="icon" href="data:,">']);
    expect(built).not.toMatch(/@import/i);
    const urls = styleOf(built).match(/url\(\s*["']?[^"')\s]{0,12}/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => !/url\(\s*["']?data:/.test(url))).toEqual([]);
  });

  it('bundles GraphiQL, its CodeMirror editors and stylesheet, and needs no worker, eval or lazy chunk', () => {
    const script = bundleOf(built);
    expect(script.length).toBeGreaterThan(500_000);
    expect(script).toContain('graphiql-container');
    expect(script).toContain('CodeMirror');
    expect(script).toContain('Saved questions');
    expect(styleOf(built)).toContain('.graphiql-container');
    expect(styleOf(built)).toContain('.CodeMirror');
    expect(script).not.toMatch(/new Worker\(|importScripts\(|\beval\(|new Function\(|\bimport\(/);
  });

  it('asks nothing of any origin but its own: no http(s) URL in the code except XML namespaces and documentation links', () => {
    const script = bundleOf(built);
    const allowed = /^https?:\/\/(www\.w3\.org\/|react\.dev\/errors|github\.com\/|yarnpkg\.com\/|codemirror\.net\/|commonmark\.org\/|en\.wikipedia\.org\/)/;
    const urls = [...script.matchAll(/https?:\/\/[^\s"'`)<>]*/g)].map((match) => match[0]);
    // markdown-it's linkify completes a bare "example.com" with `http://${url}`; no request is made.
    expect(urls.filter((url) => !allowed.test(url) && !/^https?:\/\/(\$\{|$)/.test(url))).toEqual([]);
  });

  it('embeds the saved questions as JSON that reads back unchanged', () => {
    const operations = loadSavedOperations(OPERATIONS_DIR);
    expect(dataOf(explorerPage(operations, htmlPath))).toEqual(operations);
    expect(dataOf(built)).toEqual([]);
  });

  it('escapes a </script> inside a saved question, so it cannot end the data block or inject markup', () => {
    const hostile: SavedOperation = {
      name: 'Hostile',
      description: '</script><script>alert(1)</script> <!-- & \u2028',
      text: '# </SCRIPT >\nquery Hostile { regions { id } }\n',
      variables: { note: '</script>' },
    };
    const page = explorerPage([hostile], htmlPath);
    expect(page.match(/<\/script/gi)).toHaveLength(2);
    expect(page).not.toContain('<script>alert(1)');
    const block = inline(page, '<script type="application/json" id="saved-operations">', '</script>');
    expect(block).not.toMatch(/[<>&\u2028\u2029]/);
    expect(dataOf(page)).toEqual([hostile]);
  });

  it('fails with EXPLORER_NOT_BUILT, saying how to build it, when dist/explorer.html is missing', () => {
    const missing = join(work, 'not-built/explorer.html');
    expect(() => explorerPage([], missing)).toThrow(ExplorerError);
    expect(() => explorerPage([], missing)).toThrow(/EXPLORER_NOT_BUILT: .*not-built\/explorer\.html has not been built; run `npm run build -w @zigong\/explorer`/);
  });
});

describe('explorerRoute', () => {
  let url: string;
  let server: Server;
  let dir: string;
  beforeAll(async () => {
    dir = operationsDir({ 'CityIncome.graphql': '# The city in 2024.\nquery CityIncome { collectiveIncomeSummary(regionId: "510300000000", year: 2024) { total } }\n' });
    ({ url, server } = await serve(explorerRoute(dir, htmlPath)));
  });
  afterAll(() => close(server));

  it('serves the page as UTF-8 HTML with the saved questions embedded', async () => {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await response.text();
    expect(body).toBe(explorerPage(loadSavedOperations(dir), htmlPath));
    expect(dataOf(body).map((operation: SavedOperation) => operation.name)).toEqual(['CityIncome']);
  });

  it('sends a strict Content-Security-Policy that allows only this origin and the exact inline bundle', async () => {
    const response = await fetch(url);
    const body = await response.text();
    const policy = Object.fromEntries(
      response.headers
        .get('content-security-policy')!
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(policy).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'", hash(bundleOf(body))],
      'style-src': ["'self'", hash(styleOf(body))],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers a revalidation with 304, HEAD without a body, and other methods with 405', async () => {
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(Buffer.byteLength(await first.text())), '']);
    const post = await fetch(url, { method: 'POST', body: '{}' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('tells a browser navigation (acceptsHtml) from an API client', () => {
    const request = (accept?: string) => ({ headers: accept === undefined ? {} : { accept } }) as IncomingMessage;
    expect(acceptsHtml(request('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'))).toBe(true);
    expect(acceptsHtml(request('application/json'))).toBe(false);
    expect(acceptsHtml(request('*/*'))).toBe(false);
    expect(acceptsHtml(request())).toBe(false);
  });

  it('fails when it is made, not at the first visit, when the page is not built or a question is broken', () => {
    expect(() => explorerRoute(dir, join(work, 'not-built/explorer.html'))).toThrow(/EXPLORER_NOT_BUILT/);
    const broken = operationsDir({ 'Broken.graphql': 'query Other { regions { id } }' });
    expect(() => explorerRoute(broken, htmlPath)).toThrow(/SAVED_OPERATION_INVALID/);
  });
});

describe('the dashboard page', () => {
  it('is one self-contained Chinese page with ECharts inline, drawing on canvas, with no eval, worker or URL to fetch', () => {
    expect(dashboard.startsWith('<!doctype html>\n<html lang="zh-CN">')).toBe(true);
    expect(dashboard).toContain('<title>自贡市村级集体经济收入看板</title>');
    expect(dashboard).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(dashboard.match(/<link[^>]*>/gi)).toEqual(['<link rel="icon" href="data:,">']);
    const script = bundleOf(dashboard);
    // esbuild writes non-ASCII characters as \u escapes, so the page reads right whatever charset it is served with.
    expect(script).not.toMatch(/[^\x00-\x7f]/);
    expect(script.replace(/\\u([0-9a-f]{4})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)))).toContain('自贡市各区县集体经济收入');
    expect(script).toContain('query DashboardOverview');
    expect(script).toContain('getContext("2d")');
    expect(script).not.toMatch(/new Worker\(|importScripts\(|\beval\(|new Function\(|\bimport\(|createElementNS\(|setAttribute\("style"/);
    const urls = [...script.matchAll(/https?:\/\/[^\s"'`)<>]*/g)].map((match) => match[0]);
    expect(urls.filter((url) => !/^https:\/\/github\.com\//.test(url))).toEqual([]);
    expect(styleOf(dashboard)).toContain('.dash-tooltip');
    expect(styleOf(dashboard)).not.toMatch(/@import|url\(/i);
  });

  it('refuses a bundle that would break out of its inline script, like the explorer', () => {
    expect(() => dashboardShell('', 'const end = "</script>";')).toThrow(expect.objectContaining({ code: 'EXPLORER_BUILD_INVALID' }));
  });

  it('is served by dashboardRoute with a Content-Security-Policy allowing only its own inline bundle and this origin', async () => {
    const { url, server } = await serve(dashboardRoute(dashboardPath));
    try {
      const response = await fetch(`${url}/dashboard`);
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      const body = await response.text();
      expect(body).toBe(dashboard);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toContain(`script-src 'self' ${hash(bundleOf(body))}`);
      expect(policy).toContain(`style-src 'self' ${hash(styleOf(body))}`);
      expect(policy).toContain("connect-src 'self'");
      expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
      const etag = response.headers.get('etag')!;
      expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
      const post = await fetch(url, { method: 'POST', body: '{}' });
      expect([post.status, await post.text()]).toEqual([405, 'The dashboard page answers GET only.\n']);
    } finally {
      await close(server);
    }
  });

  it('fails with EXPLORER_NOT_BUILT when it is made, when dist/dashboard.html is missing', () => {
    expect(() => dashboardRoute(join(work, 'not-built/dashboard.html'))).toThrow(/EXPLORER_NOT_BUILT: .*not-built\/dashboard\.html has not been built/);
  });
});

describe('the registry pages', () => {
  it('are one self-contained page with no library, eval, worker or URL to fetch but its own /graphql', () => {
    expect(registry.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(registry).toContain('<title>Zigong schema registry</title>');
    expect(registry).toContain('<div id="registry">');
    expect(registry).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(registry.match(/<link[^>]*>/gi)).toEqual(['<link rel="icon" href="data:,">']);
    const script = bundleOf(registry);
    expect(script).toContain('query RegistryVariants');
    expect(script).toContain('"/graphql"');
    // Registry strings (SDL, error texts, names) reach the page as text nodes only.
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|new Worker\(|importScripts\(|\beval\(|new Function\(|\bimport\(|setAttribute\("style"/);
    expect([...script.matchAll(/https?:\/\/[^\s"'`)<>]*/g)].map((match) => match[0])).toEqual([]);
    expect(styleOf(registry)).toContain('.reg-change-breaking');
    expect(styleOf(registry)).not.toMatch(/@import|url\(/i);
  });

  it('refuse a bundle that would break out of its inline script, like the explorer', () => {
    expect(() => registryShell('', 'const end = "</script>";')).toThrow(expect.objectContaining({ code: 'EXPLORER_BUILD_INVALID' }));
  });

  it('are served by registryPages at / with a Content-Security-Policy allowing only their inline bundle and this origin', async () => {
    const pages = registryPages(registryPath);
    expect(Object.keys(pages)).toEqual(['/']);
    const { url, server } = await serve(pages['/']);
    try {
      const response = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      const body = await response.text();
      expect(body).toBe(registry);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toContain(`script-src 'self' ${hash(bundleOf(body))}`);
      expect(policy).toContain(`style-src 'self' ${hash(styleOf(body))}`);
      expect(policy).toContain("connect-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect((await fetch(url, { headers: { 'if-none-match': response.headers.get('etag')! } })).status).toBe(304);
      const post = await fetch(url, { method: 'POST', body: '{}' });
      expect([post.status, await post.text()]).toEqual([405, 'The registry page answers GET only.\n']);
    } finally {
      await close(server);
    }
  });

  it('fail with EXPLORER_NOT_BUILT when the handler is made, when dist/registry.html is missing', () => {
    expect(() => registryRoute(join(work, 'not-built/registry.html'))).toThrow(/EXPLORER_NOT_BUILT: .*not-built\/registry\.html has not been built/);
    expect(() => registryPages(join(work, 'not-built/registry.html'))).toThrow(ExplorerError);
  });
});

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const chromium = findChromium();
const inChromium = chromium ? it : it.skip;
const skipNote = chromium ? '' : ' [skipped: chromium is not installed; `apt-get install chromium` to run it]';

inChromium(`renders GraphiQL with the saved questions and loads the schema by introspection, in headless Chromium${skipNote}`, async () => {
  const api = buildSchema(readFileSync(join(REPO, 'schema/api.graphql'), 'utf8'));
  const route = explorerRoute(OPERATIONS_DIR, htmlPath);
  const seen: string[] = [];
  const { url, server } = await serve((req, res) => {
    if (req.url !== '/graphql') return route(req, res);
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', async () => {
      const { query, variables, operationName } = JSON.parse(text);
      seen.push(query);
      const result = await graphql({ schema: api, source: query, variableValues: variables, operationName });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  const profile = mkdtempSync(join(work, 'chromium-'));
  try {
    const dom = await new Promise<string>((resolve, reject) => {
      const child = spawn(chromium!, [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        '--dump-dom',
        `${url}/`,
      ]);
      let out = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
    expect(dom).toContain('graphiql-container');
    expect(dom).toContain('Saved questions');
    expect(dom).toContain('GantangAcrossDepartments');
    expect(dom).toContain('Zigong explorer');
    expect(seen.some((query) => query.includes('__schema'))).toBe(true);
  } finally {
    await close(server);
  }
}, 90_000);
