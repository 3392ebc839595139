import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { encodeIdentity, IDENTITY_HEADER, type Identity, REQUEST_ID_HEADER, SIGNATURE_HEADER, signRequest } from '@zigong/kit';
import { GraphQLError } from 'graphql';
import type { Metrics } from './metrics';

export interface GatewayContext {
  identity: Identity | null;
  requestId: string;
  /**
   * Filled in once Apollo has resolved the operation, for logs and metrics. An object, because
   * Apollo hands plugins a shallow copy of the context.
   */
  operation: { name?: string | null };
}

export interface SubgraphOptions {
  name: string;
  url: string;
  timeoutMs: number;
  signingSecret?: string;
  metrics: Metrics;
}

/** Errors that name the department, so a client knows whose data is missing. */
function subgraphError(name: string, code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, subgraph: name } });
}

/**
 * Node's fetch (undici, keep-alive by default) with a deadline, the gateway's signature over the
 * exact body sent, and per-subgraph metrics.
 */
function subgraphFetcher({ name, timeoutMs, signingSecret, metrics }: SubgraphOptions): Fetcher {
  return (async (url: string, init: { body?: string; headers?: Record<string, string> } & Record<string, unknown>) => {
    const headers = { ...init.headers };
    if (signingSecret) headers[SIGNATURE_HEADER] = signRequest(signingSecret, init.body ?? '');
    const stop = metrics.subgraphDuration.startTimer({ subgraph: name });
    try {
      const response = await fetch(url, { ...(init as RequestInit), headers, signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) metrics.subgraphErrors.inc({ subgraph: name, kind: `http_${response.status}` });
      return response;
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      metrics.subgraphErrors.inc({ subgraph: name, kind: timedOut ? 'timeout' : 'unavailable' });
      if (timedOut) throw subgraphError(name, 'SUBGRAPH_TIMEOUT', `The ${name} subgraph did not answer within ${timeoutMs} ms.`);
      throw subgraphError(name, 'SUBGRAPH_UNAVAILABLE', `The ${name} subgraph is unavailable; data from other departments is still returned.`);
    } finally {
      stop();
    }
  }) as unknown as Fetcher;
}

/** One department's subgraph as the gateway calls it: identity and request id passed on. */
export class DepartmentDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraph: string;

  constructor(options: SubgraphOptions) {
    super({ url: options.url, fetcher: subgraphFetcher(options) });
    this.subgraph = options.name;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context?.identity) request.http?.headers.set(IDENTITY_HEADER, encodeIdentity(context.identity));
    if (context?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const code = response.status === 401 ? 'SUBGRAPH_REFUSED' : 'SUBGRAPH_ERROR';
    return subgraphError(this.subgraph, code, `The ${this.subgraph} subgraph answered HTTP ${response.status}.`);
  }
}
