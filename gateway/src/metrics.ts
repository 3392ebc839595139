import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (tests start several gateways).
 * `polling`: the supergraph comes from SUPERGRAPH_URL, so the poll metrics mean something.
 */
export function createMetrics({ polling = false }: { polling?: boolean } = {}) {
  const registry = new Registry();
  const startedAt = Date.now();
  let lastPollSuccess: number | undefined;
  const pollRegisters = polling ? [registry] : [];
  const supergraphLastPollSuccess = new Gauge({
    name: 'gateway_supergraph_last_poll_success_timestamp_seconds',
    help: 'When SUPERGRAPH_URL last answered with a supergraph this gateway serves (or 304, unchanged); 0 until it has',
    registers: pollRegisters,
  });
  collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    requests: new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation name and HTTP status',
      labelNames: ['operation', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request latency by operation name',
      labelNames: ['operation'] as const,
      buckets: seconds,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors returned to clients, by operation name and extensions.code',
      labelNames: ['operation', 'code'] as const,
      registers: [registry],
    }),
    subgraphDuration: new Histogram({
      name: 'subgraph_fetch_duration_seconds',
      help: 'Latency of the gateway’s requests to each subgraph',
      labelNames: ['subgraph'] as const,
      buckets: seconds,
      registers: [registry],
    }),
    subgraphErrors: new Counter({
      name: 'subgraph_fetch_errors_total',
      help: 'Failed gateway requests to each subgraph, by kind (unavailable, timeout, http_<status>)',
      labelNames: ['subgraph', 'kind'] as const,
      registers: [registry],
    }),
    directRoute: new Counter({
      name: 'gateway_direct_route_total',
      help: 'Requests one subgraph answers alone, sent straight to it, by outcome (answered; apollo: a read whose answer had errors, answered again by Apollo; failed: the subgraph failed)',
      labelNames: ['subgraph', 'outcome'] as const,
      registers: [registry],
    }),
    resultShaping: new Gauge({
      name: 'gateway_result_shaping_active',
      help: '1 when result-shaping.ts shapes this gateway’s answers; 0 when Apollo’s own does (RESULT_SHAPING=false, or another @apollo/gateway version)',
      registers: [registry],
    }),
    jwksFetchFailures: new Counter({
      name: 'gateway_jwks_fetch_failures_total',
      help: 'Failed fetches of the JWKS_URL key set (unreachable, timed out, not 200, not a key set); /ready answers 503 until one has succeeded',
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused by the rate limits (429 RATE_LIMITED, or 400 EXCEEDS_RATE_LIMIT for one larger than a whole budget), by class (reads, writes, cost) and limit set (anonymous, authenticated, or a scope)',
      labelNames: ['class', 'scope'] as const,
      registers: [registry],
    }),
    rateLimitFallback: new Counter({
      name: 'gateway_rate_limit_fallback_total',
      help: 'Rate-limit decisions this replica took on its own buckets because Redis could not be reached (RATE_LIMIT_STORE=redis)',
      registers: [registry],
    }),
    clientRequests: new Counter({
      name: 'gateway_client_requests_total',
      help: 'GraphQL requests by client (apollographql-client-name, else the token’s azp, else unknown) and version; names and versions past METRICS_CLIENT_NAMES are other',
      labelNames: ['client', 'client_version'] as const,
      registers: [registry],
    }),
    clientErrors: new Counter({
      name: 'gateway_client_errors_total',
      help: 'GraphQL requests answered with errors (a refusal included), by client and version, labelled as gateway_client_requests_total',
      labelNames: ['client', 'client_version'] as const,
      registers: [registry],
    }),
    clientDuration: new Histogram({
      name: 'gateway_client_request_duration_seconds',
      help: 'GraphQL request latency by client (its version left out: a histogram is a dozen series per label value)',
      labelNames: ['client'] as const,
      buckets: seconds,
      registers: [registry],
    }),
    usageSent: new Counter({
      name: 'gateway_usage_reports_sent_total',
      help: 'Usage reports (gzip batches) the registry accepted',
      registers: [registry],
    }),
    usageOperations: new Counter({
      name: 'gateway_usage_operations_total',
      help: 'Requests whose usage the registry accepted, summed over the reports sent',
      registers: [registry],
    }),
    usageDropped: new Counter({
      name: 'gateway_usage_reports_dropped_total',
      help: 'Requests whose usage was not reported, by reason: cap (USAGE_MAX_KEYS rows already held), registry_unreachable, timeout, http_<status> (the report that carried them failed; it is not sent again)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    supergraphInfo: new Gauge({
      name: 'gateway_supergraph_info',
      help: 'The supergraph being served: 1 for its registry composition id (empty for a file) and the first 16 hex digits of its SHA-256',
      labelNames: ['composition', 'hash'] as const,
      registers: [registry],
    }),
    supergraphLastPollSuccess,
    supergraphSecondsSincePoll: new Gauge({
      name: 'gateway_supergraph_seconds_since_poll',
      help: 'Seconds since SUPERGRAPH_URL last answered with a supergraph this gateway serves, counted from the start until it first has: how stale the served supergraph may be',
      registers: pollRegisters,
      collect() {
        this.set((Date.now() - (lastPollSuccess ?? startedAt)) / 1000);
      },
    }),
    supergraphPollFailures: new Counter({
      name: 'gateway_supergraph_poll_failures_total',
      help: 'Polls of SUPERGRAPH_URL that did not end with the served supergraph current, by kind (unreachable, timeout, http_<status>, refused: a supergraph this gateway cannot load)',
      labelNames: ['kind'] as const,
      registers: pollRegisters,
    }),
    /** A poll of SUPERGRAPH_URL ended with the served supergraph current. */
    supergraphPolled: (at = Date.now()) => {
      lastPollSuccess = at;
      supergraphLastPollSuccess.set(at / 1000);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A GraphQL name short enough to be a label; anything else a client sends is `other`. */
const LABEL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,59}$/;
export const OTHER_OPERATION = 'other';

/**
 * Operation names are client-chosen, and every distinct label value is a series kept for the life
 * of the process: the values come from a bounded set. The registered operations' names, then the
 * first `learnable` distinct names of requests a signed-in caller made successfully, then `other`.
 */
export function operationLabels(registered: Iterable<string>, learnable: number) {
  const known = new Set(registered);
  const learned = new Set<string>();
  const mayLearn = (name: string | null | undefined): name is string =>
    !!name && !known.has(name) && !learned.has(name) && learned.size < learnable && LABEL_NAME.test(name);
  const label = (name: string | null | undefined, { refused = false, learn = false } = {}): string => {
    if (!name) return 'anonymous';
    if (known.has(name)) return name;
    // A refused request's name says nothing anyone vouched for: even a learned one is not repeated.
    if (refused) return OTHER_OPERATION;
    if (learned.has(name)) return name;
    if (learn && mayLearn(name)) {
      learned.add(name);
      return name;
    }
    return OTHER_OPERATION;
  };
  return {
    /** The label of a request answered: `learn` where a signed-in caller's request succeeded. */
    of: label,
    /** Whether a successful request with this name could add it: only then is its caller worth asking about. */
    mayLearn,
    /** The label of a request's errors, counted before its outcome is known: never learns. */
    known: (name: string | null | undefined) => label(name),
  };
}
export type OperationLabels = ReturnType<typeof operationLabels>;

export const OTHER_CLIENT = 'other';
/** Client names and versions as label values: what apps call themselves, nothing that could break a label. */
const CLIENT_LABEL = /^[A-Za-z0-9][A-Za-z0-9._@/:+-]{0,59}$/;

/**
 * Client names (and versions) are whatever a request's headers say, so as labels they come from a
 * bounded set, as operation names do: the `known` names (an operator's, or apps the registry
 * knows), then the first `learnable` names whose requests a signed-in caller made successfully,
 * each with at most `versionsPerClient` versions; everything else is `other`.
 */
export function clientLabels(known: Iterable<string>, learnable: number, versionsPerClient = 5) {
  const names = new Set(known);
  const learned = new Set<string>();
  const versions = new Map<string, Set<string>>();
  const name = (client: string, learn: boolean): string => {
    if (names.has(client) || learned.has(client)) return client;
    if (learn && learned.size < learnable && CLIENT_LABEL.test(client)) {
      learned.add(client);
      return client;
    }
    return OTHER_CLIENT;
  };
  const version = (client: string, clientVersion: string, learn: boolean): string => {
    if (client === OTHER_CLIENT) return OTHER_CLIENT;
    if (clientVersion === '') return '';
    let seen = versions.get(client);
    if (seen?.has(clientVersion)) return clientVersion;
    if (!learn || !CLIENT_LABEL.test(clientVersion) || (seen?.size ?? 0) >= versionsPerClient) return OTHER_CLIENT;
    if (!seen) versions.set(client, (seen = new Set()));
    seen.add(clientVersion);
    return clientVersion;
  };
  return {
    /** The labels of a request of `client` at `clientVersion`; `learn` where a signed-in caller's request succeeded. */
    of(client: string, clientVersion: string, { learn = false } = {}): { client: string; client_version: string } {
      const label = name(client, learn);
      return { client: label, client_version: version(label, clientVersion, learn) };
    },
  };
}
export type ClientLabels = ReturnType<typeof clientLabels>;
