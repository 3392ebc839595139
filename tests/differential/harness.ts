import { composeServices } from '@apollo/composition';
import { type GatewayTestHooks, LOCAL_JWT_SECRET, loadGatewayConfig, mintToken, type RunningGateway, startGateway } from '@zigong/gateway';
import { type GraphQLSchema, parse } from 'graphql';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { LocatedFixture } from './fixtures';
import type { GeneratedQuery, Random } from './generate';

/** A fixture composed into a supergraph whose routing URLs are this process's subgraph servers. */
export interface PreparedFixture extends LocatedFixture {
  supergraphSdl: string;
  /** What clients see: the schema queries are generated from and validated against. */
  api: GraphQLSchema;
}

export function prepareFixture(fixture: LocatedFixture, urlOf: (fixture: string, subgraph: string) => string): PreparedFixture {
  const result = composeServices(
    Object.entries(fixture.subgraphs).map(([name, sdl]) => ({ name, typeDefs: parse(sdl), url: urlOf(fixture.name, name) })),
  );
  if (result.errors) {
    throw new Error(`Fixture ${fixture.name} (${fixture.file}) does not compose:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return { ...fixture, supergraphSdl: result.supergraphSdl, api: result.schema.toAPISchema().toGraphQLJSSchema() };
}

export interface StockGateways {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts stock-gateway.cjs (unpatched @apollo/gateway, one per fixture) in a child process with
 * our NODE_ENV, and waits for the URLs it prints.
 */
export async function startStockGateways(fixtures: PreparedFixture[], timeoutMs = 60_000): Promise<StockGateways> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [join(__dirname, 'stock-gateway.cjs')], {
    // Only what Node needs and our NODE_ENV: nothing else of ours (an APOLLO_KEY, say) leaks in.
    env: Object.fromEntries(Object.entries({ PATH: process.env.PATH, NODE_ENV: process.env.NODE_ENV }).filter(([, value]) => value !== undefined)),
    stdio: 'pipe',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`The stock gateways did not start within ${timeoutMs} ms.\n${stderr}`)), timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        for (const line of stdout.split('\n').slice(0, -1)) {
          try {
            const parsed = JSON.parse(line);
            if (parsed?.urls) {
              clearTimeout(timer);
              resolve(parsed.urls);
            }
          } catch {
            // a log line, not ours
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`The stock gateway process exited (${code}) before it was ready.\n${stderr}`));
      });
      child.stdin.write(`${JSON.stringify(fixtures.map(({ name, supergraphSdl }) => ({ name, supergraphSdl })))}\n`);
    });
    return { urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One configuration of our gateway the suite compares with stock. */
export interface Variant {
  name: string;
  directRoute: boolean;
  resultShaping: boolean;
  dedupe: boolean;
  hooks?: GatewayTestHooks;
}

export const VARIANTS: Variant[] = [
  { name: 'all shortcuts', directRoute: true, resultShaping: true, dedupe: true },
  { name: 'directRoute: false', directRoute: false, resultShaping: true, dedupe: true },
  { name: 'resultShaping: false', directRoute: true, resultShaping: false, dedupe: true },
  { name: 'dedupe: false', directRoute: true, resultShaping: true, dedupe: false },
];

/** Our gateway, in this process, on the fixture's supergraph (the subgraph URLs are its routing URLs). */
export function startVariant(supergraphSdl: string, variant: Variant, env: Record<string, string> = {}): Promise<RunningGateway> {
  const config = loadGatewayConfig({
    GATEWAY_MODE: 'local',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    MAX_DEPTH: '50',
    MAX_ALIASES: '1000',
    MAX_ROOT_FIELDS: '100',
    MAX_COST: '100000000',
    ...env,
  });
  const { directRoute, resultShaping, dedupe } = variant;
  return startGateway({ ...config, directRoute, resultShaping, dedupe, subgraphUrls: {} }, supergraphSdl, variant.hooks ?? {});
}

/** What a request sends: half of them with a bearer token (the direct route takes writes only with one). */
export interface DiffRequest {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  authorized: boolean;
}

/** The parts of an answer that must be the same: the status, `data` as bytes, and the errors. */
export interface Answer {
  status: number;
  data: string;
  /** `{message, path, code}` of each error, sorted (see `normalizeErrors`). */
  errors: string[];
}

// The test's own connections, closed when the suite ends (no handles left to jest).
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
export const closeClient = () => agent.destroy();

let token: Promise<string> | undefined;

/**
 * The order of errors is not part of the comparison: @apollo/gateway appends each fetch's errors
 * when that fetch completes, so two fetches running in parallel report in whichever order their
 * subgraphs answered, with or without our shortcuts.
 */
export function normalizeErrors(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e) => JSON.stringify({ ...subgraphHttpFailure(e), path: e?.path })).sort();
}

/**
 * The one wording that differs by design: a subgraph that answers the gateway with an HTTP error
 * (here only where the planner sends it a query it refuses) is stock's `400: Bad Request`
 * (RemoteGraphQLDataSource), and our SUBGRAPH_ERROR naming the department, the status and the
 * subgraph's own message (datasource.ts, README "Errors"). Both are compared as that failure and
 * its status; every other error by message and code.
 */
function subgraphHttpFailure(e: { message?: unknown; extensions?: { code?: unknown } }): { message: unknown; code: unknown } {
  const message = typeof e?.message === 'string' ? e.message : undefined;
  const code = e?.extensions?.code;
  const stock = message && /^(\d{3}): /.exec(message);
  const ours = message && (code === 'SUBGRAPH_ERROR' || code === 'SUBGRAPH_REFUSED') && /subgraph answered HTTP (\d{3})\b/.exec(message);
  const status = (stock || ours || [])[1];
  return status ? { message: `a subgraph answered HTTP ${status}`, code: 'SUBGRAPH_HTTP_FAILURE' } : { message: e?.message, code };
}

function send(url: string | URL, method: 'GET' | 'POST', headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The sum of a Prometheus counter or gauge on a gateway's /metrics, over the series that match `labels`. */
export async function scrapeMetric(graphqlUrl: string, name: string, labels: RegExp = /.*/): Promise<number> {
  const { text } = await send(new URL('/metrics', graphqlUrl), 'GET');
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name && labels.test(match[2] ?? '')) sum += Number(match[3]);
  }
  return sum;
}

export async function post(url: string, request: DiffRequest): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (request.authorized) headers.authorization = `Bearer ${await (token ??= mintToken(LOCAL_JWT_SECRET, { sub: 'differential', scope: '' }))}`;
  const { status, text } = await send(url, 'POST', headers, JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName }));
  let parsed: { data?: unknown; errors?: unknown } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object') return { status, data: `<not a JSON object: ${text.slice(0, 200)}>`, errors: [] };
  return { status, data: JSON.stringify(parsed.data) ?? '<no data>', errors: normalizeErrors(parsed.errors) };
}

/**
 * The requests of one fixture, in batches sent at once: each query, sometimes an identical twin
 * (dedupe shares one subgraph request between them) and sometimes a sibling that differs only in
 * its variables (dedupe must not share those).
 */
export function batchesOf(queries: GeneratedQuery[], random: Random, size = 8): DiffRequest[][] {
  const requests: DiffRequest[] = [];
  for (const { query, operationName, variables, alternateVariables } of queries) {
    const request = { query, operationName, variables, authorized: random.chance(0.5) };
    requests.push(request);
    if (random.chance(0.15)) requests.push({ ...request });
    if (alternateVariables && random.chance(0.3)) requests.push({ ...request, variables: alternateVariables });
  }
  const batches: DiffRequest[][] = [];
  for (let i = 0; i < requests.length; i += size) batches.push(requests.slice(i, i + size));
  return batches;
}

export interface Difference {
  fixture: PreparedFixture;
  variant: string;
  request: DiffRequest;
  stock: Answer;
  ours: Answer;
  what: string[];
}

function differs(stock: Answer, ours: Answer): string[] {
  const what: string[] = [];
  if (stock.status !== ours.status) what.push('status');
  if (stock.data !== ours.data) what.push('data');
  if (JSON.stringify(stock.errors) !== JSON.stringify(ours.errors)) what.push('errors');
  return what;
}

/** Sends every batch to stock and to each of our gateways at once, and collects every difference. */
export async function compareAll(
  fixture: PreparedFixture,
  batches: DiffRequest[][],
  stockUrl: string,
  targets: Array<{ variant: string; url: string }>,
): Promise<{ differences: Difference[]; requests: number }> {
  const differences: Difference[] = [];
  let requests = 0;
  for (const batch of batches) {
    const answers = await Promise.all(batch.map((request) => Promise.all([post(stockUrl, request), ...targets.map((t) => post(t.url, request))])));
    batch.forEach((request, i) => {
      const [stock, ...ours] = answers[i];
      requests++;
      ours.forEach((answer, j) => {
        const what = differs(stock, answer);
        if (what.length) differences.push({ fixture, variant: targets[j].variant, request, stock, ours: answer, what });
      });
    });
  }
  return { differences, requests };
}

const indent = (text: string, by = '    ') => text.replace(/^/gm, by);

function describeAnswer(answer: Answer): string {
  return `status ${answer.status}\n    data:   ${answer.data}\n    errors: ${answer.errors.length ? answer.errors.join('\n            ') : '(none)'}`;
}

/**
 * The failure message: a count by variant, then the first few requests that differ in full (the
 * query, its variables, stock's answer and each different answer of ours with the variants that
 * gave it), then the SDLs of the fixtures shown, and how to rerun.
 */
export function report(differences: Difference[], seed: string, shown = 3): string {
  const byVariant = new Map<string, number>();
  for (const d of differences) byVariant.set(d.variant, (byVariant.get(d.variant) ?? 0) + 1);
  // The same request usually differs with several variants: one entry per request.
  const byRequest = new Map<string, Difference[]>();
  for (const d of differences) {
    const key = JSON.stringify([d.fixture.name, d.request]);
    if (!byRequest.has(key)) byRequest.set(key, []);
    byRequest.get(key)!.push(d);
  }
  const lines = [
    `${differences.length} difference(s) in ${byRequest.size} request(s) between stock @apollo/gateway 2.14.4 and our gateway ` +
      `(${[...byVariant].map(([variant, n]) => `${n} with ${variant}`).join(', ')}); seed "${seed}", rerun with DIFF_SEED="${seed}".`,
  ];
  const fixtures = new Map<string, PreparedFixture>();
  [...byRequest.values()].slice(0, shown).forEach((group, i) => {
    const [{ fixture, request, stock }] = group;
    fixtures.set(fixture.name, fixture);
    lines.push(
      '',
      `--- request ${i + 1} of ${byRequest.size}: fixture ${fixture.name} (${fixture.file})`,
      `query:\n${indent(request.query)}`,
      `operationName: ${request.operationName ?? '(none)'}`,
      `variables: ${JSON.stringify(request.variables ?? null)}`,
      `authorization: ${request.authorized ? 'bearer token' : 'none'}`,
      `stock: ${describeAnswer(stock)}`,
    );
    const answers = new Map<string, Difference[]>();
    for (const d of group) {
      const key = JSON.stringify([d.ours.status, d.ours.data, d.ours.errors]);
      if (!answers.has(key)) answers.set(key, []);
      answers.get(key)!.push(d);
    }
    for (const same of answers.values()) {
      // A request sent twice (a twin) differs twice with the same variant: name each variant once.
      const variants = [...new Set(same.map((d) => d.variant))].join(', ');
      lines.push(`ours (${variants}; ${same[0].what.join(', ')} differ): ${describeAnswer(same[0].ours)}`);
    }
  });
  if (byRequest.size > shown) lines.push('', `... and ${byRequest.size - shown} more request(s).`);
  for (const fixture of fixtures.values()) {
    lines.push('', `=== fixture ${fixture.name} (${fixture.file}): ${fixture.covers}`);
    for (const [name, sdl] of Object.entries(fixture.subgraphs)) lines.push(`--- subgraph ${name}`, sdl.replace(/^ {8}/gm, ''));
  }
  return lines.join('\n');
}
