import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExplorerError } from './errors';
import { loadSavedOperations, type SavedOperation } from '@zigong/platform';
import { contentSecurityPolicy, embedJson, fillDataBlock } from './page';
import { DASHBOARD_HTML_PATH, EXPLORER_HTML_PATH, REGISTRY_HTML_PATH } from './paths';

export { ExplorerError, type ExplorerErrorCode } from './errors';
export { loadSavedOperations, parseSavedOperation, type SavedOperation } from '@zigong/platform';
export { contentSecurityPolicy } from './page';
export { DASHBOARD_HTML_PATH, EXPLORER_HTML_PATH, REGISTRY_HTML_PATH } from './paths';

function readBuiltPage(htmlPath: string): string {
  try {
    return readFileSync(htmlPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ExplorerError(
        'EXPLORER_NOT_BUILT',
        `${htmlPath} has not been built; run \`npm run build -w @zigong/explorer\` (or \`npm run build\`) first.`,
      );
    }
    throw error;
  }
}

/**
 * The explorer page with `operations` embedded as its saved questions. Fails with
 * EXPLORER_NOT_BUILT when the bundle (`dist/explorer.html`) has not been built.
 */
export function explorerPage(operations: SavedOperation[], htmlPath: string = EXPLORER_HTML_PATH): string {
  return fillDataBlock(readBuiltPage(htmlPath), embedJson(operations), htmlPath);
}

export { acceptsHtml } from '@zigong/platform';

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A node:http handler answering GET and HEAD with one finished page, under its own
 * Content-Security-Policy (the inline bundle and stylesheet by hash, requests to this origin only).
 */
function pageRoute(html: string, name: string): PageHandler {
  const body = Buffer.from(html, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(html),
    // The pages weigh from 0.5 to 2 MiB; revalidate by ETag rather than send them again on every visit.
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The ${name} page answers GET only.\n`);
      return;
    }
    if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * A node:http handler serving the explorer with the saved questions of `dir`. The page is built
 * once, when the handler is made, so a missing bundle or a broken saved question stops the
 * server at start-up rather than at an analyst's first visit.
 */
export function explorerRoute(dir: string, htmlPath: string = EXPLORER_HTML_PATH): PageHandler {
  return pageRoute(explorerPage(loadSavedOperations(dir), htmlPath), 'explorer');
}

/**
 * A node:http handler serving the income dashboard (`dist/dashboard.html`): charts drawn in the
 * browser from same-origin `/graphql` requests. Fails with EXPLORER_NOT_BUILT when it is made,
 * not at the first visit, when the page has not been built.
 */
export function dashboardRoute(htmlPath: string = DASHBOARD_HTML_PATH): PageHandler {
  return pageRoute(readBuiltPage(htmlPath), 'dashboard');
}

/** The pages the gateway mounts beside /graphql: the explorer at `/` (for browsers), the dashboard. */
export function gatewayPages(operationsDir: string): Record<string, PageHandler> {
  return { '/': explorerRoute(operationsDir), '/dashboard': dashboardRoute() };
}

/**
 * A node:http handler serving the schema registry's pages (`dist/registry.html`): variants,
 * subgraph versions and their diffs, the changelog, drawn in the browser from same-origin
 * `/graphql` requests to the registry. Fails with EXPLORER_NOT_BUILT when it is made.
 */
export function registryRoute(htmlPath: string = REGISTRY_HTML_PATH): PageHandler {
  return pageRoute(readBuiltPage(htmlPath), 'registry');
}

/** The pages the registry process mounts beside its /graphql: the registry's pages at `/` (for browsers). */
export function registryPages(htmlPath: string = REGISTRY_HTML_PATH): Record<string, PageHandler> {
  return { '/': registryRoute(htmlPath) };
}
