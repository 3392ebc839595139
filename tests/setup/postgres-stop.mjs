import { rmSync } from 'node:fs';

export default async function stopTestPostgres() {
  const pg = globalThis.__ZIGONG_TEST_PG__;
  if (!pg) return;
  await pg.stop();
  rmSync(pg.dataDir, { recursive: true, force: true });
}
