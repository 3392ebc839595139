import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { restartable } from './restartable';
import { gunzipSync } from 'node:zlib';
import type { UsageReport } from '@zigong/platform';

export interface UsageServer {
  /** `http://127.0.0.1:<port>/usage`, what a gateway's USAGE_REPORTING_URL says. */
  url: string;
  /** Every report accepted, decompressed, oldest first. */
  reports: UsageReport[];
  /** Every request's headers, and how it was answered. */
  requests: Array<{ headers: IncomingHttpHeaders; status: number }>;
  /** Answers every report with this status from now on (202: accepted and recorded). */
  answerWith(status: number): void;
  /** Holds every answer this long from now on. */
  slow(ms: number): void;
  /** Stops listening (connections refused, as a registry that was killed); `start` listens again on the same port. */
  down(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A stand-in for the registry's `POST /usage`, as the shared contract has it: gzip JSON in,
 * 202 `{"accepted": <counts rows>}` out; it records what it accepts, so a test reads exactly
 * what a gateway reported.
 */
export async function usageServer(): Promise<UsageServer> {
  const reports: UsageReport[] = [];
  const requests: UsageServer['requests'] = [];
  let status = 202;
  let delayMs = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (code: number, body: unknown) => {
        requests.push({ headers: req.headers, status: code });
        const send = () => {
          if (!res.destroyed) res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (delayMs) setTimeout(send, delayMs);
        else send();
      };
      let report: UsageReport;
      try {
        if (req.method !== 'POST' || req.headers['content-encoding'] !== 'gzip') throw new Error('not a gzip POST');
        report = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
      } catch {
        return answer(400, { errors: [{ message: 'not a usage report', extensions: { code: 'INVALID_USAGE_REPORT' } }] });
      }
      if (status !== 202) return answer(status, { errors: [{ message: 'refused', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      reports.push(report);
      answer(202, { accepted: report.counts.length });
    });
  });
  const { start, down, port, close } = restartable(server);
  await start();
  return {
    url: `http://127.0.0.1:${port()}/usage`,
    reports,
    requests,
    answerWith: (code) => (status = code),
    slow: (ms) => (delayMs = ms),
    down,
    start,
    close,
  };
}

/** The reports' counts summed by client, version and operation name: `dashboard 3.2.0 VillageName` → count, errors. */
export function totals(reports: UsageReport[]): Map<string, { count: number; errors: number; coordinates: string[] }> {
  const totals = new Map<string, { count: number; errors: number; coordinates: string[] }>();
  for (const report of reports) {
    const operations = new Map(report.operations.map((operation) => [operation.hash, operation]));
    for (const row of report.counts) {
      const operation = operations.get(row.hash);
      const key = `${row.client} ${row.clientVersion} ${operation?.name ?? '(anonymous)'}`;
      const total = totals.get(key) ?? { count: 0, errors: 0, coordinates: operation?.coordinates ?? [] };
      total.count += row.count;
      total.errors += row.errors;
      totals.set(key, total);
    }
  }
  return totals;
}
