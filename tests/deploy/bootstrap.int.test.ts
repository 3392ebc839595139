import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { readRegistry, ROOT } from '@zigong/cli';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * The bootstrap step (`node packages/cli/dist/bootstrap.js`, compose's db-bootstrap service and the
 * first init container of every subgraph pod in Kubernetes) on a real Postgres: the test run's own
 * server (tests/setup), a fresh database, and login roles with names unique to this run, dropped
 * afterwards. The group roles `<department>_rw` (and the registry's `registry_rw`) are fixed names
 * shared by every database of the server (the migrations grant them), so they are left to the
 * throw-away server. The registry is bootstrapped beside the departments, by the same rules.
 */
const BOOTSTRAP = join(ROOT, 'packages/cli/dist/bootstrap.js');
const MIGRATE = join(ROOT, 'packages/cli/dist/migrate.js');
/** The registry's own migration step (registry/dist/migrate.js), as its pods and compose run it. */
const MIGRATE_REGISTRY = join(ROOT, 'registry/dist/migrate.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const suffix = randomBytes(4).toString('hex');
const departments = readRegistry().map((entry) => entry.name);
/** Every owner of a schema the bootstrap makes a login for: the departments and the registry. */
const owners = [...departments, 'registry'];
const loginOf = (owner: string) => `${owner.slice(0, 4)}_${suffix}_app`;
const passwordOf = (owner: string) => `${owner}-${suffix}-${randomBytes(12).toString('hex')}`;
const passwords = Object.fromEntries(owners.map((d) => [d, passwordOf(d)]));

let database: TestDatabase;
const urlAs = (user: string, password: string) => {
  const url = new URL(database.url);
  url.username = user;
  url.password = password;
  return url.toString();
};
/**
 * The environment compose and Kubernetes give the bootstrap: the admin URL, each subgraph's own
 * URL and the registry's (REGISTRY_DATABASE_URL). Local mode, as the test server's admin password
 * is not an operator's secret.
 */
const bootstrapEnv = (): Record<string, string> => ({
  SUBGRAPH_MODE: 'local',
  DATABASE_URL: database.url,
  ...Object.fromEntries(owners.map((d) => [`${d.toUpperCase()}_DATABASE_URL`, urlAs(loginOf(d), passwords[d])])),
});

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
const asLogin = (department: string, sql: string) => query(urlAs(loginOf(department), passwords[department]), sql);

const memberships = async (login: string) =>
  (
    await query<{ rolname: string }>(
      database.url,
      `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE u.rolname = $1 ORDER BY 1`,
      [login],
    )
  ).map((r) => r.rolname);

beforeAll(async () => {
  for (const script of [BOOTSTRAP, MIGRATE, MIGRATE_REGISTRY]) {
    if (!existsSync(script)) throw new Error(`${script} is missing: build it with \`npm run build\`.`);
  }
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
  if (!database) return;
  for (const d of owners) await query(database.url.replace(/\/[^/]*$/, '/postgres'), `DROP ROLE IF EXISTS ${loginOf(d)}`).catch(() => undefined);
});

describe('bootstrap.js, the database roles before any migration', () => {
  it('creates every department’s group and its own login role, and the registry’s, before any migration', async () => {
    const first = await run(BOOTSTRAP, [], bootstrapEnv());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const d of owners) expect(first.stdout).toContain(`${d}: group ${d}_rw `);
    expect(first.stdout).toContain(`login ${loginOf('finance')} created`);
    // The group may be there already: roles belong to the server, which other tests' migrations share.
    expect(first.stdout).toMatch(new RegExp(`^registry: group registry_rw (created|present), login ${loginOf('registry')} created, member of registry_rw only$`, 'm'));

    // No schema exists yet: the roles come first, so a migration can grant and a subgraph can log in.
    expect(await query(database.url, `SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [owners])).toEqual([]);
    for (const d of owners) {
      expect(await memberships(loginOf(d))).toEqual([`${d}_rw`]);
      const [role] = await query<Record<string, boolean>>(
        database.url,
        'SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolinherit FROM pg_roles WHERE rolname = $1',
        [loginOf(d)],
      );
      expect(role).toEqual({ rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolinherit: true });
      const [group] = await query<{ rolcanlogin: boolean }>(database.url, 'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [`${d}_rw`]);
      expect(group.rolcanlogin).toBe(false);
    }
    // The password set is the one in the URL (the test server checks passwords), stored as SCRAM.
    expect(await asLogin('finance', 'SELECT current_user AS me')).toEqual([{ me: loginOf('finance') }]);
    await expect(query(urlAs(loginOf('finance'), passwords.organization), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    const [{ stored }] = await query<{ stored: string }>(database.url, 'SELECT rolpassword AS stored FROM pg_authid WHERE rolname = $1', [loginOf('finance')]);
    expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it('changes nothing the second time, and takes a login back out of another department’s group, or the registry’s', async () => {
    await query(database.url, `GRANT organization_rw TO ${loginOf('finance')}`);
    // The registry's login kept away from a department's data, and a department's from the registry's.
    await query(database.url, `GRANT tourism_rw TO ${loginOf('registry')}`);
    await query(database.url, `GRANT registry_rw TO ${loginOf('agriculture')}`);
    const second = await run(BOOTSTRAP, [], bootstrapEnv());
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`finance: group finance_rw present, login ${loginOf('finance')} present (password set again), member of finance_rw only; taken out of organization_rw`);
    expect(second.stdout).toContain(`agriculture: group agriculture_rw present, login ${loginOf('agriculture')} present (password set again), member of agriculture_rw only; taken out of registry_rw`);
    expect(second.stdout).toContain(`registry: group registry_rw present, login ${loginOf('registry')} present (password set again), member of registry_rw only; taken out of tourism_rw`);
    for (const d of owners) expect(await memberships(loginOf(d))).toEqual([`${d}_rw`]);
    // Only the registry's login holds what the registry's migrations grant registry_rw.
    const holders = await query<{ rolname: string }>(database.url, `SELECT rolname FROM pg_roles WHERE rolname LIKE $1 AND pg_has_role(rolname, 'registry_rw', 'USAGE') ORDER BY 1`, [`%\_${suffix}\_app`]);
    expect(holders.map((r) => r.rolname)).toEqual([loginOf('registry')]);
    const registryOnly = await run(BOOTSTRAP, ['registry'], bootstrapEnv());
    expect([registryOnly.code, registryOnly.stderr]).toEqual([0, '']);
    expect(registryOnly.stdout.trim()).toBe(`registry: group registry_rw present, login ${loginOf('registry')} present (password set again), member of registry_rw only`);
    const third = await run(BOOTSTRAP, ['finance'], bootstrapEnv());
    expect(third.code).toBe(0);
    expect(third.stdout.trim()).toBe(`finance: group finance_rw present, login ${loginOf('finance')} present (password set again), member of finance_rw only`);
  });

  it('lets finance’s login use its own schema after the migrations, and not read the organization’s', async () => {
    for (const d of ['organization', 'finance']) {
      const migrated = await run(MIGRATE, [d, '--seed'], { DATABASE_URL: database.url });
      expect([d, migrated.code, migrated.stderr]).toEqual([d, 0, '']);
    }
    const [{ n }] = await asLogin('finance', 'SELECT count(*)::int AS n FROM finance.collective_income');
    expect(n).toBeGreaterThan(1000);
    for (const sql of ['SELECT name FROM organization.village LIMIT 1', `UPDATE organization.village SET name = 'x'`, 'CREATE TABLE organization.stolen (id int)']) {
      await expect(asLogin('finance', sql)).rejects.toMatchObject({ code: '42501' });
    }
    await expect(asLogin('organization', 'SELECT count(*) FROM finance.collective_income')).rejects.toMatchObject({ code: '42501' });
    // The registry's login stores schemas, not records: no department's data, read or written.
    for (const sql of ['SELECT count(*) FROM finance.collective_income', 'SELECT name FROM organization.village LIMIT 1', `UPDATE organization.village SET name = 'x'`]) {
      await expect(asLogin('registry', sql)).rejects.toMatchObject({ code: '42501' });
    }
    expect((await asLogin('organization', 'SELECT count(*)::int AS n FROM organization.village'))[0].n).toBeGreaterThan(700);
  });

  it('gives the registry’s schema to the registry’s login alone, once its migrations ran (registry/dist/migrate.js, as its pods and compose run it)', async () => {
    const runs = await Promise.all([1, 2].map(() => run(MIGRATE_REGISTRY, [], { DATABASE_URL: database.url })));
    expect(runs.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    // Two replicas starting together: one applies, the other waits for the lock and finds nothing to do.
    const applied = runs.filter((r) => /^registry: [1-9]\d* migrations? applied \(/.test(r.stdout));
    const idle = runs.filter((r) => r.stdout === 'registry: no migration pending\n');
    expect([applied.length, idle.length]).toEqual([1, 1]);
    expect(await asLogin('registry', 'SELECT count(*)::int AS n FROM registry.composition')).toEqual([{ n: 0 }]);
    for (const d of departments) {
      for (const sql of ['SELECT count(*) FROM registry.composition', 'SELECT count(*) FROM registry.subgraph_version', `UPDATE registry.variant SET current_composition_id = NULL`]) {
        expect([d, await asLogin(d, sql).then(() => 'allowed', (error: { code?: string }) => error.code)]).toEqual([d, '42501']);
      }
    }
  });

  it('migrates replicas starting together one after the other (advisory lock): one applies, the others find nothing to do', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => run(MIGRATE, ['tourism', '--seed'], { DATABASE_URL: database.url })));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    const applied = runs.filter((r) => /^tourism: [1-9]\d* migrations applied/.test(r.stdout));
    const idle = runs.filter((r) => r.stdout === 'tourism: 0 migrations applied (already up to date), 0 reference rows added\n');
    expect([applied.length, idle.length]).toEqual([1, 2]);
    expect(idle.every((r) => r.stderr === 'tourism: waiting for another migration of tourism to finish\n' || r.stderr === '')).toBe(true);
  });

  it('refuses, listing every problem, a login shared by two departments, the admin role, a short password and a missing URL', async () => {
    const admin = new URL(database.url).username;
    const env: Record<string, string> = {
      ...bootstrapEnv(),
      ORGANIZATION_DATABASE_URL: urlAs(admin, passwords.organization),
      AGRICULTURE_DATABASE_URL: urlAs(loginOf('finance'), passwords.finance),
      FINANCE_DATABASE_URL: urlAs(loginOf('finance'), 'short'),
    };
    delete env.TOURISM_DATABASE_URL;
    delete env.REGISTRY_DATABASE_URL;
    const refused = await run(BOOTSTRAP, [], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('BOOTSTRAP_CONFIG');
    expect(refused.stderr).toContain(`ORGANIZATION_DATABASE_URL connects as ${admin}, the role DATABASE_URL bootstraps with`);
    expect(refused.stderr).toContain('FINANCE_DATABASE_URL must carry a password of at least 16 bytes');
    expect(refused.stderr).toContain(`FINANCE_DATABASE_URL and AGRICULTURE_DATABASE_URL both connect as ${loginOf('finance')}`);
    expect(refused.stderr).toContain('TOURISM_DATABASE_URL is required but not set');
    expect(refused.stderr).toContain('REGISTRY_DATABASE_URL is required but not set');
    expect(await memberships(loginOf('finance'))).toEqual(['finance_rw']);
  });

  it('holds the registry to the same rules: its own plain login, neither the bootstrap role nor a department’s', async () => {
    const admin = new URL(database.url).username;
    const asAdmin = await run(BOOTSTRAP, ['registry'], { ...bootstrapEnv(), REGISTRY_DATABASE_URL: urlAs(admin, passwords.registry) });
    expect([asAdmin.code, asAdmin.stdout]).toEqual([1, '']);
    expect(asAdmin.stderr).toContain(`BOOTSTRAP_CONFIG`);
    expect(asAdmin.stderr).toContain(`REGISTRY_DATABASE_URL connects as ${admin}, the role DATABASE_URL bootstraps with: the registry must have its own login role.`);
    const shared = await run(BOOTSTRAP, [], { ...bootstrapEnv(), REGISTRY_DATABASE_URL: urlAs(loginOf('finance'), passwords.finance) });
    expect(shared.code).toBe(1);
    expect(shared.stderr).toContain(`REGISTRY_DATABASE_URL and FINANCE_DATABASE_URL both connect as ${loginOf('finance')}`);
    const group = await run(BOOTSTRAP, ['registry'], { ...bootstrapEnv(), REGISTRY_DATABASE_URL: urlAs('registry_rw', passwords.registry) });
    expect(group.stderr).toContain('REGISTRY_DATABASE_URL connects as registry_rw: roles ending in _rw');
    const production = await run(BOOTSTRAP, ['registry'], {
      ...bootstrapEnv(),
      SUBGRAPH_MODE: 'production',
      REGISTRY_DATABASE_URL: urlAs(loginOf('registry'), 'dev-only-postgres-password'),
    });
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('the password in REGISTRY_DATABASE_URL is a published example value');
    const superLogin = `super_${suffix}`;
    await query(database.url, `CREATE ROLE ${superLogin} SUPERUSER LOGIN`);
    try {
      const refused = await run(BOOTSTRAP, ['registry'], { ...bootstrapEnv(), REGISTRY_DATABASE_URL: urlAs(superLogin, passwords.registry) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`BOOTSTRAP_FAILED: registry: the login role ${superLogin} has SUPER`);
    } finally {
      await query(database.url, `DROP ROLE ${superLogin}`);
    }
    expect(await memberships(loginOf('registry'))).toEqual(['registry_rw']);
  });

  it('in production (its default) refuses example, guessable and shared passwords, naming each variable, before it changes anything', async () => {
    const strong = () => randomBytes(32).toString('hex');
    const shared = strong();
    const env: Record<string, string> = {
      ...bootstrapEnv(),
      DATABASE_URL: urlAs(new URL(database.url).username, 'changeme'.repeat(4)),
      ORGANIZATION_DATABASE_URL: urlAs(`org_${suffix}_prod`, 'dev-only-postgres-password'),
      AGRICULTURE_DATABASE_URL: urlAs(`agri_${suffix}_prod`, 'a'.repeat(32)),
      FINANCE_DATABASE_URL: urlAs(`fina_${suffix}_prod`, shared),
      TOURISM_DATABASE_URL: urlAs(`tour_${suffix}_prod`, shared),
    };
    delete env.SUBGRAPH_MODE;
    const refused = await run(BOOTSTRAP, [], env);
    expect([refused.code, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr).toContain('BOOTSTRAP_CONFIG');
    expect(refused.stderr).toMatch(/the password in DATABASE_URL is too easy to guess/);
    expect(refused.stderr).toContain('the password in ORGANIZATION_DATABASE_URL is a published example value (infra/k8s/secret.example.yaml)');
    expect(refused.stderr).toMatch(/the password in AGRICULTURE_DATABASE_URL is too easy to guess/);
    expect(refused.stderr).toContain('the password in TOURISM_DATABASE_URL is the same value as the password in FINANCE_DATABASE_URL');
    expect(await query(database.url, `SELECT rolname FROM pg_roles WHERE rolname LIKE $1`, [`%\\_${suffix}\\_prod`])).toEqual([]);

    // The same in explicit production mode; the example password is accepted only in local mode.
    const local = await run(BOOTSTRAP, ['organization'], { ...bootstrapEnv(), ORGANIZATION_DATABASE_URL: urlAs(loginOf('organization'), 'dev-only-postgres-password') });
    expect([local.code, local.stderr]).toEqual([0, '']);
    const production = await run(BOOTSTRAP, ['organization'], { ...bootstrapEnv(), SUBGRAPH_MODE: 'production', ORGANIZATION_DATABASE_URL: urlAs(loginOf('organization'), 'dev-only-postgres-password') });
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('the password in ORGANIZATION_DATABASE_URL is a published example value');
    await run(BOOTSTRAP, ['organization'], bootstrapEnv()); // the run's own password again, for the tests after
  });

  it('refuses to hand a department a superuser login, and names unknown departments', async () => {
    const superLogin = `super_${suffix}`;
    await query(database.url, `CREATE ROLE ${superLogin} SUPERUSER LOGIN`);
    try {
      const refused = await run(BOOTSTRAP, ['finance'], { ...bootstrapEnv(), FINANCE_DATABASE_URL: urlAs(superLogin, passwords.finance) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`BOOTSTRAP_FAILED: finance: the login role ${superLogin} has SUPER`);
    } finally {
      await query(database.url, `DROP ROLE ${superLogin}`);
    }
    const unknown = await run(BOOTSTRAP, ['housing'], bootstrapEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('BOOTSTRAP_USAGE: "housing" not in supergraph.yaml nor the registry; known: organization, agriculture, finance, tourism, registry.');
  });
});
