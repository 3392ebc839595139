// The platform's signing module alone, not the kit, which would add a second to every load
// process's start. A wrong signature would show: the subgraph answers 401, which the run counts.
import { signRequest } from '@zigong/platform/dist/signing';
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { latencyHistogram, percentilesMs, runOpenLoop } from './open-loop';
import { type BenchData, citySummaryVariables, SCENARIOS, type Sent } from './scenarios';
import { clientSampler, distinctCount, zipfSampler } from './traffic';

/** What one load run sends and to whom: argv[2] of this process, as JSON. */
export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  /** Set where the load itself must sign, as a gateway would (a subgraph asked directly). */
  signingSecret?: string;
  scenario: string;
  /** A JSON file with the BenchData the variables are drawn from. */
  dataFile: string;
  /** The sequence's seed: the same seed gives every contender the same requests in the same order. */
  seed: number;
  duration: number;
  connections: number;
  /** Instead of the scenario's traffic, the city's summary by district for alternating years (the 100× check). */
  citySummaryOnly?: boolean;
  /** Open loop: this many requests per second, latency from each one's intended send time (else a closed loop of `connections`). */
  rate?: number;
}

/** What one load run saw. Every answer is parsed; anything but a clean 2xx GraphQL answer is an error. */
export interface LoadResult {
  /** Answers received (of any status). */
  requests: number;
  duration: number;
  p50: number;
  p99: number;
  /** Socket errors and timeouts (autocannon's), answers other than 2xx, answers that are no JSON object. */
  socketErrors: number;
  timeouts: number;
  non2xx: number;
  invalid: number;
  /** Answers carrying GraphQL errors, and those errors by extensions.code (NO_CODE without one). */
  errorAnswers: number;
  /** Answers that are not a clean success: not 2xx, no JSON object, or with GraphQL errors (each once). */
  failedAnswers: number;
  errorCodes: Record<string, number>;
  /** One example error per code, for the report. */
  errorExamples: Record<string, string>;
  /** Distinct requests among those answered, and the universe they were drawn from. */
  distinct: number;
  universe: number;
  /** CPU seconds the load generator itself used (user + system), so a saturated generator shows. */
  loadCpu: number;
  /** Open loop only: the rate asked for, the p99.9, requests still unanswered at the end, the generator's worst lag behind its schedule. */
  rate?: number;
  p999?: number;
  unfinished?: number;
  maxSendLagMs?: number;
}

/**
 * One load run, in its own process so the load generator's CPU is not the gateway's: a closed
 * loop (autocannon, `connections` keep-alive connections, each sending its next request when the
 * last is answered) for throughput, or an open loop (`rate`: requests sent on a fixed schedule,
 * latency from each one's intended send time) for latency at equal load. Each request is the next
 * draw of the scenario's seeded Zipf sequence and its client headers the next of CLIENTS'
 * (traffic.ts); each answer is parsed and its errors counted by code. Its own CPU is reported.
 */
async function main() {
  const options: LoadOptions = JSON.parse(process.argv[2]);
  const scenario = SCENARIOS.find((s) => s.name === options.scenario)!;
  const data: BenchData = JSON.parse(readFileSync(options.dataFile, 'utf8'));
  const universe: Sent[] = options.citySummaryOnly
    ? [0, 1].map((i) => ({ query: scenario.query!, variables: citySummaryVariables(i) }))
    : scenario.universe(data);
  const draw = options.citySummaryOnly ? (() => { let i = 0; return () => i++ % 2; })() : zipfSampler(universe.length, options.seed);
  // Which app (name and release) each request comes from: apollographql-client-* headers, as real traffic has.
  const client = clientSampler(options.seed);
  const bodies = new Map<number, string>();
  const bodyOf = (index: number) => {
    let body = bodies.get(index);
    if (body === undefined) bodies.set(index, (body = JSON.stringify(universe[index])));
    return body;
  };

  const answered: number[] = [];
  const errorCodes: Record<string, number> = {};
  const errorExamples: Record<string, string> = {};
  let errorAnswers = 0;
  let failedAnswers = 0;
  let invalid = 0;
  let non2xx = 0;
  const countError = (code: string, example: string) => {
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    errorExamples[code] ??= example.slice(0, 300);
  };
  const onAnswer = (index: number, status: number, body: string) => {
    answered.push(index);
    if (status < 200 || status > 299) non2xx++;
    let answer: { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined;
    try {
      answer = JSON.parse(body);
    } catch {
      answer = undefined;
    }
    if (!answer || typeof answer !== 'object' || (!('data' in answer) && !('errors' in answer))) {
      invalid++;
      failedAnswers++;
      countError(`INVALID_ANSWER_${status}`, body);
      return;
    }
    const errors = Array.isArray(answer.errors) ? answer.errors : [];
    if (errors.length) errorAnswers++;
    if (errors.length || status < 200 || status > 299) failedAnswers++;
    if (!errors.length && (status < 200 || status > 299)) countError(`HTTP_${status}`, body);
    for (const error of errors) countError(error?.extensions?.code ?? 'NO_CODE', JSON.stringify(error));
  };

  const { pathname, search } = new URL(options.url);
  const signed = { method: 'POST', target: pathname + search, identity: options.headers?.['x-zigong-identity'] };
  const headersFor = (body: string): Record<string, string> => ({
    'content-type': 'application/json',
    ...options.headers,
    ...client(),
    ...(options.signingSecret ? signRequest(options.signingSecret, { ...signed, body }) : {}),
  });
  const cpuBefore = process.cpuUsage();
  let result: Pick<LoadResult, 'requests' | 'duration' | 'p50' | 'p99' | 'socketErrors' | 'timeouts' | 'non2xx'> & Partial<LoadResult>;
  if (options.rate) result = await openLoop(options, draw, bodyOf, headersFor, onAnswer);
  else {
    const run = await autocannon({
      url: options.url,
      connections: options.connections,
      duration: options.duration,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      requests: [
        {
          setupRequest: (req, context) => {
            const index = draw();
            context.index = index;
            const body = bodyOf(index);
            return { ...req, body, headers: { ...req.headers, ...headersFor(body) } };
          },
          onResponse: (status, body, context) => onAnswer(context.index as number, status, body),
        },
      ],
    });
    result = {
      requests: run.requests.total,
      duration: run.duration,
      p50: run.latency.p50,
      p99: run.latency.p99,
      socketErrors: run.errors - run.timeouts,
      timeouts: run.timeouts,
      non2xx: run.non2xx,
    };
  }
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(
    JSON.stringify({
      ...result,
      errorAnswers,
      failedAnswers,
      invalid,
      errorCodes,
      errorExamples,
      universe: universe.length,
      distinct: distinctCount(answered),
      loadCpu: (cpu.user + cpu.system) / 1e6,
    } satisfies LoadResult),
  );

  /** The open loop: requests at a fixed rate over keep-alive connections (as many as the backlog needs, up to 256). */
  async function openLoop(
    o: LoadOptions,
    next: () => number,
    body: (index: number) => string,
    headers: (body: string) => Record<string, string>,
    answer: (index: number, status: number, body: string) => void,
  ) {
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const url = new URL(o.url);
    const histogram = latencyHistogram();
    let socketErrors = 0;
    let timeouts = 0;
    const send = () =>
      new Promise<void>((done) => {
        let timedOut = false;
        const index = next();
        const text = body(index);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, headers: { ...headers(text), 'content-length': Buffer.byteLength(text) }, timeout: 10_000 },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              answer(index, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
              done();
            });
            res.on('error', () => {
              socketErrors++;
              done();
            });
          },
        );
        req.on('timeout', () => {
          timedOut = true;
          timeouts++;
          req.destroy();
        });
        req.on('error', () => {
          if (!timedOut) socketErrors++;
          done();
        });
        req.end(text);
      });
    const run = await runOpenLoop({ rate: o.rate!, durationSeconds: o.duration, send, histogram });
    agent.destroy();
    const { p50, p99, p999 } = percentilesMs(histogram);
    return {
      requests: run.completed,
      duration: run.elapsedSeconds,
      p50,
      p99,
      p999,
      socketErrors,
      timeouts: timeouts + run.unfinished,
      non2xx,
      rate: o.rate,
      unfinished: run.unfinished,
      maxSendLagMs: run.maxSendLagMs,
    };
  }
}

void main();
