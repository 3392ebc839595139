import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import type { IncomingMessage } from 'node:http';

/** Apollo Server's media types for a single result (its MEDIA_TYPES, which it does not export). */
const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
const JSON_CALLBACK_TYPE = 'application/json; callbackSpec=1.0; charset=utf-8';

/** Accept headers seen, and what they negotiate to: a server's clients send very few distinct ones. */
const answerTypes = new LRUCache<string, { type: string | undefined }>({ max: 64 });

/**
 * The media type Apollo Server answers a single result with, negotiated as Apollo does
 * (chooseContentTypeForSingleResultResponse: no Accept means JSON, otherwise negotiator over its
 * three types), or undefined where Apollo would answer otherwise: a 406, or the subscription
 * callback type. So `application/graphql-response+json, application/json` (the GraphQL-over-HTTP
 * spec's advice, and Hive Gateway's) is answered as graphql-response+json, and a bare wildcard as
 * JSON. The shortcuts that answer without Apollo (the gateway's direct route, a subgraph's
 * compiled queries) answer with this type, or leave the request to Apollo.
 */
export function answerType(accept: string | undefined): string | undefined {
  if (!accept) return JSON_TYPE;
  const known = answerTypes.get(accept);
  if (known) return known.type;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([JSON_TYPE, GRAPHQL_RESPONSE_TYPE, JSON_CALLBACK_TYPE]);
  const type = preferred === JSON_TYPE || preferred === GRAPHQL_RESPONSE_TYPE ? preferred : undefined;
  answerTypes.set(accept, { type });
  return type;
}

/** A plain `application/json` request body: Apollo's CSRF check and its 415 judge every other type. */
export const isJsonBody = (req: IncomingMessage) => /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
