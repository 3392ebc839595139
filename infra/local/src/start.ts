import { runMain } from '@zigong/kit';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadLocalConfig } from './config';
import { openLocalDatabase } from './database';
import { ROOT } from './paths';
import { prepareDatabase } from './platform';
import { readRegistry } from './registry';

interface Service {
  name: string;
  url: string;
  probe: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * `npm start`: Postgres, migrations and reference data, then every department subgraph as its own
 * process (as deployed) and the gateway. One Ctrl-C stops all of it.
 */
runMain(async () => {
  const started = Date.now();
  const config = loadLocalConfig();
  const registry = readRegistry();
  const database = await openLocalDatabase(config);
  const services: Service[] = [];

  let stopping: Promise<void> | undefined;
  const stopAll = (code: number) =>
    (stopping ??= (async () => {
      for (const service of services) service.child.kill('SIGTERM');
      const forced = setTimeout(() => services.forEach((s) => s.child.kill('SIGKILL')), 10_000);
      await Promise.all(services.map((s) => s.exited));
      clearTimeout(forced);
      await database.stop();
      process.exit(code);
    })());
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const prepared = await prepareDatabase(database.url, registry);
    for (const p of prepared) {
      console.log(`${p.name}: ${p.migrations.length} migrations applied, ${p.seeded} reference rows added`);
    }
    // Only the gateway can reach the subgraphs, locally too: a fresh shared secret each run.
    const signingSecret = process.env.GATEWAY_SIGNING_SECRET ?? randomBytes(32).toString('hex');
    const env = { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: config.logLevel, GATEWAY_SIGNING_SECRET: signingSecret };
    for (const entry of registry) {
      const url = new URL(entry.routingUrl);
      const script = resolve(ROOT, 'subgraphs', entry.name, 'dist', 'main.js');
      services.push(spawnService(entry.name, script, entry.routingUrl, new URL('/ready', url).toString(), { ...env, PORT: url.port, HOST: url.hostname }));
    }
    await Promise.all(services.map((service) => waitUntilUp(service)));
    const gatewayUrl = `http://127.0.0.1:${config.gatewayPort}/graphql`;
    const gateway = spawnService('gateway', resolve(ROOT, 'gateway', 'dist', 'main.js'), gatewayUrl, `http://127.0.0.1:${config.gatewayPort}/health`, {
      ...env,
      GATEWAY_PORT: String(config.gatewayPort),
    });
    services.push(gateway);
    await waitUntilUp(gateway);
    for (const service of services) {
      void service.exited.then((code) => {
        if (stopping) return;
        console.error(`${service.name} exited unexpectedly (code ${code}); stopping everything.`);
        void stopAll(1);
      });
    }
    const width = Math.max(...services.map((s) => s.name.length));
    console.log(
      [
        '',
        `Zigong collective-economy graph is up in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
        ...[gateway, ...services.filter((s) => s !== gateway)].map((s) => `  ${s.name.padEnd(width)}  ${s.url}`),
        `  ${'data'.padEnd(width)}  ${database.description}`,
        '',
        `Query it:  curl -s ${gatewayUrl} -H 'content-type: application/json' -d '{"query":"{ regions(level: DISTRICT) { id name } }"}'`,
        'Ctrl-C stops everything.',
      ].join('\n'),
    );
  } catch (error) {
    console.error((error as Error).message);
    await stopAll(1);
  }
});

function spawnService(name: string, script: string, url: string, probe: string, env: NodeJS.ProcessEnv): Service {
  // Detached: a Ctrl-C reaches only this runner, which then stops each service once, in order.
  const child = spawn(process.execPath, [script], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { name, url, probe, child, exited };
}

async function waitUntilUp(service: Service, timeoutMs = 60_000): Promise<void> {
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited (code ${exitCode}) before it was ready.`);
    try {
      if ((await fetch(service.probe)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${service.name} was not ready at ${service.probe} within ${timeoutMs / 1000} s.`);
}
