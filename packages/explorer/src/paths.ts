import { resolve } from 'node:path';

/**
 * Where the build writes the pages: the package's dist/, found from src/ (tests, ts sources) and
 * from dist/ (compiled) alike.
 */
export const EXPLORER_HTML_PATH = resolve(__dirname, '../dist/explorer.html');
export const DASHBOARD_HTML_PATH = resolve(__dirname, '../dist/dashboard.html');
export const REGISTRY_HTML_PATH = resolve(__dirname, '../dist/registry.html');
