import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pageShell } from './page';
import { EXPLORER_HTML_PATH } from './paths';

/** The browser code in src/app, compiled by esbuild alone: tsc builds only the server side. */
const APP_ENTRY = resolve(__dirname, '../src/app/main.tsx');

/** Bundles the React app with GraphiQL and its CSS into one self-contained HTML file. */
export async function bundleExplorer(outFile = EXPLORER_HTML_PATH): Promise<{ bytes: number }> {
  const result = await build({
    entryPoints: [APP_ENTRY],
    bundle: true,
    write: false,
    outdir: join(dirname(outFile), 'explorer-assets'),
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    minify: true,
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Anything GraphiQL's stylesheet or code refers to must end up inside the page, never a URL.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    logLevel: 'warning',
  });
  const js = result.outputFiles.filter((file) => file.path.endsWith('.js'));
  const css = result.outputFiles.filter((file) => file.path.endsWith('.css'));
  const other = result.outputFiles.filter((file) => !file.path.endsWith('.js') && !file.path.endsWith('.css'));
  if (js.length !== 1 || css.length !== 1 || other.length > 0) {
    throw new Error(`esbuild produced ${result.outputFiles.map((f) => relative(dirname(outFile), f.path)).join(', ')}; expected one script and one stylesheet.`);
  }
  const html = pageShell(css[0].text.trimEnd(), js[0].text.trimEnd());
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, html);
  return { bytes: Buffer.byteLength(html) };
}

if (require.main === module) {
  bundleExplorer().then(
    ({ bytes }) => console.log(`explorer: ${relative(process.cwd(), EXPLORER_HTML_PATH)} (${(bytes / 1024 / 1024).toFixed(1)} MiB)`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
