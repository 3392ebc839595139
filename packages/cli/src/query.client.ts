import { isObject, type Json } from './query.flatten';

/** The HTTP side of `npm run query`: one POST to the gateway, its answer checked to be GraphQL. */

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';
const TIMEOUT_MS = 60_000;

/** The gateway could not be asked or did not answer GraphQL: exit 1 with its message. */
export class GatewayError extends Error {
  readonly code = 'QUERY_GATEWAY';
}

export interface GraphQLAnswer {
  data?: Json;
  errors?: Array<{ message?: string; path?: Array<string | number>; extensions?: { code?: string; subgraph?: string } }>;
}

/** POSTs the operation; throws GatewayError when there is no GraphQL answer to show. */
export async function postOperation(url: string, body: unknown, token?: string): Promise<GraphQLAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/graphql-response+json, application/json',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    if ((error as Error).name === 'TimeoutError') throw new GatewayError(`the gateway at ${url} did not answer within ${TIMEOUT_MS / 1000} s.`);
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new GatewayError(`cannot reach the gateway at ${url} (${reason}). Is it running? Start it with \`npm start\`, or pass --url.`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new GatewayError(`${url} answered ${response.status} ${response.statusText} without JSON: ${text.slice(0, 200).trim() || '(empty body)'}`);
  }
  if (!isObject(answer as Json) || (!('data' in (answer as object)) && !('errors' in (answer as object)))) {
    throw new GatewayError(`${url} answered ${response.status} with JSON that is not a GraphQL response; is --url the gateway's /graphql?`);
  }
  return answer as GraphQLAnswer;
}

/** One line per GraphQL error: message, code, path and the subgraph it came from. */
export function describeErrors(errors: NonNullable<GraphQLAnswer['errors']>): string {
  return errors
    .map((error) => {
      const code = error.extensions?.code ? ` [${error.extensions.code}]` : '';
      const path = error.path?.length ? ` at ${error.path.join('.')}` : '';
      const subgraph = error.extensions?.subgraph ? ` (subgraph ${error.extensions.subgraph})` : '';
      return `query: error${code}${path}${subgraph}: ${error.message ?? 'no message'}\n`;
    })
    .join('');
}
