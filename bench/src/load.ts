// The platform's signing module alone, not the kit, which would add a second to every load
// process's start. A wrong signature would show: the subgraph answers 401, which the run counts.
import { signRequest } from '@zigong/platform/dist/signing';
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { type BenchData, citySummaryVariables, SCENARIOS, type Variables } from './scenarios';
import { clientSampler, zipfSampler } from './traffic';

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
  /** Distinct variable sets among the answered requests, and the universe they were drawn from. */
  distinct: number;
  universe: number;
}

/**
 * One load run, in its own process so the load generator's CPU is not the gateway's: autocannon
 * over keep-alive connections for a fixed duration; each request's variables are the next draw
 * of the scenario's seeded Zipf sequence and its client headers the next of CLIENTS' (traffic.ts),
 * each answer is parsed and its errors counted by code.
 */
async function main() {
  const options: LoadOptions = JSON.parse(process.argv[2]);
  const scenario = SCENARIOS.find((s) => s.name === options.scenario)!;
  const data: BenchData = JSON.parse(readFileSync(options.dataFile, 'utf8'));
  const universe: Variables[] = options.citySummaryOnly ? [0, 1].map(citySummaryVariables) : scenario.universe(data);
  const draw = options.citySummaryOnly ? (() => { let i = 0; return () => i++ % 2; })() : zipfSampler(universe.length, options.seed);
  // Which app (name and release) each request comes from: apollographql-client-* headers, as real traffic has.
  const client = clientSampler(options.seed);
  const bodies = new Map<number, string>();
  const bodyOf = (index: number) => {
    let body = bodies.get(index);
    if (body === undefined) bodies.set(index, (body = JSON.stringify({ query: scenario.query, variables: universe[index] })));
    return body;
  };

  const answered = new Set<number>();
  const errorCodes: Record<string, number> = {};
  const errorExamples: Record<string, string> = {};
  let errorAnswers = 0;
  let failedAnswers = 0;
  let invalid = 0;
  const countError = (code: string, example: string) => {
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    errorExamples[code] ??= example.slice(0, 300);
  };

  const { pathname, search } = new URL(options.url);
  const signed = { method: 'POST', target: pathname + search, identity: options.headers?.['x-zigong-identity'] };

  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (request, context) => {
          const index = draw();
          context.index = index;
          const body = bodyOf(index);
          const signature: Record<string, string> = options.signingSecret ? signRequest(options.signingSecret, { ...signed, body }) : {};
          return { ...request, body, headers: { ...request.headers, ...client(), ...signature } };
        },
        onResponse: (status, body, context) => {
          answered.add(context.index as number);
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
        },
      },
    ],
  });
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      duration: result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      socketErrors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      invalid,
      errorAnswers,
      failedAnswers,
      errorCodes,
      errorExamples,
      distinct: answered.size,
      universe: universe.length,
    } satisfies LoadResult),
  );
}

void main();
