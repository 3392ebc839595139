import { LOCAL_JWT_SECRET, mintToken } from '@zigong/gateway';
import { encodeIdentity, IDENTITY_HEADER, runMain, SIGNATURE_HEADER, signRequest } from '@zigong/kit';
import {
  ensureDatabase,
  freePort,
  GATEWAY_NODE_OPTIONS,
  launchServices,
  prepareDatabase,
  readRegistry,
  ROOT,
  type Service,
  spawnService,
  startEmbeddedPostgres,
  stopServices,
  SUPERGRAPH_PATH,
  API_SCHEMA_PATH,
} from '@zigong/local';
import { buildSchema, parse, validate } from 'graphql';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { processTree, watch, type Watched } from './proc';
import { evaluateTargets, type Measurement, writeReport } from './report';
import { benchData, SCENARIOS, type Scenario } from './scenarios';

const OURS = 'zigong';
const CACHED = 'zigong + response cache';
const CACHED_PORT = 4300;
const HIVE = 'Hive Gateway';
const HIVE_NO_DEDUPE = 'Hive Gateway, no dedupe';
const CONTENDERS_DIR = resolve(ROOT, 'bench', 'contenders');
const HIVE_BIN = resolve(CONTENDERS_DIR, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');
const STOCK = 'stock @apollo/gateway';
const DIRECT = 'subgraph direct';
const STOCK_PORT = 4100;

interface Contender {
  name: string;
  url: string;
  /** Node processes whose CPU is charged to this contender's requests. */
  pids: () => number[];
  /** How a writer proves who it is: a bearer token to our gateway, the identity header to the others. */
  writer: Record<string, string>;
  /** Set where the bench itself must sign, as a gateway would (a subgraph asked directly). */
  signingSecret?: string;
}

/** What a load or a check sends to a contender for a scenario. */
interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  signingSecret?: string;
}

const targetOf = (contender: Contender, scenario: Scenario): LoadTarget => ({
  url: contender.url,
  headers: scenario.mutation ? contender.writer : {},
  signingSecret: contender.signingSecret,
});

/** The bench's writer, allowed to allocate funds. */
const WRITER = { sub: 'bench', scopes: ['finance:write'] };

/**
 * `npm run bench [-- --quick]`: starts the platform on its own Postgres, checks that every
 * contender answers the same, then alternates them (A B A B …) under the same varied load and
 * reports throughput, latency, CPU and memory per process, and SQL statements per request.
 */
runMain(async () => {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string', default: '16' },
      'large-scale': { type: 'string', default: '100' },
      'no-hive': { type: 'boolean', default: false },
    },
  });
  const quick = values.quick!;
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const duration = Number(values.duration ?? (quick ? 5 : 10));
  const connections = Number(values.connections);
  const largeScale = Number(values['large-scale']);
  const registry = readRegistry();
  const api = buildSchema(readFileSync(API_SCHEMA_PATH, 'utf8'));
  const scenarios = SCENARIOS.filter((s) => {
    const problems = validate(api, parse(s.query));
    if (problems.length) console.log(`skipping ${s.name}: ${problems[0].message}`);
    return problems.length === 0;
  });

  const dataDir = mkdtempSync(join(tmpdir(), 'zigong-bench-pg-'));
  rmSync(dataDir, { recursive: true });
  const pgPort = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir, port: pgPort, flags: ['-c', 'shared_preload_libraries=pg_stat_statements'] });
  const postgresPids = () => processTree(pg.pid!);
  let services: Service[] = [];
  const cleanup = async () => {
    await stopServices(services);
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const started = performance.now();
    const url1 = await prepare(pg.url, 'bench_x1', 1, registry);
    console.log(`data at 1× loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // As deployed: the image sets NODE_ENV=production (graphql-js skips its development checks),
    // and the subgraphs answer only signed requests, so every gateway here signs its own.
    const signingSecret = randomBytes(32).toString('hex');
    const env = { LOG_LEVEL: 'warn', NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: signingSecret };
    const launched = await launchServices({ registry, databaseUrl: url1, gatewayPort: 4000, env, signingSecret, output: () => undefined });
    const stock = spawnService('stock', resolve(__dirname, 'stock-gateway.js'), `http://127.0.0.1:${STOCK_PORT}/`, '', {
      ...process.env,
      PORT: String(STOCK_PORT),
      SUPERGRAPH_PATH,
      GATEWAY_SIGNING_SECRET: signingSecret,
    }, () => undefined);
    // Our gateway again with the opt-in response cache (2 s), reported beside the default one.
    const cached = spawnService('cached', resolve(ROOT, 'gateway/dist/main.js'), `http://127.0.0.1:${CACHED_PORT}/graphql`, '', {
      ...process.env,
      ...env,
      GATEWAY_PORT: String(CACHED_PORT),
      RESPONSE_CACHE_TTL_MS: '2000',
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS,
    }, () => undefined);
    const hives = values['no-hive'] ? [] : await startHive(env);
    services = [launched.gateway, stock, cached, ...hives.map((h) => h.service), ...launched.subgraphs];
    await waitForGraphQL(stock.url);
    await waitForGraphQL(cached.url);
    for (const hive of hives) await waitForGraphQL(hive.service.url);
    const subgraphPids = Object.fromEntries(launched.subgraphs.map((s) => [s.name, s.child.pid!]));
    const bearer = { authorization: `Bearer ${await mintToken(LOCAL_JWT_SECRET, { sub: WRITER.sub, scope: WRITER.scopes.join(' '), expiresIn: '6h' })}` };
    const identity = { [IDENTITY_HEADER]: encodeIdentity(WRITER) };
    const contenders = (scenario: Scenario): Contender[] => [
      { name: OURS, url: launched.gateway.url, pids: () => [launched.gateway.child.pid!], writer: bearer },
      { name: STOCK, url: stock.url, pids: () => [stock.child.pid!], writer: identity },
      { name: CACHED, url: cached.url, pids: () => [cached.child.pid!], writer: bearer },
      ...hives.map((hive) => ({ name: hive.name, url: hive.service.url, pids: () => processTree(hive.service.child.pid!), writer: identity })),
      ...(scenario.direct
        ? [{ name: DIRECT, url: registry.find((r) => r.name === scenario.direct)!.routingUrl, pids: () => [], writer: identity, signingSecret }]
        : []),
    ];
    const funds: string[] = (await post(launched.gateway.url, { query: '{ funds { id } }' })).json.data.funds.map((f: { id: string }) => f.id);
    const groups = (contender: Contender): Watched[] => [
      { name: 'gateway', pids: contender.pids },
      ...launched.subgraphs.map((s) => ({ name: s.name, pids: () => [subgraphPids[s.name]] })),
      { name: 'postgres', pids: postgresPids },
    ];

    const checks = await checkSameAnswers(scenarios, contenders, funds);
    const dashboardStatements = await statementsPerDashboard(launched.gateway.url, url1, 1);
    const measurements: Measurement[] = [];
    for (const scenario of scenarios) {
      for (const c of contenders(scenario)) await load(targetOf(c, scenario), scenario, { scale: 1, funds, duration: 1, connections });
    }
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of scenarios) {
        for (const contender of contenders(scenario)) {
          const statementsBefore = await statementCount(url1);
          const usage = watch(groups(contender));
          const result = await load(targetOf(contender, scenario), scenario, { scale: 1, funds, duration, connections });
          const used = usage.stop();
          const statements = (await statementCount(url1)) - statementsBefore;
          measurements.push({ scenario: scenario.name, contender: contender.name, round, ...result, statements, ...used });
          console.log(
            `round ${round} ${scenario.name.padEnd(13)} ${contender.name.padEnd(22)} ${(result.requests / result.duration).toFixed(0).padStart(6)} req/s  p99 ${result.p99} ms`,
          );
        }
      }
    }
    await stopServices(services);
    services = [];

    const large = await largeScaleChecks(pg.url, registry, largeScale, connections, quick);
    const startup = await startupTime(pg, dataDir, pgPort);
    const targets = evaluateTargets(measurements, large, startup, dashboardStatements);
    writeReport({ quick, rounds, duration, connections, scenarios, checks, measurements, large, startup, targets, dashboardStatements });
  } finally {
    await cleanup();
  }
  process.exit(0);
});

/**
 * Hive Gateway on the same supergraph and subgraphs, with its defaults and with in-flight
 * deduplication off. Installed on first use into bench/contenders (npm ci there), because it
 * would add ~500 MB and over a minute to every install of the platform.
 */
async function startHive(env: Record<string, string>): Promise<Array<{ name: string; service: Service }>> {
  if (!existsSync(HIVE_BIN)) {
    console.log('installing Hive Gateway for the comparison into bench/contenders (once; about 500 MB)…');
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: CONTENDERS_DIR, stdio: 'inherit' });
    if (installed.status !== 0) throw new Error('npm ci in bench/contenders failed; run the bench with --no-hive to leave Hive Gateway out.');
  }
  return [
    { name: HIVE, port: 4500, dedupe: 'on' },
    { name: HIVE_NO_DEDUPE, port: 4501, dedupe: 'off' },
  ].map(({ name, port, dedupe }) => ({
    name,
    service: spawnService(name, HIVE_BIN, `http://127.0.0.1:${port}/graphql`, '', {
      ...process.env,
      ...env,
      HIVE_DEDUPE: dedupe,
      NODE_ENV: 'production',
    }, () => undefined, ['supergraph', SUPERGRAPH_PATH, '--host', '127.0.0.1', '--port', String(port)], CONTENDERS_DIR),
  }));
}

async function prepare(serverUrl: string, name: string, scale: number, registry: ReturnType<typeof readRegistry>): Promise<string> {
  const url = await ensureDatabase(serverUrl, name);
  await prepareDatabase(url, registry, { scale });
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await client.query('ANALYZE');
  await client.end();
  return url;
}

/** Statements run against a database so far (pg_stat_statements), not counting this query. */
async function statementCount(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%' AND s.query NOT IN ('SELECT 1', 'BEGIN', 'COMMIT')`,
  );
  await client.end();
  return Number(rows[0].n);
}

function load(target: LoadTarget, scenario: Scenario, options: { scale: number; funds: string[]; duration: number; connections: number }) {
  return new Promise<{ requests: number; duration: number; p50: number; p99: number; errors: number; non2xx: number }>((done, fail) => {
    execFile(
      process.execPath,
      [resolve(__dirname, 'load.js'), JSON.stringify({ ...target, scenario: scenario.name, ...options })],
      { maxBuffer: 1 << 20 },
      (error, stdout) => (error ? fail(error) : done(JSON.parse(stdout))),
    );
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}, signingSecret?: string): Promise<{ status: number; json: any }> {
  const text = JSON.stringify(body);
  const signature: Record<string, string> = signingSecret ? { [SIGNATURE_HEADER]: signRequest(signingSecret, text) } : {};
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...signature }, body: text });
  return { status: response.status, json: await response.json() };
}

async function waitForGraphQL(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await post(url, { query: '{ __typename }' })).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** Before timing anything: every contender returns the same data for the same requests. */
async function checkSameAnswers(scenarios: Scenario[], contenders: (s: Scenario) => Contender[], funds: string[]) {
  const data = benchData(1, funds);
  const checks: Array<{ scenario: string; same: boolean; detail?: string }> = [];
  for (const scenario of scenarios) {
    let detail: string | undefined;
    for (let i = 0; i < 5 && !detail; i++) {
      const body = { query: scenario.query, variables: scenario.variables(i, data) };
      const answers = await Promise.all(
        contenders(scenario).map(async (c) => {
          const { url, headers, signingSecret } = targetOf(c, scenario);
          return { name: c.name, ...(await post(url, body, headers, signingSecret)) };
        }),
      );
      const [first, ...rest] = answers;
      if (first.json.errors) detail = `${first.name} answered errors: ${JSON.stringify(first.json.errors).slice(0, 200)}`;
      for (const other of rest) {
        if (JSON.stringify(other.json.data) !== JSON.stringify(first.json.data)) detail = `${other.name} differs from ${first.name}`;
      }
    }
    checks.push({ scenario: scenario.name, same: !detail, detail });
    console.log(`check ${scenario.name}: ${detail ?? 'every contender returns the same data'}`);
  }
  return checks;
}

/** SQL statements per dashboard request, one request at a time (warm pools, no load), at a scale. */
async function statementsPerDashboard(gatewayUrl: string, databaseUrl: string, scale: number): Promise<number> {
  const dashboard = SCENARIOS.find((s) => s.name === 'dashboard')!;
  const data = benchData(scale);
  for (let i = 0; i < 3; i++) await post(gatewayUrl, { query: dashboard.query, variables: dashboard.variables(i, data) });
  const before = await statementCount(databaseUrl);
  for (let i = 0; i < 10; i++) await post(gatewayUrl, { query: dashboard.query, variables: dashboard.variables(i, data) });
  return ((await statementCount(databaseUrl)) - before) / 10;
}

/** At the large scale: SQL statements per dashboard request and the city summary's latency. */
async function largeScaleChecks(serverUrl: string, registry: ReturnType<typeof readRegistry>, scale: number, connections: number, quick: boolean) {
  const started = performance.now();
  const url = await prepare(serverUrl, `bench_x${scale}`, scale, registry);
  const loadSeconds = (performance.now() - started) / 1000;
  const signingSecret = randomBytes(32).toString('hex');
  const env = { LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const launched = await launchServices({ registry, databaseUrl: url, gatewayPort: 4000, env, signingSecret, output: () => undefined });
  try {
    const byName = Object.fromEntries(SCENARIOS.map((s) => [s.name, s]));
    const dashboardStatements = await statementsPerDashboard(launched.gateway.url, url, scale);
    const target = { url: launched.gateway.url, headers: {} };
    const summary = await load(target, byName['city-summary'], { scale, funds: [], duration: quick ? 5 : 10, connections: Math.min(4, connections) });
    console.log(`at ${scale}×: ${dashboardStatements} statements per dashboard, city summary p50 ${summary.p50} ms (data loaded in ${loadSeconds.toFixed(1)} s)`);
    return { scale, loadSeconds, dashboardStatements, citySummaryP50: summary.p50, citySummaryErrors: summary.errors + summary.non2xx };
  } finally {
    await stopServices([launched.gateway, ...launched.subgraphs]);
  }
}

/** `npm start` to first answer with the data already present (the 1× database, embedded Postgres). */
async function startupTime(pg: { stop(): Promise<void> }, dataDir: string, pgPort: number): Promise<number> {
  await pg.stop();
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'infra/local/dist/start.js')], {
    env: { ...process.env, PG_DATA_DIR: dataDir, PG_PORT: String(pgPort), PG_DATABASE: 'bench_x1', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    await waitForGraphQL('http://127.0.0.1:4000/graphql');
    return (performance.now() - started) / 1000;
  } finally {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGINT');
    await exited;
  }
}
