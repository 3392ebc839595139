import { runMain } from '@zigong/kit';
import { migrateRegistry } from '@zigong/registry';
import { randomBytes } from 'node:crypto';
import { loadLocalConfig } from './config';
import { openLocalDatabase } from './database';
import { prepareDatabase } from './platform';
import { launchServices, type Service, stopServices } from './processes';
import { readRegistry } from './registry';

/**
 * `npm start`: Postgres, migrations and reference data, then every department subgraph as its own
 * process (as deployed), the schema registry with each department published to it, and the
 * gateway polling the registry for its supergraph. One Ctrl-C stops all of it.
 */
runMain(async () => {
  const started = Date.now();
  const config = loadLocalConfig();
  const registry = readRegistry().map((entry) => ({ ...entry, routingUrl: config.subgraphUrls[entry.name] ?? entry.routingUrl }));
  const database = await openLocalDatabase(config);
  let services: Service[] = [];

  let stopping: Promise<void> | undefined;
  const stopAll = (code: number) =>
    (stopping ??= (async () => {
      await stopServices(services);
      await database.stop();
      process.exit(code);
    })());
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    for (const p of await prepareDatabase(database.url, registry)) {
      console.log(`${p.name}: ${p.migrations.length} migrations applied, ${p.seeded} reference rows added`);
    }
    console.log(`registry: ${(await migrateRegistry(database.url)).length} migrations applied`);
    // The registry's data is kept with the rest: a restart publishes what changed, the rest is unchanged.
    const launched = await launchServices({
      registry,
      databaseUrl: database.url,
      gatewayPort: config.gatewayPort,
      // Only the gateway can reach the subgraphs, locally too: a fresh shared secret each run.
      signingSecret: process.env.GATEWAY_SIGNING_SECRET ?? randomBytes(32).toString('hex'),
      env: { LOG_LEVEL: config.logLevel },
      schemaRegistry: { port: config.registryPort, databaseUrl: database.url, cachePath: config.supergraphCachePath, jwtSecret: config.jwtSecret },
    });
    const { gateway, subgraphs } = launched;
    services = [gateway, ...(launched.registry ? [launched.registry] : []), ...subgraphs];
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
        ...services.map((s) => `  ${s.name.padEnd(width)}  ${s.url}`),
        `  ${'data'.padEnd(width)}  ${database.description}`,
        '',
        `Query it:  curl -s ${gateway.url} -H 'content-type: application/json' -d '{"query":"{ regions(level: DISTRICT) { id name } }"}'`,
        ...(launched.registry
          ? [
              `Schemas:   ${new URL('/', launched.registry.url)} (the registry's pages); zigong subgraph list, zigong supergraph history;`,
              '           zigong subgraph publish <department> --schema <file> (the gateway follows)',
            ]
          : []),
        'Ctrl-C stops everything.',
      ].join('\n'),
    );
  } catch (error) {
    console.error((error as Error).message);
    await stopAll(1);
  }
});
