import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@zigong/local';
import type { Scenario } from './scenarios';

export interface Measurement {
  scenario: string;
  contender: string;
  round: number;
  requests: number;
  duration: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statements: number;
  cpu: Record<string, number>;
  peakRssMb: Record<string, number>;
}

export interface LargeScale {
  scale: number;
  loadSeconds: number;
  dashboardStatements: number;
  citySummaryP50: number;
  citySummaryErrors: number;
}

export interface Summary {
  scenario: string;
  contender: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU milliseconds per request, by process group (gateway, each subgraph, postgres). */
  cpuMsPerRequest: Record<string, number>;
  nodeCpuMsPerRequest: number;
  statementsPerRequest: number;
  peakRssMb: number;
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export function summarize(measurements: Measurement[]): Summary[] {
  const keys = [...new Set(measurements.map((m) => `${m.scenario}\u0000${m.contender}`))];
  return keys.map((key) => {
    const runs = measurements.filter((m) => `${m.scenario}\u0000${m.contender}` === key);
    const requests = runs.reduce((sum, m) => sum + m.requests, 0);
    const groups = Object.keys(runs[0].cpu);
    const cpuMsPerRequest = Object.fromEntries(groups.map((g) => [g, (runs.reduce((sum, m) => sum + m.cpu[g], 0) * 1000) / requests]));
    return {
      scenario: runs[0].scenario,
      contender: runs[0].contender,
      rps: requests / runs.reduce((sum, m) => sum + m.duration, 0),
      p50: median(runs.map((m) => m.p50)),
      p99: median(runs.map((m) => m.p99)),
      errors: runs.reduce((sum, m) => sum + m.errors + m.non2xx, 0),
      cpuMsPerRequest,
      nodeCpuMsPerRequest: groups.filter((g) => g !== 'postgres').reduce((sum, g) => sum + cpuMsPerRequest[g], 0),
      statementsPerRequest: runs.reduce((sum, m) => sum + m.statements, 0) / requests,
      peakRssMb: Math.max(...runs.flatMap((m) => Object.values(m.peakRssMb))),
    };
  });
}

export function evaluateTargets(measurements: Measurement[], large: LargeScale, startupSeconds: number, dashboardStatements: number): Target[] {
  const summaries = summarize(measurements);
  const find = (scenario: string, contender: string) => summaries.find((s) => s.scenario === scenario && s.contender === contender);
  const targets: Target[] = [];
  const ratio = (a: number, b: number) => (b ? a / b : Infinity);
  for (const scenario of [...new Set(summaries.map((s) => s.scenario))]) {
    const ours = find(scenario, 'zigong');
    const stock = find(scenario, 'stock @apollo/gateway');
    if (!ours || !stock) continue;
    const cpu = ratio(ours.cpuMsPerRequest.gateway, stock.cpuMsPerRequest.gateway);
    targets.push({ name: `${scenario}: gateway CPU/request ≤ 0.8× stock`, met: cpu <= 0.8, detail: `${cpu.toFixed(2)}×` });
    const rps = ratio(ours.rps, stock.rps);
    targets.push({ name: `${scenario}: requests/s ≥ 1.1× stock`, met: rps >= 1.1, detail: `${rps.toFixed(2)}×` });
    targets.push({ name: `${scenario}: p99 no worse than stock`, met: ours.p99 <= stock.p99, detail: `${ours.p99} vs ${stock.p99} ms` });
    targets.push({ name: `${scenario}: no errors`, met: ours.errors === 0, detail: `${ours.errors}` });
    const hive = find(scenario, 'Hive Gateway');
    if (hive) {
      const hiveCpu = ratio(ours.cpuMsPerRequest.gateway, hive.cpuMsPerRequest.gateway);
      targets.push({ name: `${scenario}: gateway CPU/request ≤ 0.4× Hive Gateway`, met: hiveCpu <= 0.4, detail: `${hiveCpu.toFixed(2)}×` });
      const hiveRps = ratio(ours.rps, hive.rps);
      targets.push({ name: `${scenario}: requests/s ≥ 1.5× Hive Gateway`, met: hiveRps >= 1.5, detail: `${hiveRps.toFixed(2)}×` });
      targets.push({ name: `${scenario}: p99 no worse than Hive Gateway`, met: ours.p99 <= hive.p99, detail: `${ours.p99} vs ${hive.p99} ms` });
    }
  }
  const dashboard = find('dashboard', 'zigong');
  if (dashboard) {
    const overhead = ratio(dashboard.nodeCpuMsPerRequest, dashboard.cpuMsPerRequest.postgres);
    targets.push({ name: 'dashboard: Node CPU ÷ Postgres CPU per request ≤ 5', met: overhead <= 5, detail: `${overhead.toFixed(1)}` });
    targets.push({
      name: `dashboard: SQL statements per request the same at 1× and ${large.scale}×`,
      met: dashboardStatements === large.dashboardStatements,
      detail: `${dashboardStatements.toFixed(2)} vs ${large.dashboardStatements.toFixed(2)}`,
    });
  }
  const single = find('single-list', 'zigong');
  const direct = find('single-list', 'subgraph direct');
  if (single && direct) {
    const r = ratio(single.rps, direct.rps);
    targets.push({ name: 'single-department list through the gateway ≥ 0.7× the subgraph direct', met: r >= 0.7, detail: `${r.toFixed(2)}×` });
  }
  targets.push({
    name: `city summary by district at ${large.scale}×: p50 ≤ 50 ms`,
    met: large.citySummaryP50 <= 50 && large.citySummaryErrors === 0,
    detail: `${large.citySummaryP50} ms, ${large.citySummaryErrors} errors`,
  });
  const peak = Math.max(...summaries.filter((s) => s.contender.startsWith('zigong') || s.contender === 'subgraph direct').map((s) => s.peakRssMb));
  targets.push({ name: 'no process of ours above 300 MB RSS under load', met: peak <= 300, detail: `peak ${peak.toFixed(0)} MB` });
  targets.push({ name: 'npm start to first answer ≤ 10 s with data present', met: startupSeconds <= 10, detail: `${startupSeconds.toFixed(1)} s` });
  return targets;
}

export interface Report {
  quick: boolean;
  rounds: number;
  duration: number;
  connections: number;
  scenarios: Scenario[];
  checks: Array<{ scenario: string; same: boolean; detail?: string }>;
  measurements: Measurement[];
  large: LargeScale;
  startup: number;
  targets: Target[];
  /** SQL statements per dashboard request at 1×, one request at a time. */
  dashboardStatements: number;
}

/** Prints the table and writes bench/results/<date>.json and .md (and latest.md). */
export function writeReport(report: Report): void {
  const summaries = summarize(report.measurements);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const groups = [...new Set(summaries.flatMap((s) => Object.keys(s.cpuMsPerRequest)))];
  const lines = [
    `# Bench ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine}. ${report.rounds} round(s) × ${report.duration} s per scenario and contender, alternating; ${report.connections} connections; varied variables; logs at warn.`,
    '',
    `| scenario | contender | req/s | p50 ms | p99 ms | errors | CPU ms/req: ${groups.join(' / ')} | Node CPU ms/req | SQL/req | peak RSS MB |`,
    '|---|---|--:|--:|--:|--:|---|--:|--:|--:|',
    ...summaries.map(
      (s) =>
        `| ${s.scenario} | ${s.contender} | ${s.rps.toFixed(0)} | ${s.p50} | ${s.p99} | ${s.errors} | ${groups.map((g) => (s.cpuMsPerRequest[g] ?? 0).toFixed(2)).join(' / ')} | ${s.nodeCpuMsPerRequest.toFixed(2)} | ${s.statementsPerRequest.toFixed(2)} | ${s.peakRssMb.toFixed(0)} |`,
    ),
    '',
    `Answers checked equal before timing: ${report.checks.map((c) => `${c.scenario} ${c.same ? 'same' : `DIFFERENT (${c.detail})`}`).join('; ')}.`,
    `SQL statements per dashboard request, one at a time: ${report.dashboardStatements.toFixed(2)} at 1×, ${report.large.dashboardStatements.toFixed(2)} at ${report.large.scale}× (data loaded in ${report.large.loadSeconds.toFixed(1)} s). City summary at ${report.large.scale}×: p50 ${report.large.citySummaryP50} ms.`,
    `npm start to first answer, data present: ${report.startup.toFixed(1)} s.`,
    '',
    '| target | met | measured |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.name} | ${t.met ? 'yes' : 'no'} | ${t.detail} |`),
    '',
  ];
  const markdown = lines.join('\n');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, ...report, summaries }, null, 2));
  writeFileSync(join(dir, `${stamp}.md`), markdown);
  writeFileSync(join(dir, 'latest.md'), markdown);
  console.log(`\n${markdown}`);
  console.log(`written to bench/results/${stamp}.json and .md`);
  console.log(`targets: ${report.targets.filter((t) => t.met).length} of ${report.targets.length} met`);
}
