import { centsToDecimal, decimalToCents } from '@zigong/kit';
import { zigongDivisions } from '@zigong/reference-data';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Client } from 'pg';

/**
 * Load with invariants: concurrent clients mixing reads across every department with fund
 * allocations, for a bounded time, every answer classified; then the ledger checked against what
 * the clients were told. Used by the jest tests at small size (`load.e2e.test.ts`, the fault
 * tests) and by `load-cli.ts` (`npm run test:load`) at full size.
 */

/** Errors that name a department the gateway could not reach or that did not answer in time. */
export const DEGRADED_CODES: ReadonlySet<string> = new Set(['SUBGRAPH_UNAVAILABLE', 'SUBGRAPH_TIMEOUT']);

export interface LoadOptions {
  gatewayUrl: string;
  /** Bearer token with `finance:write`. */
  writeToken: string;
  /** The funds allocations are drawn from (see `createLoadFunds`). */
  fundIds: string[];
  /** How long clients keep sending; `stop` ends the run sooner. */
  durationMs: number;
  stop?: AbortSignal;
  clients: number;
  /** Share of requests that allocate, 0–1. */
  writeShare?: number;
  /** Largest allocation, in cents (each is 1 fen to this). */
  maxAmountCents?: number;
  /** A request still unanswered after this long is counted as hung and abandoned. */
  hangAfterMs?: number;
  seed?: number;
  /** Called with each finished request, e.g. to see when a fault starts showing. */
  onResult?(result: RequestResult): void;
}

export type Kind = 'organization' | 'agriculture' | 'finance' | 'tourism' | 'village page' | 'allocate';

/**
 * ok: complete answer. refused: an allocation refused with INSUFFICIENT_FUNDS only. degraded: every
 * error names a department that was unreachable or late (partial data). unexpected: anything else.
 * hung: no answer within `hangAfterMs`.
 */
export type Outcome = 'ok' | 'refused' | 'degraded' | 'unexpected' | 'hung';

export interface RequestResult {
  kind: Kind;
  outcome: Outcome;
  status: number;
  startedAt: number;
  latencyMs: number;
  /** `code@subgraph` of each error. */
  errors: string[];
  detail?: string;
}

export interface AllocationAttempt {
  purpose: string;
  fundId: string;
  cents: bigint;
  /** acknowledged: an id came back. refused: INSUFFICIENT_FUNDS. unknown: no clear answer (may or may not be applied). */
  verdict: 'acknowledged' | 'refused' | 'unknown';
  id?: string;
}

export interface LoadResult {
  runId: string;
  durationMs: number;
  requests: number;
  byOutcome: Record<Outcome, number>;
  byKind: Record<string, number>;
  statuses: Record<string, number>;
  /** `code@subgraph` → count, over degraded answers. */
  degraded: Record<string, number>;
  /** Up to 20 unexpected answers, for the report. */
  unexpected: RequestResult[];
  latency: { p50: number; p99: number; max: number };
  attempts: AllocationAttempt[];
  results: RequestResult[];
}

/** mulberry32: the same seed gives the same mix of requests. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reply {
  status: number;
  body?: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string; subgraph?: string; serviceName?: string } }> };
  text: string;
}

/** Keep-alive HTTP through node:http: cheap enough that the load generator leaves the CPU to the platform. */
function poster(url: string, agent: Agent, hangAfterMs: number) {
  const target = new URL(url);
  return (body: string, headers: Record<string, string>): Promise<Reply | 'hung'> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Reply['body'];
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        resolve('hung');
      }, hangAfterMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
}

const ALLOCATE = 'mutation Allocate($input: AllocateFundInput!) { allocateFund(input: $input) { id amount } }';

/** Read operations, one per department and one across all of them, each with what a complete answer holds. */
function readOperations(random: () => number) {
  const { regions, villages } = zigongDivisions();
  const areas = regions.filter((r) => r.level !== 'CITY').map((r) => r.code);
  const pick = <T,>(items: T[]) => items[Math.floor(random() * items.length)];
  return {
    organization: () => ({
      query: 'query Villages($region: ID) { villages(first: 20, regionId: $region) { totalCount edges { node { id name town { name } district { name } } } } }',
      variables: { region: pick(areas) },
      complete: (data: any) => typeof data?.villages?.totalCount === 'number',
    }),
    agriculture: () => ({
      query: 'query Parks($region: ID) { industrialParks(regionId: $region) { id name products projects { phase } } }',
      variables: { region: pick(areas) },
      complete: (data: any) => Array.isArray(data?.industrialParks),
    }),
    finance: () => ({
      query: 'query Summary($region: ID!) { collectiveIncomeSummary(year: 2024, regionId: $region) { villageCount total averagePerVillage } funds { id balance } }',
      variables: { region: pick(areas) },
      complete: (data: any) => typeof data?.collectiveIncomeSummary?.total === 'string' && Array.isArray(data?.funds),
    }),
    tourism: () => ({
      query: 'query Alliances { tourismAlliances { id name theme platforms { name } incomeContributions { year amount } } }',
      variables: {},
      complete: (data: any) => Array.isArray(data?.tourismAlliances),
    }),
    'village page': () => ({
      query: `query VillagePage($id: ID!) { village(id: $id) {
        name town { name } district { name } partyBranch { kind }
        industrialParks { name } collectiveIncome(year: 2024) { amount } fundAllocations { amount } tourismAlliances { name }
      } }`,
      variables: { id: pick(villages).code },
      complete: (data: any) => typeof data?.village?.name === 'string' && Array.isArray(data.village.fundAllocations) && Array.isArray(data.village.tourismAlliances),
    }),
  };
}

function classify(reply: Reply, complete: (data: any) => boolean, write: boolean): Pick<RequestResult, 'outcome' | 'errors' | 'detail'> {
  const errors = (reply.body?.errors ?? []).map((e) => `${e.extensions?.code ?? 'NO_CODE'}@${e.extensions?.subgraph ?? e.extensions?.serviceName ?? 'gateway'}`);
  if (reply.status >= 500 || !reply.body) return { outcome: 'unexpected', errors, detail: `HTTP ${reply.status}: ${reply.text.slice(0, 300)}` };
  const list = reply.body.errors ?? [];
  if (!list.length) {
    return reply.status === 200 && complete(reply.body.data) ? { outcome: 'ok', errors } : { outcome: 'unexpected', errors, detail: `incomplete answer: ${reply.text.slice(0, 300)}` };
  }
  if (write && list.every((e) => e.extensions?.code === 'INSUFFICIENT_FUNDS')) return { outcome: 'refused', errors };
  if (list.every((e) => DEGRADED_CODES.has(e.extensions?.code ?? '') && typeof e.extensions?.subgraph === 'string')) return { outcome: 'degraded', errors };
  return { outcome: 'unexpected', errors, detail: `HTTP ${reply.status}: ${reply.text.slice(0, 300)}` };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

/** Runs the load for `durationMs`, then waits for requests in flight (at most `hangAfterMs`). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { gatewayUrl, writeToken, fundIds, durationMs, clients, writeShare = 0.3, maxAmountCents = 2_000, hangAfterMs = 15_000, seed = 1 } = options;
  if (!fundIds.length) throw new Error('runLoad needs at least one fund to allocate from.');
  const runId = randomBytes(4).toString('hex');
  const random = seeded(seed);
  const reads = readOperations(random);
  const readKinds = Object.keys(reads) as Array<keyof typeof reads>;
  const { villages } = zigongDivisions();
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const post = poster(gatewayUrl, agent, hangAfterMs);
  const results: RequestResult[] = [];
  const attempts: AllocationAttempt[] = [];
  let sequence = 0;
  const started = Date.now();
  const deadline = started + durationMs;

  const one = async (): Promise<void> => {
    const write = random() < writeShare;
    const kind: Kind = write ? 'allocate' : readKinds[Math.floor(random() * readKinds.length)];
    let body: string;
    let headers: Record<string, string> = {};
    let complete: (data: any) => boolean;
    let attempt: AllocationAttempt | undefined;
    if (write) {
      const cents = BigInt(1 + Math.floor(random() * maxAmountCents));
      // The purpose names the attempt, so every ledger row can be traced to the request that made it.
      attempt = { purpose: `load ${runId} #${sequence++}`, fundId: fundIds[Math.floor(random() * fundIds.length)], cents, verdict: 'unknown' };
      const villageId = villages[Math.floor(random() * villages.length)].code;
      body = JSON.stringify({ query: ALLOCATE, variables: { input: { fundId: attempt.fundId, villageId, amount: centsToDecimal(cents), purpose: attempt.purpose } } });
      headers = { authorization: `Bearer ${writeToken}` };
      complete = (data) => typeof data?.allocateFund?.id === 'string' && data.allocateFund.amount === centsToDecimal(cents);
      attempts.push(attempt);
    } else {
      const operation = reads[kind as keyof typeof reads]();
      body = JSON.stringify({ query: operation.query, variables: operation.variables });
      complete = operation.complete;
    }
    const startedAt = Date.now();
    let result: RequestResult;
    try {
      const reply = await post(body, headers);
      const latencyMs = Date.now() - startedAt;
      if (reply === 'hung') result = { kind, outcome: 'hung', status: 0, startedAt, latencyMs, errors: [] };
      else {
        result = { kind, status: reply.status, startedAt, latencyMs, ...classify(reply, complete, write) };
        if (attempt && result.outcome === 'ok') {
          attempt.verdict = 'acknowledged';
          attempt.id = reply.body!.data!.allocateFund.id;
        } else if (attempt && result.outcome === 'refused') attempt.verdict = 'refused';
      }
    } catch (error) {
      result = { kind, outcome: 'unexpected', status: 0, startedAt, latencyMs: Date.now() - startedAt, errors: [], detail: `transport: ${(error as Error).message}` };
    }
    results.push(result);
    options.onResult?.(result);
  };

  const client = async () => {
    while (Date.now() < deadline && !options.stop?.aborted) await one();
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    agent.destroy();
  }

  const count = <K extends string>(keys: K[]) => keys.reduce((acc, key) => ((acc[key] = (acc[key] ?? 0) + 1), acc), {} as Record<K, number>);
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const degraded: Record<string, number> = {};
  for (const r of results) if (r.outcome === 'degraded') for (const e of r.errors) degraded[e] = (degraded[e] ?? 0) + 1;
  return {
    runId,
    durationMs: Date.now() - started,
    requests: results.length,
    byOutcome: Object.assign({ ok: 0, refused: 0, degraded: 0, unexpected: 0, hung: 0 }, count(results.map((r) => r.outcome))),
    byKind: count(results.map((r) => r.kind)),
    statuses: count(results.map((r) => String(r.status))),
    degraded,
    unexpected: results.filter((r) => r.outcome === 'unexpected').slice(0, 20),
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    attempts,
    results,
  };
}

/**
 * Funds for a load run, created through the gateway: small ones run dry during the run (so
 * INSUFFICIENT_FUNDS happens), a large one does not.
 */
export async function createLoadFunds(gatewayUrl: string, writeToken: string, totals: string[] = ['100.00', '1500.00', '1000000.00']): Promise<string[]> {
  const tag = randomBytes(4).toString('hex');
  const ids: string[] = [];
  for (const [index, totalAmount] of totals.entries()) {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${writeToken}` },
      body: JSON.stringify({
        query: 'mutation($input: CreateFundInput!) { createFund(input: $input) { id } }',
        variables: { input: { name: `负载测试资金 ${tag}-${index}`, sourceDepartment: '市财政局', totalAmount } },
      }),
    });
    const body = (await response.json()) as { data?: { createFund?: { id: string } }; errors?: unknown[] };
    if (!body.data?.createFund) throw new Error(`createFund failed: ${JSON.stringify(body.errors)}`);
    ids.push(body.data.createFund.id);
  }
  return ids;
}

export interface LedgerReport {
  acknowledged: number;
  refused: number;
  unknown: number;
  /** Attempts without a clear answer that Postgres shows were applied (once). */
  appliedUnacknowledged: number;
  rows: number;
  funds: Array<{ id: string; total: string; allocated: string; ledgerSum: string }>;
  /** Empty when every invariant holds. */
  problems: string[];
}

/**
 * The ledger after a run, against what the clients were told: every acknowledged allocation is in
 * finance.fund_allocation exactly once, with its amount and fund; no refused one is; no row of the
 * run's funds is unaccounted for or applied twice; each fund's allocated_amount is the sum of its
 * ledger and within its total. Also checks that sum for every fund in the database.
 */
export async function verifyLedger(databaseUrl: string, fundIds: string[], attempts: AllocationAttempt[]): Promise<LedgerReport> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; fund_id: string; amount: string; purpose: string }>(
      'SELECT id, fund_id, amount::text, purpose FROM finance.fund_allocation WHERE fund_id = ANY($1)',
      [fundIds],
    );
    const { rows: funds } = await client.query<{ id: string; total: string; allocated: string; ledger_sum: string }>(
      `SELECT f.id, f.total_amount::text AS total, f.allocated_amount::text AS allocated,
              coalesce((SELECT sum(a.amount) FROM finance.fund_allocation a WHERE a.fund_id = f.id), 0)::numeric(18,2)::text AS ledger_sum
         FROM finance.fund f ORDER BY f.id`,
    );
    const problems: string[] = [];
    const byPurpose = new Map<string, typeof rows>();
    for (const row of rows) byPurpose.set(row.purpose, [...(byPurpose.get(row.purpose) ?? []), row]);
    const attemptByPurpose = new Map(attempts.map((a) => [a.purpose, a]));
    let appliedUnacknowledged = 0;
    for (const attempt of attempts) {
      const applied = byPurpose.get(attempt.purpose) ?? [];
      if (applied.length > 1) problems.push(`${attempt.purpose} applied ${applied.length} times: ${applied.map((r) => r.id).join(', ')}`);
      const [row] = applied;
      if (attempt.verdict === 'acknowledged') {
        if (!row) problems.push(`acknowledged allocation ${attempt.id} (${attempt.purpose}) is missing from the ledger`);
        else if (row.id !== attempt.id || row.fund_id !== attempt.fundId || decimalToCents(row.amount) !== attempt.cents) {
          problems.push(`acknowledged allocation ${attempt.id} (${attempt.purpose}) differs in the ledger: ${JSON.stringify(row)}`);
        }
      } else if (attempt.verdict === 'refused' && row) problems.push(`refused allocation ${attempt.purpose} was applied as ${row.id}`);
      else if (attempt.verdict === 'unknown' && row) appliedUnacknowledged++;
    }
    for (const row of rows) if (!attemptByPurpose.has(row.purpose)) problems.push(`ledger row ${row.id} (${row.purpose}) matches no request of this run`);
    for (const fund of funds) {
      if (decimalToCents(fund.allocated) !== decimalToCents(fund.ledger_sum)) problems.push(`fund ${fund.id}: allocated_amount ${fund.allocated} ≠ ledger sum ${fund.ledger_sum}`);
      if (decimalToCents(fund.allocated) > decimalToCents(fund.total)) problems.push(`fund ${fund.id} over-allocated: ${fund.allocated} of ${fund.total}`);
    }
    const mine = new Set(fundIds);
    return {
      acknowledged: attempts.filter((a) => a.verdict === 'acknowledged').length,
      refused: attempts.filter((a) => a.verdict === 'refused').length,
      unknown: attempts.filter((a) => a.verdict === 'unknown').length,
      appliedUnacknowledged,
      rows: rows.length,
      funds: funds.filter((f) => mine.has(f.id)).map((f) => ({ id: f.id, total: f.total, allocated: f.allocated, ledgerSum: f.ledger_sum })),
      problems,
    };
  } finally {
    await client.end();
  }
}

/** One line for logs and reports. */
export function summarize(result: LoadResult, ledger?: LedgerReport): string {
  const o = result.byOutcome;
  const parts = [
    `${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s (${Math.round(result.requests / (result.durationMs / 1000))}/s)`,
    `ok ${o.ok}, refused ${o.refused}, degraded ${o.degraded}, unexpected ${o.unexpected}, hung ${o.hung}`,
    `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
  ];
  if (ledger) {
    parts.push(
      `allocations: ${ledger.acknowledged} acknowledged, ${ledger.refused} refused (INSUFFICIENT_FUNDS), ${ledger.unknown} without a clear answer ` +
        `(${ledger.appliedUnacknowledged} of them applied); ${ledger.rows} ledger rows verified, ${ledger.problems.length} problems`,
    );
  }
  return parts.join('; ');
}
