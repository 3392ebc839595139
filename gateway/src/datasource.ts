import type { Authorized } from './authorization-guard';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  encodeIdentity,
  IDENTITY_HEADER,
  type Identity,
  injectTraceContext,
  inSpan,
  REQUEST_ID_HEADER,
  signRequest,
  type Span,
  SpanKind,
  SpanStatusCode,
} from '@zigong/platform';
import { type DocumentNode, GraphQLError } from 'graphql';
import { Pool } from 'undici';
import type { Metrics } from './metrics';

export interface GatewayContext {
  identity: Identity | null;
  requestId: string;
  /**
   * Filled in once Apollo has resolved the operation, for logs and metrics. An object, because
   * Apollo hands plugins a shallow copy of the context.
   */
  operation: {
    name?: string | null;
    /** The text Apollo validated (a persisted query's once resolved) and its document, for usage reporting. */
    text?: string;
    document?: DocumentNode;
    /** The answer carries errors. */
    errors?: boolean;
  };
  /** Subgraphs the direct route saw fail for this request, with the error they failed with. */
  failed?: Map<string, GraphQLError>;
  /** What field authorization removed from the request's operation, to complete its answer. */
  authorized?: Authorized;
}

export interface SubgraphOptions {
  name: string;
  url: string;
  timeoutMs: number;
  signingSecret?: string;
  metrics: Metrics;
  /** Identical reads in flight at once share one request (default true; DEDUPE=false turns it off). */
  dedupe?: boolean;
  /** The key they share it under; tests replace it to prove a wrong key is noticed. */
  dedupeKey?: (body: string, headers: Record<string, string>) => string;
}

/** Same caller, same exact body: the answer is the same, whatever request id either carries. */
const sameRead = (body: string, headers: Record<string, string>) => `${headers[IDENTITY_HEADER] ?? ''}\n${body}`;

/** Errors that name the department, so a client knows whose data is missing. */
function subgraphError(name: string, code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, subgraph: name } });
}

export interface SubgraphAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * HTTP to one subgraph: an undici connection pool (keep-alive, no WHATWG streams: Node's fetch
 * cost the gateway more CPU than the rest of a request), a deadline, the gateway's signature over
 * the method, path, identity and exact body sent (a new nonce for each request), per-subgraph metrics, and in-flight deduplication of identical reads.
 */
export class SubgraphClient {
  private readonly pool: Pool;

  private readonly path: string;

  // Identical reads in flight at once (many clients opening the same page) share one subgraph
  // request; writes never do.
  private readonly inFlight = new Map<string, Promise<SubgraphAnswer>>();

  private readonly spanAttributes: Record<string, string | number>;

  constructor(private readonly options: SubgraphOptions) {
    const url = new URL(options.url);
    this.pool = new Pool(url.origin, { connections: 64, keepAliveTimeout: 30_000 });
    this.path = url.pathname;
    this.spanAttributes = { subgraph: options.name, 'http.request.method': 'POST', 'server.address': url.hostname, 'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }

  /** Sends a GraphQL body; throws SUBGRAPH_TIMEOUT or SUBGRAPH_UNAVAILABLE, naming the subgraph. */
  request(body: string, headers: Record<string, string>, read: boolean): Promise<SubgraphAnswer> {
    if (!read || this.options.dedupe === false) return this.send(body, headers);
    const key = (this.options.dedupeKey ?? sameRead)(body, headers);
    let answer = this.inFlight.get(key);
    if (!answer) {
      answer = this.send(body, headers).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, answer);
    }
    return answer;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private send(body: string, headers: Record<string, string>): Promise<SubgraphAnswer> {
    return inSpan(`subgraph ${this.options.name}`, { kind: SpanKind.CLIENT, attributes: this.spanAttributes }, (span) => this.sendTraced(body, headers, span));
  }

  private async sendTraced(body: string, headers: Record<string, string>, span: Span | undefined): Promise<SubgraphAnswer> {
    const { name, timeoutMs, signingSecret, metrics } = this.options;
    const signed = signingSecret
      ? { ...headers, ...signRequest(signingSecret, { method: 'POST', target: this.path, body, identity: headers[IDENTITY_HEADER] }) }
      : headers;
    injectTraceContext(signed);
    const stop = metrics.subgraphDuration.startTimer({ subgraph: name });
    try {
      const response = await this.pool.request({ path: this.path, method: 'POST', headers: signed, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const text = await response.body.text();
      span?.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 400) {
        metrics.subgraphErrors.inc({ subgraph: name, kind: `http_${response.statusCode}` });
        span?.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.statusCode}` });
      }
      return { status: response.statusCode, headers: response.headers as Record<string, string>, text };
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      metrics.subgraphErrors.inc({ subgraph: name, kind: timedOut ? 'timeout' : 'unavailable' });
      if (timedOut) throw subgraphError(name, 'SUBGRAPH_TIMEOUT', `The ${name} subgraph did not answer within ${timeoutMs} ms.`);
      throw subgraphError(name, 'SUBGRAPH_UNAVAILABLE', `The ${name} subgraph is unavailable; data from other departments is still returned.`);
    } finally {
      stop();
    }
  }
}

/**
 * The error a subgraph's non-2xx answer becomes, for either route. The gateway only sends a
 * subgraph what the API schema accepted (or the planner wrote), so a refusal is never the
 * client's fault: SUBGRAPH_ERROR (SUBGRAPH_REFUSED for a 401, a signature it does not accept),
 * naming the department, the status and the subgraph's own first error message where it gave one.
 */
export function errorFromAnswer(name: string, status: number, text: string): GraphQLError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const first = (body as { errors?: Array<{ message?: unknown }> })?.errors?.[0]?.message;
  const reason = typeof first === 'string' ? `: ${first}` : '.';
  return subgraphError(name, status === 401 ? 'SUBGRAPH_REFUSED' : 'SUBGRAPH_ERROR', `The ${name} subgraph answered HTTP ${status}${reason}`);
}

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** Reads may share an in-flight request; a mutation never does. */
const READ = /^\s*(?:query\b|\{)/;

/**
 * One department's subgraph as the gateway calls it: identity and request id passed on, every
 * error naming the department. Written against Apollo's GraphQLDataSource interface rather than
 * on RemoteGraphQLDataSource, which built a node-fetch Request, Headers and URL per subgraph
 * call only to hand them to a fetcher that does not use them.
 */
export class DepartmentDataSource implements GraphQLDataSource<GatewayContext> {
  readonly client: SubgraphClient;

  private readonly subgraph: string;

  constructor(options: SubgraphOptions) {
    this.client = new SubgraphClient(options);
    this.subgraph = options.name;
  }

  /** Closes the subgraph's connections; the gateway calls it when it stops. */
  close(): Promise<void> {
    return this.client.close();
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    // Where the direct route already met this subgraph failing for this request, Apollo's run of
    // the same request gets that failure at once instead of waiting out a second timeout.
    const failure = context?.failed?.get(this.subgraph);
    if (failure) throw failure;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    for (const [name, value] of request.http?.headers ?? []) headers[name] = value;
    headers['content-type'] = 'application/json';
    if (context?.identity) headers[IDENTITY_HEADER] = encodeIdentity(context.identity);
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions });

    const answer = await this.client.request(body, headers, READ.test(request.query));
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(this.subgraph, answer.status, answer.text);
    const response = graphQLResponse(answer.text);
    if (!response) {
      throw subgraphError(this.subgraph, 'SUBGRAPH_ERROR', `The ${this.subgraph} subgraph answered with something that is not a GraphQL response.`);
    }
    for (const error of response.errors ?? []) {
      (error as { extensions?: Record<string, unknown> }).extensions = { ...error.extensions, subgraph: error.extensions?.subgraph ?? this.subgraph };
    }
    if ('incomingRequestContext' in options) {
      const policy = options.incomingRequestContext.overallCachePolicy as { restrict?: (hint: CacheHint) => void } | undefined;
      policy?.restrict?.(cacheHint(answer.headers['cache-control']));
    }
    return response;
  }
}

/** The answer as a GraphQL response object, or undefined where it is not JSON or not an object. */
function graphQLResponse(text: string): GatewayGraphQLResponse | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as GatewayGraphQLResponse) : undefined;
  } catch {
    return undefined;
  }
}

interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

/** A subgraph's Cache-Control as the hint Apollo's cache policy takes; no max-age means do not cache. */
function cacheHint(header: string | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  for (const directive of (header ?? '').toLowerCase().split(',')) {
    const [name, value] = directive.trim().split('=');
    if (name === 'max-age' && /^\d+$/.test(value ?? '')) hint.maxAge = Number(value);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}
