import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '@zigong/cli';

/**
 * A throw-away copy of the repository, committed in a git repository of its own, so a lifecycle
 * tool can run in it for real and `git status` shows exactly what the tool changed. It shares the
 * real node_modules (symlinks: the root's and those of workspaces that have their own, such as
 * lru-cache in a version the root does not hold) and the built dist/ folders, so nothing is
 * installed or rebuilt.
 */
export interface RepositoryCopy {
  root: string;
  /** Runs a command in the copy and returns its result; never throws on a non-zero exit. */
  run(command: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  /** `git status --porcelain` of the copy, one path per entry. */
  changedPaths(): string[];
  remove(): void;
}

export function copyRepository(): RepositoryCopy {
  const root = mkdtempSync(join(tmpdir(), 'zigong-lifecycle-'));
  try {
    // The working tree as it would be committed: tracked files plus new ones not ignored, so a
    // department that is registered but not yet committed comes along with its registry entry.
    const listed = git(ROOT, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).stdout.split('\0').filter(Boolean);
    for (const file of listed) {
      const source = join(ROOT, file);
      if (!existsSync(source)) continue;
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(source, join(root, file));
    }
    for (const pkg of ['gateway', 'packages/cli', ...readdirSync(join(ROOT, 'subgraphs')).map((name) => `subgraphs/${name}`)]) {
      if (existsSync(join(ROOT, pkg, 'dist')) && existsSync(join(root, pkg))) cpSync(join(ROOT, pkg, 'dist'), join(root, pkg, 'dist'), { recursive: true });
    }
    for (const folder of ['.', ...workspaceFolders()]) {
      if (existsSync(join(ROOT, folder, 'node_modules')) && existsSync(join(root, folder))) {
        symlinkSync(join(ROOT, folder, 'node_modules'), join(root, folder, 'node_modules'), 'dir');
      }
    }
    check(git(root, ['init', '-q']));
    // .gitignore's `node_modules/` matches folders only, and here they are symlinks.
    appendFileSync(join(root, '.git', 'info', 'exclude'), 'node_modules\n');
    check(git(root, ['add', '-A']));
    check(git(root, ['-c', 'user.name=lifecycle test', '-c', 'user.email=test@localhost', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'copy']));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    run: (command, args, env = {}) => spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 }),
    changedPaths: () =>
      check(git(root, ['status', '--porcelain', '--untracked-files=all']))
        .stdout.split('\n')
        .filter(Boolean)
        .map((line) => line.slice(3)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The repository's workspace folders, relative to its root (`dir/*` globs expanded). */
function workspaceFolders(): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };
  return workspaces.flatMap((pattern) =>
    pattern.endsWith('/*') ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
  );
}

function git(cwd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' } });
}

function check(result: SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  if (result.status !== 0) throw new Error(`git failed (${result.status}): ${result.stderr}`);
  return result;
}

export interface CopyPlatform {
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: any[] }>;
  stop(): Promise<void>;
}

/**
 * Starts the copy's platform as `npm start` does (every registered department as its own process,
 * from its dist/, then the gateway on the copy's composed supergraph), on the given database and
 * free ports. The runner is a child of this test process and takes its services down with it.
 */
export async function startCopyPlatform(copy: RepositoryCopy, databaseUrl: string): Promise<CopyPlatform> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'run-platform.cjs'), copy.root, databaseUrl], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = await Promise.race([
    new Promise<{ gateway: string; subgraphs: Record<string, string> }>((done) => child.once('message', (message) => done(message as never))),
    exited.then((code) => {
      throw new Error(`The copy's platform exited (code ${code}) before it was up:\n${output.join('').slice(-4000)}`);
    }),
  ]);
  return {
    gatewayUrl: ready.gateway,
    subgraphUrls: ready.subgraphs,
    query: async (query, variables, headers = {}) => {
      const response = await fetch(ready.gateway, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as never;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
