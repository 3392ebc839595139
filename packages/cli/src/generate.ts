import { runMain } from '@zigong/kit';
import { parseArgs } from 'node:util';
import { loadLocalConfig } from './config';
import { openLocalDatabase } from './database';
import { prepareDatabase } from './platform';
import { readRegistry } from './registry';

/**
 * `npm run data:generate -- --scale N`: N times the reference data, into its own database
 * (`zigong_x<N>`, or PG_DATABASE) so the scale-1 data of `npm start` stays as it is.
 */
runMain(async () => {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } } });
  const scale = Number(values.scale);
  if (!Number.isInteger(scale) || scale < 1 || scale > 1000) {
    console.error('--scale must be a whole number from 1 to 1000.');
    process.exit(2);
  }
  const config = loadLocalConfig({ PG_DATABASE: scale === 1 ? 'zigong' : `zigong_x${scale}`, ...process.env });
  const database = await openLocalDatabase(config);
  const started = performance.now();
  try {
    const registry = readRegistry();
    for (const [index, entry] of registry.entries()) {
      const departmentStarted = performance.now();
      process.stdout.write(`[${index + 1}/${registry.length}] ${entry.name}: loading ${scale}× reference data… `);
      const [prepared] = await prepareDatabase(database.url, [entry], { scale });
      console.log(`${prepared.seeded} rows in ${((performance.now() - departmentStarted) / 1000).toFixed(1)} s`);
    }
    console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${config.databaseName} on ${database.description}.`);
    if (!config.databaseUrl) console.log(`Serve it with: PG_DATABASE=${config.databaseName} npm start`);
  } finally {
    await database.stop();
  }
  process.exit(0);
});
