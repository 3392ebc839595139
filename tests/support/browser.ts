import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

/**
 * Headless Chromium as the browser tests drive it: Debian's `chromium` package through
 * playwright-core, with the flags this machine's closed network needs, and a page whose every
 * request must stay on this machine and whose every error (CSP refusals included) is kept.
 */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}, and the browser tests need it. Install Debian's package: ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does so before `npm ci`).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export const isLocal = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || url === 'about:blank') return true;
  return (protocol === 'http:' || protocol === 'https:') && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
};

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Requests that would have left this machine (blocked). */
  offsite: string[];
  /** Everything the page asked for, in order. */
  asked: Array<{ url: string; method: string; authorization?: string }>;
  /** Page errors and console errors, CSP refusals among them. */
  problems: string[];
}

export async function watchedPage(browser: Browser, options: BrowserContextOptions): Promise<WatchedPage> {
  const watched: Omit<WatchedPage, 'context' | 'page'> = { offsite: [], asked: [], problems: [] };
  const context = await browser.newContext({ deviceScaleFactor: 1, serviceWorkers: 'block', ...options });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    watched.offsite.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => watched.asked.push({ url: request.url(), method: request.method(), authorization: request.headers().authorization }));
  // A refused inline style or script would otherwise pass unnoticed: make every refusal an error.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP refused ${event.violatedDirective}: ${event.blockedURI || 'inline'}`)),
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => watched.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.problems.push(`console error: ${message.text()}`);
  });
  return { ...watched, context, page };
}

/** Closes the page's context, then fails the test if anything it asked for was off this machine. */
export async function closeWatched(watched: WatchedPage | undefined): Promise<void> {
  if (!watched) return;
  await watched.context.close();
  expect(watched.offsite).toEqual([]);
  expect(watched.asked.map((request) => request.url).filter((url) => !isLocal(url))).toEqual([]);
}
