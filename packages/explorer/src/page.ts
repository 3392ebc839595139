import { createHash } from 'node:crypto';
import { ExplorerError } from './errors';

/**
 * The one HTML shell of the explorer, written by `bundle.ts` at build time and filled by
 * `explorerPage` at serve time. Its inline style and script carry ids so that the server can
 * find them again and hash them for the Content-Security-Policy.
 */
const STYLE_OPEN = '<style id="explorer-style">';
const STYLE_CLOSE = '</style>';
const SCRIPT_OPEN = '<script id="explorer-bundle">';
const SCRIPT_CLOSE = '</script>';
const DATA_OPEN = '<script type="application/json" id="saved-operations">';
/** The data block as built: a working page with no saved questions until the server fills it. */
export const EMPTY_DATA_BLOCK = `${DATA_OPEN}[]</script>`;

/**
 * Refuses script text that the HTML parser would not read as one script element: a `</script`
 * ends it early, and a `<script` after an unclosed `<!--` makes the parser skip the real end tag
 * (the "double-escaped" state of the HTML tokenizer).
 */
function assertInlineScriptSafe(js: string): void {
  const refuse = (problem: string) => {
    throw new ExplorerError('EXPLORER_BUILD_INVALID', `the bundled script ${problem}, which breaks it as an inline <script>.`);
  };
  let escaped = false;
  for (const match of js.matchAll(/<\/script|<!--|-->|<script[\s/>]/gi)) {
    const token = match[0].toLowerCase();
    if (token === '</script') refuse('contains "</script"');
    else if (token === '<!--') escaped = true;
    else if (token === '-->') escaped = false;
    else if (escaped) refuse('opens "<script" inside an HTML comment "<!--"');
  }
}

interface ShellContent {
  lang: string;
  title: string;
  /** Markup between <body> and the bundle: the element the app renders into. */
  body: string[];
}

/**
 * One self-contained page: the stylesheet and script inline, each exactly once, so the
 * Content-Security-Policy can allow them by hash and nothing else.
 */
function shell(css: string, js: string, { lang, title, body }: ShellContent): string {
  if (/<\/style/i.test(css)) throw new ExplorerError('EXPLORER_BUILD_INVALID', 'the bundled CSS contains "</style", which would end the inline style early.');
  assertInlineScriptSafe(js);
  return [
    '<!doctype html>',
    `<html lang="${lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    // An empty icon, so the browser does not ask the gateway for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<title>${title}</title>`,
    `${STYLE_OPEN}${css}${STYLE_CLOSE}`,
    '</head>',
    '<body>',
    ...body,
    `${SCRIPT_OPEN}${js}${SCRIPT_CLOSE}`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The explorer's page: GraphiQL's root and the (empty until served) saved-questions block. */
export function pageShell(css: string, js: string): string {
  return shell(css, js, {
    lang: 'en',
    title: 'Zigong collective-economy graph: explorer',
    body: ['<div id="explorer"><noscript>The explorer needs JavaScript.</noscript></div>', EMPTY_DATA_BLOCK],
  });
}

/** The dashboard's page: the app builds everything inside #dashboard. */
export function dashboardShell(css: string, js: string): string {
  return shell(css, js, {
    lang: 'zh-CN',
    title: '自贡市村级集体经济收入看板',
    body: ['<div id="dashboard"><noscript>看板需要启用 JavaScript。</noscript></div>'],
  });
}

/** The schema registry's pages, served by the registry process: the app builds everything inside #registry. */
export function registryShell(css: string, js: string): string {
  return shell(css, js, {
    lang: 'en',
    title: 'Zigong schema registry',
    body: ['<div id="registry"><noscript>The registry pages need JavaScript.</noscript></div>'],
  });
}

/**
 * JSON that is safe inside a `<script>` element: `<`, `>` and `&` become `\u003c` and friends, so
 * no string in it can close the element or open a comment, and JSON.parse reads it back unchanged.
 * U+2028/U+2029 are escaped too, for any reader that treats the block as JavaScript.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The built shell with `json` as the content of its data block. */
export function fillDataBlock(template: string, json: string, source: string): string {
  const at = template.indexOf(EMPTY_DATA_BLOCK);
  if (at < 0 || template.indexOf(EMPTY_DATA_BLOCK, at + 1) >= 0) {
    throw new ExplorerError('EXPLORER_BUILD_INVALID', `${source} does not hold exactly one empty saved-operations block; rebuild it with \`npm run build -w @zigong/explorer\`.`);
  }
  return `${template.slice(0, at)}${DATA_OPEN}${json}</script>${template.slice(at + EMPTY_DATA_BLOCK.length)}`;
}

function between(html: string, open: string, close: string): string {
  const start = html.indexOf(open);
  if (start < 0) throw new ExplorerError('EXPLORER_BUILD_INVALID', `the page has no ${open} element.`);
  const end = html.indexOf(close, start + open.length);
  return html.slice(start + open.length, end);
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: scripts and styles only from this origin or as the exact
 * inline bundle (by hash); requests only to this origin; fonts and icons only as the data: URLs
 * GraphiQL's stylesheet embeds; no framing, no forms, no <base>.
 */
export function contentSecurityPolicy(html: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${sha256(between(html, SCRIPT_OPEN, SCRIPT_CLOSE))}`,
    `style-src 'self' ${sha256(between(html, STYLE_OPEN, STYLE_CLOSE))}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
