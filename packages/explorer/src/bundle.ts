import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { dashboardShell, pageShell, registryShell } from './page';
import { DASHBOARD_HTML_PATH, EXPLORER_HTML_PATH, REGISTRY_HTML_PATH } from './paths';

/** The browser code in src/app, compiled by esbuild alone: tsc builds only the server side. */
const EXPLORER_ENTRY = resolve(__dirname, '../src/app/main.tsx');
const DASHBOARD_ENTRY = resolve(__dirname, '../src/app/dashboard/main.ts');
const REGISTRY_ENTRY = resolve(__dirname, '../src/app/registry/main.ts');

/** Bundles one browser entry with its CSS into one self-contained HTML file made by `shell`. */
async function bundlePage(entry: string, shell: (css: string, js: string) => string, outFile: string): Promise<{ bytes: number }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outdir: join(dirname(outFile), 'page-assets'),
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    minify: true,
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Anything a stylesheet or library refers to must end up inside the page, never a URL.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    logLevel: 'warning',
  });
  const js = result.outputFiles.filter((file) => file.path.endsWith('.js'));
  const css = result.outputFiles.filter((file) => file.path.endsWith('.css'));
  const other = result.outputFiles.filter((file) => !file.path.endsWith('.js') && !file.path.endsWith('.css'));
  if (js.length !== 1 || css.length !== 1 || other.length > 0) {
    throw new Error(`esbuild produced ${result.outputFiles.map((f) => relative(dirname(outFile), f.path)).join(', ')}; expected one script and one stylesheet.`);
  }
  const html = shell(css[0].text.trimEnd(), js[0].text.trimEnd());
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, html);
  return { bytes: Buffer.byteLength(html) };
}

/** Bundles the React app with GraphiQL and its CSS into one self-contained HTML file. */
export function bundleExplorer(outFile = EXPLORER_HTML_PATH): Promise<{ bytes: number }> {
  return bundlePage(EXPLORER_ENTRY, pageShell, outFile);
}

/** Bundles the dashboard with Apache ECharts (canvas renderer) into one self-contained HTML file. */
export function bundleDashboard(outFile = DASHBOARD_HTML_PATH): Promise<{ bytes: number }> {
  return bundlePage(DASHBOARD_ENTRY, dashboardShell, outFile);
}

/** Bundles the schema registry's pages (no library: the DOM and fetch) into one self-contained HTML file. */
export function bundleRegistry(outFile = REGISTRY_HTML_PATH): Promise<{ bytes: number }> {
  return bundlePage(REGISTRY_ENTRY, registryShell, outFile);
}

if (require.main === module) {
  const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);
  const report = (path: string, bytes: number) => console.log(`${relative(process.cwd(), path)} (${size(bytes)})`);
  Promise.all([bundleExplorer(), bundleDashboard(), bundleRegistry()]).then(
    ([explorer, dashboard, registry]) => {
      report(EXPLORER_HTML_PATH, explorer.bytes);
      report(DASHBOARD_HTML_PATH, dashboard.bytes);
      report(REGISTRY_HTML_PATH, registry.bytes);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
