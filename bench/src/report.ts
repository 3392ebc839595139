import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@zigong/cli';
import type { LoadResult } from './load';
import { bootstrapMedian, clears, type Interval } from './stats';
import { MIN_UNIVERSE, seedOf, ZIPF_S } from './traffic';

/** Rounds of a full run: with 8, the bootstrap interval of a median is narrow enough to judge by. */
export const FULL_ROUNDS = 8;
/** Seconds per run of a full run: 8 × 5 s took 82 minutes here; the intervals come from the rounds. */
export const FULL_DURATION = 5;

/** The contenders, by the names the report and the targets use. */
export const OURS = 'zigong';
export const OURS_AA = 'zigong (A/A repeat)';
export const OURS_NO_DEDUPE = 'zigong, DEDUPE=false';
/** Tracing configured and exporting OTLP, sampling nothing, a tenth, or every request (issue #30: ≤ 3%, 10%, 30% of req/s). */
export const OURS_TRACE_NONE = 'zigong, tracing on, nothing sampled';
export const OURS_TRACE_TENTH = 'zigong, tracing on, 10% sampled';
export const OURS_TRACED = 'zigong, tracing on, every request sampled';
export const TRACING_TARGETS: Array<{ contender: string; maxCost: number }> = [
  { contender: OURS_TRACE_NONE, maxCost: 0.03 },
  { contender: OURS_TRACE_TENTH, maxCost: 0.1 },
  { contender: OURS_TRACED, maxCost: 0.3 },
];
/** Ours reporting usage to a schema registry (issue #28), with the client headers the traffic carries. */
export const OURS_USAGE = 'zigong, usage reporting on';
export const CACHED = 'zigong + response cache (not judged)';
export const STOCK = 'stock @apollo/gateway';
export const HIVE = 'Hive Gateway';
export const HIVE_NO_DEDUPE = 'Hive Gateway, no dedupe';
export const HIVE_RUST = 'Hive Gateway, Rust planner';
export const DIRECT = 'subgraph direct';
/** Every row that is our gateway: its errors fail "no errors", its memory counts against the RSS target. */
const OUR_ROWS = [OURS, OURS_AA, OURS_NO_DEDUPE, OURS_TRACE_NONE, OURS_TRACE_TENTH, OURS_TRACED, OURS_USAGE, CACHED];
/** Issue #28's cost criterion for usage reporting: at most this share of req/s, and this much more gateway memory. */
export const USAGE_MAX_RPS_COST = 0.05;
export const USAGE_MAX_MEMORY_MB = 16;

/** What a contender's subgraphs counted over a run (their /metrics): requests, and the compiled path's outcomes. */
export interface SubgraphCounters {
  requests: number;
  hits: number;
  misses: number;
  ineligible: number;
}

/** A contender below this share of compiled subgraph queries fails the run: its rivals' numbers would not be comparable. */
export const MIN_COMPILED_SHARE = 0.95;

/** One load run of one contender on one scenario (round 0: the warm-up, counted only for errors). */
export interface Measurement extends LoadResult {
  scenario: string;
  contender: string;
  round: number;
  /** closed: throughput (judged on req/s and CPU); open: a fixed rate (judged on latency). */
  phase: 'closed' | 'open';
  statements: number;
  subgraph: SubgraphCounters;
  /** CPU seconds by process group (gateway, each subgraph, postgres) over the run. */
  cpu: Record<string, number>;
  peakRssMb: Record<string, number>;
}

/** What a run comes to per request. */
export interface Derived {
  rps: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per request, by process group. */
  cpu: Record<string, number>;
  gatewayCpu: number;
  nodeCpu: number;
  postgresCpu: number;
  nodeOverPostgres: number;
  sql: number;
  errors: number;
  distinctShare: number;
}

export function derive(m: Measurement): Derived {
  const n = Math.max(1, m.requests);
  const cpu = Object.fromEntries(Object.entries(m.cpu).map(([group, seconds]) => [group, (seconds * 1000) / n]));
  const nodeCpu = Object.entries(cpu).reduce((sum, [group, ms]) => (group === 'postgres' ? sum : sum + ms), 0);
  return {
    rps: m.requests / m.duration,
    p50: m.p50,
    p99: m.p99,
    cpu,
    gatewayCpu: cpu.gateway ?? 0,
    nodeCpu,
    postgresCpu: cpu.postgres ?? 0,
    nodeOverPostgres: cpu.postgres ? nodeCpu / cpu.postgres : Infinity,
    sql: m.statements / n,
    errors: m.socketErrors + m.timeouts + m.failedAnswers,
    distinctShare: m.requests ? m.distinct / m.requests : 0,
  };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export interface Summary {
  scenario: string;
  contender: string;
  rounds: number;
  /** Closed loop (throughput): req/s, autocannon's latencies (not judged), CPU per request. */
  rps: Spread;
  p50: Spread;
  p99: Spread;
  gatewayCpu: Spread;
  nodeCpu: Spread;
  postgresCpu: Spread;
  /** CPU ms per request by process group over every timed round together. */
  cpu: Record<string, number>;
  sql: number;
  /** Every error of every run, the warm-up and the open loop included. */
  errors: number;
  errorCodes: Record<string, number>;
  errorExamples: Record<string, string>;
  distinctShare: Spread;
  distinct: Spread;
  universe: number;
  peakRssMb: number;
  /** The compiled path's share of the subgraph queries it could compile (closed loop), where any were eligible. */
  compiledShare?: number;
  /** Subgraph requests per client request, and subgraph CPU ms per subgraph request (closed loop). */
  subgraphRequests: number;
  subgraphCpuPerRequest: number;
  /** The load generator's CPU seconds per run, median (a saturated generator would show near the run's length). */
  loadCpu: Spread;
  /** Open loop, where it ran: the rate and the latencies from intended send times, ms. */
  open?: { rate: number; p50: Spread; p99: Spread; p999: Spread; rps: Spread };
}

/** The order rows are reported in: ours and its variants, then the rivals. */
/** Every contender's name, in the order the report's rows take. */
export const ROW_ORDER = [OURS, OURS_AA, OURS_NO_DEDUPE, OURS_TRACE_NONE, OURS_TRACE_TENTH, OURS_TRACED, OURS_USAGE, STOCK, HIVE, HIVE_NO_DEDUPE, HIVE_RUST, CACHED, DIRECT];

export function summarize(measurements: Measurement[]): Summary[] {
  const scenarios = [...new Set(measurements.map((m) => m.scenario))];
  const rank = (m: Measurement) => scenarios.indexOf(m.scenario) * 100 + (ROW_ORDER.indexOf(m.contender) + 1 || 99);
  const keys = [...new Set([...measurements].sort((a, b) => rank(a) - rank(b)).map((m) => `${m.scenario}\u0000${m.contender}`))];
  return keys.flatMap((key) => {
    const all = measurements.filter((m) => `${m.scenario}\u0000${m.contender}` === key);
    const closed = all.filter((m) => (m.phase ?? 'closed') === 'closed');
    const open = all.filter((m) => m.phase === 'open' && m.round > 0);
    const timed = closed.filter((m) => m.round > 0);
    const runs = timed.length ? timed : closed;
    if (!runs.length) return [];
    const derived = runs.map(derive);
    const requests = runs.reduce((sum, m) => sum + m.requests, 0) || 1;
    const groups = Object.keys(runs[0].cpu);
    const errorCodes: Record<string, number> = {};
    const errorExamples: Record<string, string> = {};
    for (const m of all) {
      for (const [code, count] of Object.entries(m.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
      Object.assign(errorExamples, { ...m.errorExamples, ...errorExamples });
    }
    const counted = runs.filter((m) => m.subgraph);
    const sub = counted.reduce((t, m) => ({ requests: t.requests + m.subgraph.requests, hits: t.hits + m.subgraph.hits, misses: t.misses + m.subgraph.misses }), { requests: 0, hits: 0, misses: 0 });
    const subgraphCpu = runs.reduce((sum, m) => sum + Object.entries(m.cpu).reduce((x, [g, v]) => (g === 'gateway' || g === 'postgres' ? x : x + v), 0), 0);
    return [
      {
        scenario: runs[0].scenario,
        contender: runs[0].contender,
        rounds: timed.length,
        rps: spread(derived.map((d) => d.rps)),
        p50: spread(derived.map((d) => d.p50)),
        p99: spread(derived.map((d) => d.p99)),
        gatewayCpu: spread(derived.map((d) => d.gatewayCpu)),
        nodeCpu: spread(derived.map((d) => d.nodeCpu)),
        postgresCpu: spread(derived.map((d) => d.postgresCpu)),
        cpu: Object.fromEntries(groups.map((g) => [g, (runs.reduce((sum, m) => sum + (m.cpu[g] ?? 0), 0) * 1000) / requests])),
        sql: runs.reduce((sum, m) => sum + m.statements, 0) / requests,
        errors: all.map(derive).reduce((sum, d) => sum + d.errors, 0),
        errorCodes,
        errorExamples,
        distinctShare: spread(derived.map((d) => d.distinctShare)),
        distinct: spread(runs.map((m) => m.distinct)),
        universe: runs[0].universe,
        peakRssMb: Math.max(...all.flatMap((m) => Object.values(m.peakRssMb))),
        ...(sub.hits + sub.misses ? { compiledShare: sub.hits / (sub.hits + sub.misses) } : {}),
        subgraphRequests: counted.length ? sub.requests / counted.reduce((n, m) => n + m.requests, 0) : NaN,
        subgraphCpuPerRequest: sub.requests ? (subgraphCpu * 1000) / sub.requests : NaN,
        loadCpu: spread(runs.map((m) => m.loadCpu ?? NaN)),
        ...(open.length
          ? {
              open: {
                rate: open[0].rate ?? NaN,
                p50: spread(open.map((m) => m.p50)),
                p99: spread(open.map((m) => m.p99)),
                p999: spread(open.map((m) => m.p999 ?? NaN)),
                rps: spread(open.map((m) => m.requests / m.duration)),
              },
            }
          : {}),
      },
    ];
  });
}

type Metric = 'rps' | 'gatewayCpu' | 'p50' | 'p99' | 'nodeOverPostgres';

/**
 * A metric of a contender's run in a round, or undefined where it did not run: latencies from
 * the open loop (at equal load), everything else from the closed loop (throughput).
 */
function perRound(measurements: Measurement[], scenario: string, contender: string, metric: Metric): Map<number, number> {
  const phase = metric === 'p50' || metric === 'p99' ? 'open' : 'closed';
  const values = new Map<number, number>();
  for (const m of measurements) {
    if (m.scenario === scenario && m.contender === contender && m.round > 0 && (m.phase ?? 'closed') === phase) values.set(m.round, derive(m)[metric]);
  }
  return values;
}

/** The gateway's peak RSS (MB) in a contender's closed-loop run of each round. */
function gatewayRss(measurements: Measurement[], scenario: string, contender: string): Map<number, number> {
  const values = new Map<number, number>();
  for (const m of measurements) {
    if (m.scenario === scenario && m.contender === contender && m.round > 0 && (m.phase ?? 'closed') === 'closed') values.set(m.round, m.peakRssMb.gateway ?? 0);
  }
  return values;
}

/** a − b round by round (the rounds both ran). */
function differences(a: Map<number, number>, b: Map<number, number>): number[] {
  return [...a.keys()].filter((round) => b.has(round)).sort((x, y) => x - y).map((round) => a.get(round)! - b.get(round)!);
}

/** a ÷ b round by round (the rounds both ran). */
function ratios(a: Map<number, number>, b: Map<number, number>): number[] {
  return [...a.keys()].filter((round) => b.has(round)).sort((x, y) => x - y).map((round) => a.get(round)! / b.get(round)!);
}

/**
 * The A/A noise band of a metric in a scenario: our gateway measured twice in every round (at
 * opposite ends of the round's order); the band is the largest relative difference between the
 * two in any round, taken symmetrically (a ratio of 0.8 and one of 1.25 are both a 25% band).
 */
export function noiseBand(measurements: Measurement[], scenario: string, metric: Metric): number {
  const r = ratios(perRound(measurements, scenario, OURS, metric), perRound(measurements, scenario, OURS_AA, metric));
  const finite = r.filter((x) => Number.isFinite(x) && x > 0);
  return finite.length ? Math.exp(Math.max(...finite.map((x) => Math.abs(Math.log(x))))) - 1 : 0;
}

export interface Target {
  name: string;
  met: boolean;
  /** The measure, round by round where it is a ratio of two contenders' runs. */
  median?: number;
  min?: number;
  max?: number;
  rounds?: number;
  /** The 95% bootstrap confidence interval of the median over the rounds (seeded by the target's name). */
  ci?: Interval;
  detail: string;
}

/**
 * A target on a per-round measure: met only when the 95% bootstrap confidence interval of its
 * median over the rounds clears the goal (for ≥ g its lower bound, for ≤ g its upper bound).
 */
function judge(name: string, values: number[], goal: { op: '>=' | '<='; value: number }, unit = '×', digits = 2): Target {
  if (!values.length) return { name, met: false, detail: 'not measured' };
  const s = spread(values);
  const ci = bootstrapMedian(values, seedOf('ci', name));
  const f = (x: number) => `${x.toFixed(digits)}${unit}`;
  return {
    name,
    met: clears(ci, goal),
    ...s,
    rounds: values.length,
    ci,
    detail: `${f(s.median)}, 95% CI ${f(ci.low)}–${f(ci.high)} (rounds ${f(s.min)}–${f(s.max)}, n = ${values.length})`,
  };
}

export interface LargeScale {
  scale: number;
  loadSeconds: number;
  dashboardStatements: number;
  citySummaryP50: number;
  citySummaryErrors: number;
}

/** The best of a rival's settings on a metric, by its median over the rounds. */
function bestSetting(summaries: Summary[], scenario: string, settings: string[], metric: 'rps' | 'gatewayCpu' | 'p99'): string | undefined {
  const candidates = summaries.filter((s) => s.scenario === scenario && settings.includes(s.contender));
  if (!candidates.length) return undefined;
  const better = (a: Summary, b: Summary) => (metric === 'rps' ? a[metric].median > b[metric].median : a[metric].median < b[metric].median);
  return candidates.reduce((best, s) => (better(s, best) ? s : best)).contender;
}

export function evaluateTargets(measurements: Measurement[], large: LargeScale, startupSeconds: number, dashboardStatements: number): Target[] {
  const summaries = summarize(measurements);
  const targets: Target[] = [];
  const scenarios = [...new Set(measurements.map((m) => m.scenario))];
  for (const scenario of scenarios) {
    const has = (contender: string) => summaries.some((s) => s.scenario === scenario && s.contender === contender);
    const hasOpen = (contender: string) => summaries.some((s) => s.scenario === scenario && s.contender === contender && s.open);
    if (!has(OURS)) continue;
    const versus = (contender: string | undefined, metric: Metric, ours = OURS) =>
      contender ? ratios(perRound(measurements, scenario, ours, metric), perRound(measurements, scenario, contender, metric)) : [];
    if (has(STOCK)) {
      targets.push(judge(`${scenario}: gateway CPU/request ≤ 0.8× stock`, versus(STOCK, 'gatewayCpu'), { op: '<=', value: 0.8 }));
      targets.push(judge(`${scenario}: requests/s ≥ 1.1× stock`, versus(STOCK, 'rps'), { op: '>=', value: 1.1 }));
      if (has(OURS_NO_DEDUPE)) {
        targets.push(judge(`${scenario}: requests/s with DEDUPE=false ≥ 1.1× stock`, versus(STOCK, 'rps', OURS_NO_DEDUPE), { op: '>=', value: 1.1 }));
      }
    }
    // Latency at equal load (the open loop), against every rival setting: no worse than any.
    for (const rival of [STOCK, HIVE, HIVE_NO_DEDUPE, HIVE_RUST].filter((r) => hasOpen(r) && hasOpen(OURS))) {
      for (const metric of ['p50', 'p99'] as const) {
        targets.push(judge(`${scenario}: ${metric} at equal load no worse than ${rival} (ours ÷ theirs ≤ 1, open loop)`, versus(rival, metric), { op: '<=', value: 1 }));
      }
    }
    const errors = summaries.filter((s) => s.scenario === scenario && OUR_ROWS.includes(s.contender));
    const errorCount = errors.reduce((sum, s) => sum + s.errors, 0);
    const codes = Object.entries(errors.reduce<Record<string, number>>((all, s) => {
      for (const [code, n] of Object.entries(s.errorCodes)) all[code] = (all[code] ?? 0) + n;
      return all;
    }, {}));
    targets.push({
      name: `${scenario}: no errors (every answer of every run of our gateway, warm-up and open loop included, parsed)`,
      met: errorCount === 0,
      detail: errorCount ? `${errorCount} (${codes.map(([code, n]) => `${code} ${n}`).join(', ')})` : '0',
    });
    const hives = [HIVE, HIVE_NO_DEDUPE].filter(has);
    if (hives.length) {
      const cpuBest = bestSetting(summaries, scenario, hives, 'gatewayCpu');
      const rpsBest = bestSetting(summaries, scenario, hives, 'rps');
      targets.push(judge(`${scenario}: gateway CPU/request ≤ 0.4× Hive Gateway (best: ${cpuBest})`, versus(cpuBest, 'gatewayCpu'), { op: '<=', value: 0.4 }));
      targets.push(judge(`${scenario}: requests/s ≥ 1.5× Hive Gateway (best: ${rpsBest})`, versus(rpsBest, 'rps'), { op: '>=', value: 1.5 }));
    }
    if (has(HIVE_RUST)) {
      targets.push(judge(`${scenario}: requests/s ≥ 1.3× Hive Gateway with the Rust planner`, versus(HIVE_RUST, 'rps'), { op: '>=', value: 1.3 }));
    }
    if (has(OURS_USAGE)) {
      targets.push(
        judge(
          `${scenario}: usage reporting costs ≤ ${USAGE_MAX_RPS_COST * 100}% req/s (usage on ÷ ours ≥ ${1 - USAGE_MAX_RPS_COST})`,
          versus(OURS, 'rps', OURS_USAGE),
          { op: '>=', value: 1 - USAGE_MAX_RPS_COST },
        ),
      );
      targets.push(
        judge(
          `${scenario}: usage reporting costs ≤ ${USAGE_MAX_MEMORY_MB} MB gateway memory (peak RSS, usage on − ours)`,
          differences(gatewayRss(measurements, scenario, OURS_USAGE), gatewayRss(measurements, scenario, OURS)),
          { op: '<=', value: USAGE_MAX_MEMORY_MB },
          ' MB',
          1,
        ),
      );
    }
    for (const { contender, maxCost } of TRACING_TARGETS.filter((t) => has(t.contender))) {
      targets.push(judge(`${scenario}: ${contender} costs ≤ ${maxCost * 100}% req/s (÷ ours ≥ ${1 - maxCost})`, versus(OURS, 'rps', contender), { op: '>=', value: 1 - maxCost }));
    }
    // Every contender must run its subgraph queries on the compiled path, or its numbers compare unlike with like.
    for (const s of summaries.filter((x) => x.scenario === scenario && x.compiledShare !== undefined && x.contender !== CACHED)) {
      targets.push({
        name: `${scenario}: ${s.contender}: compiled share of subgraph queries ≥ ${MIN_COMPILED_SHARE * 100}%`,
        met: s.compiledShare! >= MIN_COMPILED_SHARE,
        detail: `${(s.compiledShare! * 100).toFixed(1)}%`,
      });
    }
  }
  if (summaries.some((s) => s.scenario === 'dashboard' && s.contender === OURS)) {
    targets.push(judge('dashboard: Node CPU ÷ Postgres CPU per request ≤ 5', [...perRound(measurements, 'dashboard', OURS, 'nodeOverPostgres').values()], { op: '<=', value: 5 }, '', 1));
    targets.push({
      name: `dashboard: SQL statements per request the same at 1× and ${large.scale}× (first pages of 100, one at a time)`,
      met: dashboardStatements === large.dashboardStatements,
      detail: `${dashboardStatements.toFixed(2)} vs ${large.dashboardStatements.toFixed(2)}`,
    });
  }
  const single = ratios(perRound(measurements, 'single-list', OURS, 'rps'), perRound(measurements, 'single-list', DIRECT, 'rps'));
  if (single.length) {
    targets.push(judge('single-department list through the gateway ≥ 0.7× the subgraph direct', single, { op: '>=', value: 0.7 }));
  }
  targets.push({
    name: `city summary by district at ${large.scale}×: p50 ≤ 50 ms`,
    met: large.citySummaryP50 <= 50 && large.citySummaryErrors === 0,
    detail: `${large.citySummaryP50} ms, ${large.citySummaryErrors} errors`,
  });
  const peak = Math.max(...summaries.filter((s) => OUR_ROWS.includes(s.contender) || s.contender === DIRECT).map((s) => s.peakRssMb));
  targets.push({ name: 'no process of ours above 300 MB RSS under load', met: peak <= 300, detail: `peak ${peak.toFixed(0)} MB` });
  targets.push({ name: 'npm start to first answer ≤ 10 s with data present', met: startupSeconds <= 10, detail: `${startupSeconds.toFixed(1)} s` });
  return targets;
}

/** What a lever was worth, round by round: the req/s of one row over another's, and its CPU and SQL. */
export interface Lever {
  lever: string;
  scenario: string;
  /** with ÷ without, req/s, per round. */
  rps: Spread;
  gatewayCpu: { with: number; without: number };
  /** Gateway and subgraphs together (absent from results written before it was measured). */
  nodeCpu?: { with: number; without: number };
  sql: { with: number; without: number };
}

export function levers(measurements: Measurement[]): Lever[] {
  const summaries = summarize(measurements);
  const pairs: Array<[string, string, string]> = [
    ['in-flight dedupe of identical subgraph reads (ours vs DEDUPE=false)', OURS, OURS_NO_DEDUPE],
    ['tracing on, nothing sampled (vs ours)', OURS_TRACE_NONE, OURS],
    ['tracing on, 10% sampled (vs ours)', OURS_TRACE_TENTH, OURS],
    ['tracing on, every request sampled: gateway, subgraphs and SQL spans (vs ours)', OURS_TRACED, OURS],
    ['the cost of usage reporting to the registry (usage on vs ours)', OURS_USAGE, OURS],
    ['response cache, 2 s (opt-in; not judged)', CACHED, OURS],
    ['for comparison: Hive Gateway’s Rust planner vs its default runtime', HIVE_RUST, HIVE],
  ];
  const result: Lever[] = [];
  for (const [lever, withIt, without] of pairs) {
    for (const scenario of [...new Set(measurements.map((m) => m.scenario))]) {
      const a = summaries.find((s) => s.scenario === scenario && s.contender === withIt);
      const b = summaries.find((s) => s.scenario === scenario && s.contender === without);
      const r = ratios(perRound(measurements, scenario, withIt, 'rps'), perRound(measurements, scenario, without, 'rps'));
      if (!a || !b || !r.length) continue;
      const nodeCpu = (x: Summary) => Object.entries(x.cpu).reduce((sum, [group, ms]) => (group === 'postgres' ? sum : sum + ms), 0);
      result.push({
        lever,
        scenario,
        rps: spread(r),
        gatewayCpu: { with: a.cpu.gateway, without: b.cpu.gateway },
        nodeCpu: { with: nodeCpu(a), without: nodeCpu(b) },
        sql: { with: a.sql, without: b.sql },
      });
    }
  }
  return result;
}

/** What usage reporting cost in a scenario: req/s round by round, CPU, and the gateway's memory. */
export interface UsageCost {
  scenario: string;
  /** usage on ÷ ours, req/s, per round. */
  rps: Spread;
  /** The A/A band on req/s in this scenario. */
  band: number;
  gatewayCpu: { with: number; without: number };
  /** The gateway's peak RSS in each round's run, MB: with, without, and with − without round by round. */
  rss: { with: Spread; without: Spread; delta: Spread };
}

export function usageCosts(measurements: Measurement[]): UsageCost[] {
  const summaries = summarize(measurements);
  const result: UsageCost[] = [];
  for (const scenario of [...new Set(measurements.map((m) => m.scenario))]) {
    const a = summaries.find((s) => s.scenario === scenario && s.contender === OURS_USAGE);
    const b = summaries.find((s) => s.scenario === scenario && s.contender === OURS);
    const r = ratios(perRound(measurements, scenario, OURS_USAGE, 'rps'), perRound(measurements, scenario, OURS, 'rps'));
    if (!a || !b || !r.length) continue;
    const withIt = gatewayRss(measurements, scenario, OURS_USAGE);
    const without = gatewayRss(measurements, scenario, OURS);
    result.push({
      scenario,
      rps: spread(r),
      band: noiseBand(measurements, scenario, 'rps'),
      gatewayCpu: { with: a.cpu.gateway, without: b.cpu.gateway },
      rss: { with: spread([...withIt.values()]), without: spread([...without.values()]), delta: spread(differences(withIt, without)) },
    });
  }
  return result;
}

/** What the usage contender's registry received over the whole bench: the proof that reporting was on. */
export interface UsageReceived {
  flushMs: number;
  /** POST /usage by the registry's outcome (registry_usage_reports_total). */
  reports: Record<string, number>;
  /** Count rows the registry stored (registry_usage_rows_total). */
  rows: number;
  /** Requests counted in the registry's usage_hourly, by client name. */
  requests: number;
  clients: Record<string, number>;
  operations: number;
  /** The gateway's own counters: reports sent, requests reported, requests dropped (gateway_usage_*). */
  gateway: { sent: number; reported: number; dropped: number };
  /** Requests the bench sent that contender (timed, warm-up and the answers check). */
  sentByBench: number;
}

export interface ContenderInfo {
  name: string;
  command: string;
  /** What this contender's processes get beyond the environment every contender shares. */
  env: Record<string, string>;
  note?: string;
  /** Settings a vendor publishes for its product, each with where it says so. */
  settings?: Array<{ setting: string; source: string }>;
  /** The Node version its process ran (`<binary> --version` of /proc/<pid>/exe). */
  node?: string;
}

export interface AnswerCheck {
  scenario: string;
  sets: number;
  /** Per contender: variable sets whose answer differs from the reference's, and the first difference. */
  contenders: Array<{ name: string; differing: number; errors: number; orderOnly: number; example?: string }>;
  reference: string;
  referenceErrors: number;
  how: string;
}

export interface ScenarioInfo {
  name: string;
  description: string;
  axes: string;
  universe: number;
  /** Distinct operation texts (1 but for many-shapes). */
  operations?: number;
  top: unknown[];
}

export interface Report {
  /** 3: open loop, confidence intervals, compiled shares (round 3 of the bench, issue #30). */
  version: 3;
  date: string;
  quick: boolean;
  /** full: every contender and scenario for at least a full run's rounds and seconds; quick: --quick; custom: anything else. */
  kind: 'full' | 'quick' | 'custom';
  note?: string;
  command: string;
  machine: string;
  rounds: number;
  duration: number;
  connections: number;
  warmup: number;
  order: string;
  commonEnv: Record<string, string>;
  contenders: ContenderInfo[];
  routerRuntime: string;
  scenarios: ScenarioInfo[];
  checks: AnswerCheck[];
  measurements: Measurement[];
  large: LargeScale;
  startup: number;
  dashboardStatements: number;
  /** How the traffic's client headers are drawn (absent from results written before it had them). */
  clients?: string;
  /** What the usage contender's registry received (absent where it did not run). */
  usage?: UsageReceived;
  /** The open loop's rate per scenario (70% of the slowest judged gateway's closed-loop req/s). */
  openLoopRates: Record<string, number>;
  oddities: string[];
  wallSeconds: number;
}

export interface Results extends Report {
  summaries: Summary[];
  targets: Target[];
  levers: Lever[];
  usageCosts: UsageCost[];
  bands: Array<{ scenario: string; rps: number; gatewayCpu: number; p99: number }>;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

const n0 = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 0 }) : '–');
const n1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const range = (s: Spread, f: (x: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

export function complete(report: Report): Results {
  const targets = evaluateTargets(report.measurements, report.large, report.startup, report.dashboardStatements);
  const scenarios = [...new Set(report.measurements.map((m) => m.scenario))];
  return {
    ...report,
    summaries: summarize(report.measurements),
    targets,
    levers: levers(report.measurements),
    usageCosts: usageCosts(report.measurements),
    bands: scenarios.map((scenario) => ({
      scenario,
      rps: noiseBand(report.measurements, scenario, 'rps'),
      gatewayCpu: noiseBand(report.measurements, scenario, 'gatewayCpu'),
      p99: noiseBand(report.measurements, scenario, 'p99'),
    })),
  };
}

/** The whole report as markdown: what ran how, the answers check, the table, the noise, the targets. */
export function markdown(r: Results): string {
  const groups = [...new Set(r.summaries.flatMap((s) => Object.keys(s.cpu)))];
  const met = r.targets.filter((t) => t.met).length;
  const lines = [
    `# Bench ${r.date.slice(0, 16).replace('T', ' ')} UTC (${r.kind} run)`,
    '',
    ...(r.note ? [`**${r.note}**`, ''] : []),
    `Machine: ${r.machine}. Command: \`${r.command}\`. ${r.rounds} round(s) × ${r.duration} s per scenario and contender after a ${r.warmup} s warm-up each; ${r.connections} connections; ${r.order} Took ${(r.wallSeconds / 60).toFixed(1)} min.`,
    '',
    `**targets: ${met} of ${r.targets.length} met** (a target on a ratio is met when the 95% bootstrap confidence interval of its median over the rounds clears it: the lower bound for "≥", the upper bound for "≤"; resampling seeded by the target's name, so the judgement can be recomputed from the results file). Throughput and CPU come from the closed loop; latency (p50, p99) from the open loop at equal load.`,
    '',
    '## Contenders',
    '',
    `Every contender's processes run with ${Object.entries(r.commonEnv).map(([k, v]) => `\`${k}=${v}\``).join(' ')} on top of the bench's own environment (the same for all); beyond that:`,
    '',
    '| contender | Node | command | its own environment |',
    '|---|---|---|---|',
    ...r.contenders.map((c) => `| ${c.name} | ${c.node ?? '–'} | \`${c.command}\` | ${Object.entries(c.env).map(([k, v]) => `\`${k}=${v}\``).join(' ') || '—'}${c.note ? ` (${c.note})` : ''} |`),
    '',
    'Rivals as their vendors publish them:',
    '',
    ...r.contenders.flatMap((c) => (c.settings ?? []).map((x) => `- ${c.name}: \`${x.setting}\`, from ${x.source}`)),
    '',
    `Hive Gateway's Rust planner: ${r.routerRuntime}`,
    '',
    '## Traffic',
    '',
    `Each scenario draws its requests from a universe of at least ${MIN_UNIVERSE.toLocaleString('en-US')} distinct ones ranked by popularity, with a Zipf skew (s = ${ZIPF_S}) from a seeded generator: the same sequence for every contender in a round, a new one each round.${r.clients ? ` Every request names its client (apollographql-client-name and -version headers, to every contender alike), drawn from ${r.clients}.` : ''} "Distinct" is what a run really sent: the share (and count) of its answered requests that were distinct (ours, median of the closed-loop rounds; the range is over every contender and round).`,
    '',
    '| scenario | what | universe | operation texts | axes | distinct per run, ours | distinct, all |',
    '|---|---|--:|--:|---|--:|---|',
    ...r.scenarios.map((s) => {
      const rows = r.summaries.filter((x) => x.scenario === s.name);
      const ours = rows.find((x) => x.contender === OURS);
      const shares = rows.flatMap((x) => [x.distinctShare.min, x.distinctShare.max]);
      return `| ${s.name} | ${s.description} | ${n0(s.universe)} | ${s.operations ?? 1} | ${s.axes} | ${ours ? `${pct(ours.distinctShare.median)} (${n0(ours.distinct.median)})` : '–'} | ${shares.length ? `${pct(Math.min(...shares))}–${pct(Math.max(...shares))}` : '–'} |`;
    }),
    '',
    '## Answers compared before timing',
    '',
    ...r.checks.flatMap((c) => [
      `- **${c.scenario}** (${c.sets} variable sets; ${c.how}; reference ${c.reference}${c.referenceErrors ? `, which answered ${c.referenceErrors} with errors` : ''}): ${c.contenders
        .map((x) => `${x.name} ${x.differing ? `**differs on ${x.differing}**` : 'same'}${x.orderOnly ? ` (field order only on ${x.orderOnly})` : ''}${x.errors ? `, errors on ${x.errors}` : ''}`)
        .join('; ')}.`,
      ...c.contenders.filter((x) => x.example).map((x) => `  - ${x.name}: ${x.example}`),
    ]),
    '',
    '## Results',
    '',
    'Median of the rounds, (min–max) across them. CPU from /proc per process group; SQL from pg_stat_statements; errors: every failed answer or socket error of every run, warm-up included.',
    '',
    `| scenario | contender | req/s | p50 ms | p99 ms | gateway CPU ms/req | Node CPU ms/req | Postgres CPU ms/req | SQL/req | errors | peak RSS MB |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...r.summaries.map(
      (s) =>
        `| ${s.scenario} | ${s.contender} | ${range(s.rps, n0)} | ${n0(s.p50.median)} | ${range(s.p99, n0)} | ${range(s.gatewayCpu, n2)} | ${n2(s.nodeCpu.median)} | ${n2(s.postgresCpu.median)} | ${n2(s.sql)} | ${s.errors} | ${n0(s.peakRssMb)} |`,
    ),
    '',
    `CPU ms per request by process group over all rounds (${groups.join(' / ')}):`,
    '',
    ...r.summaries.map((s) => `- ${s.scenario}, ${s.contender}: ${groups.map((g) => n2(s.cpu[g] ?? 0)).join(' / ')}`),
    '',
    ...(() => {
      const failing = r.summaries.filter((s) => s.errors);
      return failing.length
        ? [
            '### Errors by code',
            '',
            ...failing.map(
              (s) =>
                `- ${s.scenario}, ${s.contender}: ${Object.entries(s.errorCodes).map(([code, n]) => `${code} ${n}`).join(', ')}${Object.entries(s.errorExamples).map(([code, e]) => `\n  - ${code}: \`${e.replace(/`/g, "'").slice(0, 240)}\``).join('')}`,
            ),
            '',
          ]
        : ['No contender answered any error.', ''];
    })(),
    '## Latency at equal load (open loop)',
    '',
    `Per scenario, a fixed arrival rate of 70% of the slowest judged gateway's median closed-loop req/s, sent on schedule whatever the answers do; each latency is measured from the request's intended send time into an HDR histogram (hdr-histogram-js), so a stall is charged to every request due during it (coordinated omission corrected). Median of the rounds (min–max).`,
    '',
    '| scenario | contender | rate/s | answered/s | p50 ms | p99 ms | p99.9 ms |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...r.summaries
      .filter((s) => s.open)
      .map((s) => `| ${s.scenario} | ${s.contender} | ${n0(s.open!.rate)} | ${n0(s.open!.rps.median)} | ${range(s.open!.p50, n1)} | ${range(s.open!.p99, n1)} | ${range(s.open!.p999, n1)} |`),
    '',
    '## Subgraphs and the load generator',
    '',
    `From each contender's subgraphs' /metrics around every closed-loop run: the compiled path's share of the queries it could compile (hits ÷ (hits + misses); mutations and introspection are not eligible; a contender below ${MIN_COMPILED_SHARE * 100}% fails the run), subgraph requests per client request, and subgraph CPU per subgraph request. The load generator's CPU per run shows whether it, not the contender, was the limit.`,
    '',
    '| scenario | contender | compiled share | subgraph requests per request | subgraph CPU ms per subgraph request | load generator CPU s per run |',
    '|---|---|--:|--:|--:|--:|',
    ...r.summaries.map(
      (s) =>
        `| ${s.scenario} | ${s.contender} | ${s.compiledShare === undefined ? 'n/a' : `${(s.compiledShare * 100).toFixed(1)}%`} | ${n2(s.subgraphRequests)} | ${n2(s.subgraphCpuPerRequest)} | ${n1(s.loadCpu.median)} |`,
    ),
    '',
    '## Noise',
    '',
    `Our gateway runs twice in every round, at opposite ends of the round's order (A/A); the band is the largest relative difference between the two in any round (reported; the targets are judged by confidence intervals). ${r.bands
      .map((b) => `${b.scenario}: req/s ±${pct(b.rps)}, gateway CPU ±${pct(b.gatewayCpu)}, p99 ±${pct(b.p99)}`)
      .join('; ')}.`,
    '',
    `SQL statements per dashboard request, one at a time: ${r.dashboardStatements.toFixed(2)} at 1×, ${r.large.dashboardStatements.toFixed(2)} at ${r.large.scale}× (data loaded in ${r.large.loadSeconds.toFixed(1)} s). City summary by district at ${r.large.scale}×: p50 ${r.large.citySummaryP50} ms. npm start to first answer, data present: ${r.startup.toFixed(1)} s.`,
    '',
    ...(r.oddities.length ? ['## Odd things seen', '', ...r.oddities.map((o) => `- ${o}`), ''] : []),
    '## Targets',
    '',
    'Ratios are ours ÷ theirs, round by round; "best" is the rival\'s setting with the best median on that measure.',
    '',
    '| target | met | median (min–max across rounds) |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.met ? 'yes' : '**no**'} | ${t.detail} |`),
    '',
    '## Levers',
    '',
    '| lever | scenario | req/s with ÷ without: median (min–max) | gateway CPU ms/req with / without | Node CPU ms/req (gateway + subgraphs) with / without | SQL/req with / without |',
    '|---|---|---|---|---|---|',
    ...r.levers.map(
      (l) =>
        `| ${l.lever} | ${l.scenario} | ${range(l.rps, (x) => `${x.toFixed(2)}×`)} | ${n2(l.gatewayCpu.with)} / ${n2(l.gatewayCpu.without)} | ${l.nodeCpu ? `${n2(l.nodeCpu.with)} / ${n2(l.nodeCpu.without)}` : 'n/a'} | ${n2(l.sql.with)} / ${n2(l.sql.without)} |`,
    ),
    '',
    ...usageSection(r),
    `targets: ${met} of ${r.targets.length} met`,
    '',
  ];
  return lines.join('\n');
}

/** Usage reporting's cost per scenario (issue #28: ≤ 5% req/s, ≤ 16 MB) and what the registry received. */
function usageSection(r: Results): string[] {
  const costs = r.usageCosts ?? [];
  if (!costs.length && !r.usage) return [];
  const u = r.usage;
  const outcomes = u ? Object.entries(u.reports).map(([outcome, n]) => `${outcome} ${n}`).join(', ') || 'none' : '';
  return [
    '## Usage reporting',
    '',
    `${OURS_USAGE} against ${OURS}, round by round (both in every round, in the same rotating order as the rest). req/s ratio: usage on ÷ ours, median (min–max); the target is ≥ ${1 - USAGE_MAX_RPS_COST} with no round below it by more than the A/A band. Memory: the gateway's peak RSS in each round's run (sampled every 100 ms; the bench does not sample the V8 heap), median (min–max) over the rounds; the target is usage on − ours ≤ ${USAGE_MAX_MEMORY_MB} MB in every round.`,
    '',
    '| scenario | req/s usage on ÷ ours | A/A band | gateway CPU ms/req on / off | peak RSS MB, usage on | peak RSS MB, ours | RSS on − ours, MB |',
    '|---|---|--:|---|---|---|---|',
    ...costs.map(
      (c) =>
        `| ${c.scenario} | ${range(c.rps, (x) => `${x.toFixed(3)}×`)} | ±${pct(c.band)} | ${n2(c.gatewayCpu.with)} / ${n2(c.gatewayCpu.without)} | ${range(c.rss.with, n0)} | ${range(c.rss.without, n0)} | ${range(c.rss.delta, (x) => x.toFixed(1))} |`,
    ),
    '',
    ...(u
      ? [
          `The registry received (flushes every ${u.flushMs} ms): POST /usage ${outcomes}; ${n0(u.rows)} count rows stored; ${n0(u.requests)} requests counted over ${u.operations} operation(s) and ${Object.keys(u.clients).length} client name(s) (${Object.entries(u.clients).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n0(n)}`).join(', ')}), of ${n0(u.sentByBench)} requests the bench sent that gateway. The gateway counted ${u.gateway.sent} report(s) sent, ${n0(u.gateway.reported)} requests reported, ${n0(u.gateway.dropped)} dropped.`,
          '',
        ]
      : []),
  ];
}

/** Writes bench/results/<date>.json and .md (and latest.md), prints the report. */
export function writeReport(report: Report): Results {
  const results = complete(report);
  const text = markdown(results);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = `${report.date.slice(0, 16).replace(/[:T]/g, '-')}${report.kind === 'full' ? '' : `-${report.kind}`}`;
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(results, null, 2));
  writeFileSync(join(dir, `${stamp}.md`), text);
  writeFileSync(join(dir, 'latest.md'), text);
  console.log(`\n${text}`);
  console.log(`written to bench/results/${stamp}.json and .md; \`npm run bench:readme\` puts the latest full run into README.md`);
  console.log(`targets: ${results.targets.filter((t) => t.met).length} of ${results.targets.length} met`);
  return results;
}
