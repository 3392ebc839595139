import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { readRegistry, ROOT } from '@zigong/cli';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * The deployment's per-department migration step (`node packages/cli/dist/migrate.js <name> --seed`,
 * in Kubernetes an init container of every subgraph pod), run as the compiled CLI against a real
 * database, as the init container runs it.
 */
const CLI = join(ROOT, 'packages/cli/dist/migrate.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}, cli = CLI): Promise<Run> {
  return new Promise((resolve) => {
    // Only PATH is inherited, so a DATABASE_URL of the developer's shell never leaks in.
    execFile(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function tablesIn(url: string, schema: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

async function rowCounts(url: string, schema: string, tables: string[]): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`);
      counts[table] = Number(rows[0].n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

describe('migrate.js, the per-department migration step', () => {
  const department = 'organization';
  let database: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: compile it with \`npx tsc -p packages/cli/tsconfig.json\`.`);
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("applies one department's migrations and seed, and nothing of the other departments", async () => {
    const run = await runCli([department, '--seed'], { DATABASE_URL: database.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${department}: [1-9]\\d* migrations applied \\(.+\\), [1-9]\\d* reference rows added\\n$`));

    const tables = await tablesIn(database.url, department);
    expect(tables).toContain('migrations');
    expect(tables.length).toBeGreaterThan(1);
    const seeded = await rowCounts(database.url, department, tables);
    expect(Object.entries(seeded).filter(([table, n]) => table !== 'migrations' && n > 0).length).toBeGreaterThan(0);

    for (const other of readRegistry().filter((entry) => entry.name !== department)) {
      expect(await tablesIn(database.url, other.name)).toEqual([]);
    }
  });

  it('changes nothing when run a second time', async () => {
    const tables = await tablesIn(database.url, department);
    const before = await rowCounts(database.url, department, tables);
    const run = await runCli([department, '--seed'], { DATABASE_URL: database.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${department}: 0 migrations applied (already up to date), 0 reference rows added\n`);
    expect(await tablesIn(database.url, department)).toEqual(tables);
    expect(await rowCounts(database.url, department, tables)).toEqual(before);
  });

  it('refuses a name that is not in supergraph.yaml, naming the registered departments', async () => {
    const run = await runCli(['nosuchdepartment'], { DATABASE_URL: database.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('UNKNOWN_DEPARTMENT: "nosuchdepartment" is not a department in supergraph.yaml');
    for (const entry of readRegistry()) expect(run.stderr).toContain(entry.name);
  });

  it('refuses to run without DATABASE_URL', async () => {
    const run = await runCli([department]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('MIGRATE_CONFIG');
    expect(run.stderr).toContain('DATABASE_URL is required');
  });

  it('exits non-zero with the reason when the database cannot be reached', async () => {
    const run = await runCli([department], { DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`MIGRATION_FAILED: ${department}: cannot connect to DATABASE_URL`);
    expect(run.stderr).toContain('ECONNREFUSED');
  });

  it('explains its usage when called wrongly', async () => {
    for (const args of [[], [department, 'agriculture'], [department, '--sed']]) {
      const run = await runCli(args, { DATABASE_URL: database.url });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('MIGRATE_USAGE');
      expect(run.stderr).toContain('usage: node packages/cli/dist/migrate.js <department> [--seed]');
    }
  });
});

describe("a department's own migrate.js, with nothing but its folder", () => {
  const department = 'tourism';
  const OWN = join(ROOT, 'subgraphs', department, 'dist', 'migrate.js');
  let database: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(OWN)) throw new Error(`${OWN} is missing: build it with \`npm run build\`.`);
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('applies its migrations and seed, then finds nothing to do, reporting as the registry’s step does', async () => {
    const first = await runCli(['--seed'], { DATABASE_URL: database.url }, OWN);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^${department}: [1-9]\\d* migrations applied \\(.+\\), [1-9]\\d* reference rows added\\n$`));
    expect((await tablesIn(database.url, department)).length).toBeGreaterThan(1);
    for (const other of readRegistry().filter((entry) => entry.name !== department)) {
      expect(await tablesIn(database.url, other.name)).toEqual([]);
    }
    const again = await runCli(['--seed'], { DATABASE_URL: database.url }, OWN);
    expect(again).toEqual({ code: 0, stdout: `${department}: 0 migrations applied (already up to date), 0 reference rows added\n`, stderr: '' });
  });

  it('explains its usage when given a department name or an unknown option, and needs DATABASE_URL', async () => {
    for (const args of [[department], ['--sed']]) {
      const run = await runCli(args, { DATABASE_URL: database.url }, OWN);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`MIGRATE_USAGE`);
      expect(run.stderr).toContain(`usage: node subgraphs/${department}/dist/migrate.js [--seed]`);
    }
    const run = await runCli([], {}, OWN);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('MIGRATE_CONFIG');
  });
});
