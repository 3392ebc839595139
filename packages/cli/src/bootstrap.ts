import { departmentRole, EnvReader, passwordIn, POSTGRES_PROTOCOLS, productionSecretProblems } from '@zigong/kit';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { readRegistry } from './registry';

/**
 * `node packages/cli/dist/bootstrap.js [<department>|registry ...]`: the database roles, before any
 * migration.
 *
 * For each department (every one in supergraph.yaml when none is named), and for the schema
 * registry (`registry`, also part of the default), it makes sure that:
 *   - the group role `<name>_rw` exists (NOLOGIN); the migrations (the department's, or the
 *     registry's) grant it the use of its own schema and nothing else;
 *   - its login role exists, named and with the password taken from `<NAME>_DATABASE_URL`
 *     (REGISTRY_DATABASE_URL for the registry), the very URL its process connects with (one
 *     source of truth);
 *   - that login is a member of its own group and of no other's, and is not a superuser, does not
 *     create roles or databases, replicate or bypass row security.
 * The registry is one more owner of a schema here: its login must not reach a department's data
 * (it stores SDL, not records), and no department's login may rewrite the supergraph.
 *
 * It connects as DATABASE_URL, a role with CREATEROLE (the database owner, or the role the
 * migrations run as, which needs CREATEROLE already). Idempotent and convergent: a second run
 * changes nothing but the password, set again from the URL (so a rotated secret takes effect), and
 * it undoes a membership in another's group. The password is sent as a SCRAM-SHA-256 verifier
 * computed here, so the clear text never reaches the server's logs or statistics.
 *
 * It runs only where the platform is deployed (compose, Kubernetes; `npm start` prepares its
 * database without it), so production is its default: SUBGRAPH_MODE=local, as the local overlay
 * sets, is needed to accept the published example passwords and guessable ones.
 */

/** The schema registry's name here: its schema, its group (`registry_rw`), REGISTRY_DATABASE_URL. */
export const REGISTRY = 'registry';

const USAGE = 'usage: node packages/cli/dist/bootstrap.js [<department>|registry ...]';

export class BootstrapError extends Error {
  constructor(
    readonly code: 'BOOTSTRAP_USAGE' | 'BOOTSTRAP_CONFIG' | 'BOOTSTRAP_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'BootstrapError';
  }
}

export interface DepartmentLogin {
  /** A department, or REGISTRY. */
  name: string;
  /** The group role, `<name>_rw`. */
  group: string;
  login: string;
  password: string;
}

export interface BootstrapConfig {
  adminUrl: string;
  logins: DepartmentLogin[];
  /** Every registered department's group and the registry's, so a login can be taken out of the others'. */
  allGroups: string[];
}

/** The variable that carries a department's connection URL, e.g. FINANCE_DATABASE_URL (REGISTRY_DATABASE_URL for the registry). */
export const departmentUrlVariable = (name: string) => `${name.toUpperCase()}_DATABASE_URL`;

/** A role name used without quoting tricks: what Postgres folds an unquoted identifier to. */
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const MIN_PASSWORD_BYTES = 16;

/** Reads and checks the environment once, listing every problem together. */
export function loadBootstrapConfig(departments: string[], env: NodeJS.ProcessEnv = process.env): BootstrapConfig {
  const registered = [...readRegistry().map((entry) => entry.name), REGISTRY];
  const unknown = departments.filter((d) => !registered.includes(d));
  if (unknown.length) {
    throw new BootstrapError(
      'BOOTSTRAP_USAGE',
      `${unknown.map((d) => `"${d}"`).join(', ')} not in supergraph.yaml nor the registry; known: ${registered.join(', ')}.\n${USAGE}`,
    );
  }
  const chosen = departments.length ? departments : registered;
  const read = new EnvReader(env);
  const production = read.oneOf('SUBGRAPH_MODE', ['local', 'production'], 'production') === 'production';
  const adminUrl = read.url('DATABASE_URL', POSTGRES_PROTOCOLS);
  const adminUser = adminUrl ? safeUrl(adminUrl)?.username : undefined;
  const logins: DepartmentLogin[] = [];
  for (const department of chosen) {
    const variable = departmentUrlVariable(department);
    const url = read.url(variable, POSTGRES_PROTOCOLS);
    const parsed = url ? safeUrl(url) : undefined;
    if (!parsed) continue;
    const login = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    const group = departmentRole(department);
    if (!PLAIN_IDENTIFIER.test(login)) {
      read.problem(`${variable} must name a login role of lower-case letters, digits and _ (got "${login}").`);
    } else if (login === adminUser) {
      read.problem(`${variable} connects as ${login}, the role DATABASE_URL bootstraps with: ${department === REGISTRY ? 'the registry' : 'a subgraph'} must have its own login role.`);
    } else if (/_rw$/.test(login)) {
      read.problem(`${variable} connects as ${login}: roles ending in _rw are the departments' groups, which cannot log in.`);
    }
    if (Buffer.byteLength(password) < MIN_PASSWORD_BYTES) {
      read.problem(`${variable} must carry a password of at least ${MIN_PASSWORD_BYTES} bytes.`);
    } else if (!/^[\x21-\x7e]+$/.test(password)) {
      // The SCRAM verifier is computed here; Postgres would SASLprep anything else first.
      read.problem(`${variable}'s password must be printable ASCII without spaces (e.g. openssl rand -hex 32).`);
    }
    const twin = logins.find((other) => other.login === login);
    if (twin) read.problem(`${variable} and ${departmentUrlVariable(twin.name)} both connect as ${login}: one login role per department and one for the registry.`);
    logins.push({ name: department, group, login, password });
  }
  if (production) {
    const passwords = [
      { name: 'the password in DATABASE_URL', value: adminUrl ? passwordIn(adminUrl) : undefined },
      ...logins.map((d) => ({ name: `the password in ${departmentUrlVariable(d.name)}`, value: d.password })),
    ];
    for (const problem of productionSecretProblems(passwords)) read.problem(problem);
  }
  try {
    read.done();
  } catch (error) {
    throw new BootstrapError('BOOTSTRAP_CONFIG', (error as Error).message);
  }
  return { adminUrl, logins, allGroups: registered.map(departmentRole) };
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A SCRAM-SHA-256 verifier, as Postgres stores it (RFC 5802/7677; 4096 iterations, its default). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export interface BootstrapResult {
  name: string;
  group: string;
  login: string;
  groupCreated: boolean;
  loginCreated: boolean;
  /** Other departments' groups the login was taken out of. */
  revoked: string[];
}

/** Serialises concurrent bootstraps on one database (replicas starting together). */
const LOCK_KEY = 'zigong:bootstrap';
const quote = (identifier: string) => `"${identifier}"`;

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolcanlogin: boolean;
}

export async function bootstrapRoles(config: BootstrapConfig): Promise<BootstrapResult[]> {
  const client = new Client({ connectionString: config.adminUrl, application_name: 'zigong-bootstrap' });
  try {
    await client.connect();
  } catch (error) {
    throw new BootstrapError('BOOTSTRAP_FAILED', `cannot connect to DATABASE_URL (${describe(error)}).`);
  }
  try {
    const results: BootstrapResult[] = [];
    for (const login of config.logins) results.push(await bootstrapOne(client, login, config.allGroups));
    return results;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function bootstrapOne(client: Client, d: DepartmentLogin, allGroups: string[]): Promise<BootstrapResult> {
  const role = async (name: string) =>
    (
      await client.query<RoleRow>(
        'SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1',
        [name],
      )
    ).rows[0];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_KEY]);

    // The group first: migrations grant it, and the login is made a member of it.
    const existingGroup = await role(d.group);
    if (!existingGroup) await createRole(client, `CREATE ROLE ${quote(d.group)} NOLOGIN`);
    else if (existingGroup.rolsuper) throw new Error(`the group ${d.group} is a superuser; refusing to use it`);
    else if (existingGroup.rolcanlogin) await client.query(`ALTER ROLE ${quote(d.group)} NOLOGIN`);

    const existingLogin = await role(d.login);
    const password = `'${scramVerifier(d.password)}'`; // base64, '$' and ':' only: nothing to escape
    if (existingLogin) {
      const excess = (['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls'] as const).filter((flag) => existingLogin[flag]);
      if (excess.length) {
        throw new Error(
          `the login role ${d.login} has ${excess.map((f) => f.replace(/^rol/, '').toUpperCase()).join(', ')}: a subgraph must connect as a plain role; use another name or remove them`,
        );
      }
      await client.query(`ALTER ROLE ${quote(d.login)} WITH LOGIN INHERIT PASSWORD ${password}`);
    } else {
      await createRole(client, `CREATE ROLE ${quote(d.login)} WITH LOGIN INHERIT PASSWORD ${password}`);
    }

    const memberOf = async () =>
      (
        await client.query<{ rolname: string }>(
          `SELECT g.rolname FROM pg_auth_members m
             JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
            WHERE u.rolname = $1 ORDER BY g.rolname`,
          [d.login],
        )
      ).rows.map((r) => r.rolname);
    const before = await memberOf();
    if (!before.includes(d.group)) await client.query(`GRANT ${quote(d.group)} TO ${quote(d.login)}`);
    const revoked = before.filter((g) => g !== d.group && allGroups.includes(g));
    for (const group of revoked) await client.query(`REVOKE ${quote(group)} FROM ${quote(d.login)}`);
    // Anything else the login inherits that reads every table defeats the separation.
    const broad = (
      await client.query<{ rolname: string }>(
        `SELECT rolname FROM pg_roles
          WHERE pg_has_role($1, oid, 'USAGE') AND rolname <> $1
            AND (rolsuper OR rolname IN ('pg_read_all_data', 'pg_write_all_data') OR (rolname LIKE '%\\_rw' AND rolname <> $2))`,
        [d.login, d.group],
      )
    ).rows.map((r) => r.rolname);
    if (broad.length) throw new Error(`the login role ${d.login} still inherits ${broad.join(', ')}; revoke that membership`);

    await client.query('COMMIT');
    return { name: d.name, group: d.group, login: d.login, groupCreated: !existingGroup, loginCreated: !existingLogin, revoked };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new BootstrapError('BOOTSTRAP_FAILED', `${d.name}: ${describe(error)}`);
  }
}

/** CREATE ROLE, tolerating another database's bootstrap having created it a moment ago (roles are per cluster). */
async function createRole(client: Client, sql: string): Promise<void> {
  await client.query('SAVEPOINT create_role');
  try {
    await client.query(sql);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw error; // duplicate_object, unique_violation
    await client.query('ROLLBACK TO SAVEPOINT create_role');
  }
  await client.query('RELEASE SAVEPOINT create_role');
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return error.errors.map(describe).join('; ');
  const err = error as NodeJS.ErrnoException;
  return err?.message || err?.code || String(error);
}

export function report(result: BootstrapResult): string {
  const group = `group ${result.group} ${result.groupCreated ? 'created' : 'present'}`;
  const login = `login ${result.login} ${result.loginCreated ? 'created' : 'present (password set again)'}`;
  const revoked = result.revoked.length ? `; taken out of ${result.revoked.join(', ')}` : '';
  return `${result.name}: ${group}, ${login}, member of ${result.group} only${revoked}`;
}

export function parseBootstrapArguments(args: string[]): string[] {
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.length) throw new BootstrapError('BOOTSTRAP_USAGE', `unknown option ${flags.join(', ')}.\n${USAGE}`);
  return args;
}

async function main(): Promise<void> {
  try {
    const config = loadBootstrapConfig(parseBootstrapArguments(process.argv.slice(2)));
    for (const result of await bootstrapRoles(config)) console.log(report(result));
    process.exit(0);
  } catch (error) {
    if (error instanceof BootstrapError) console.error(`${error.code}: ${error.message}`);
    else console.error('BOOTSTRAP_FAILED:', error);
    process.exit(error instanceof BootstrapError && error.code === 'BOOTSTRAP_USAGE' ? 2 : 1);
  }
}

if (require.main === module) void main();
