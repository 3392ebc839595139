import { freePort, ROOT } from '@zigong/cli';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SIGNING_SECRET } from './platform';

/**
 * A department's subgraph as its own process (`node subgraphs/<name>/dist/main.js`, the deployed
 * shape), so a test can SIGKILL it, freeze it (SIGSTOP) and start it again on the same port.
 * Runs the built dist: `npm test` builds first.
 */
export interface ChildSubgraph {
  name: string;
  url: string;
  port: number;
  pid(): number | undefined;
  /** Starts the process (again) on the same port; resolves once /ready answers 200. */
  start(): Promise<void>;
  /** Sends a signal; resolves once the process has exited (not for SIGSTOP/SIGCONT). */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after 5 s; safe to call when already stopped. */
  stop(): Promise<void>;
  /** What the process printed on stderr, for failure messages. */
  stderr(): string;
}

export async function spawnSubgraph(name: string, databaseUrl: string, { port, env = {} }: { port?: number; env?: Record<string, string> } = {}): Promise<ChildSubgraph> {
  const script = resolve(ROOT, 'subgraphs', name, 'dist', 'main.js');
  if (!existsSync(script)) throw new Error(`${script} does not exist: build the ${name} subgraph first (npm run build).`);
  const boundPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${boundPort}/graphql`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let errors = '';

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) throw new Error(`${name} is already running (pid ${child.pid}).`);
    // An IPC channel: the subgraph stops by itself if the test process dies (kit's onTermination).
    const proc = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: databaseUrl,
        PORT: String(boundPort),
        HOST: '127.0.0.1',
        SUBGRAPH_MODE: 'local',
        GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
        LOG_LEVEL: 'error',
        DB_POOL_SIZE: '5',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child = proc;
    proc.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString('utf8')).slice(-20_000)));
    exited = new Promise((done) => proc.once('exit', () => done()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${errors}`);
      try {
        if ((await fetch(new URL('/ready', url))).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`${name} was not ready at ${url} within 30 s:\n${errors}`);
  };

  const signal = async (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    if (sig !== 'SIGSTOP' && sig !== 'SIGCONT') await exited;
  };

  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const forced = setTimeout(() => child?.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(forced);
  };

  await start();
  return { name, url, port: boundPort, pid: () => child?.pid, start, signal, stop, stderr: () => errors };
}
