import { answerType, type Identity, isJsonBody, type Logger } from '@zigong/platform';
import { getOperationAST } from 'graphql';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { ParsedQuery } from './documents';
import type { RanShortcut } from './usage';

const CHANNEL = 'zigong:response-cache:invalidate';

export interface ResponseCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** Who is asking; throws for a token that does not verify. */
  identity: (req: IncomingMessage) => Promise<Identity | null>;
  /** Whether a request without a token may read at all. */
  allowAnonymousReads: boolean;
  parseQuery: (query: string) => ParsedQuery | null;
  /** The text of a persisted query by its sha256, where the gateway knows it. */
  persistedQuery: (hash: string) => Promise<string | undefined>;
  /** The hash of the supergraph being served: an answer belongs to the schema that computed it. */
  supergraph: () => string;
  /** What else tells callers' answers apart (field authorization's granted policies); their scopes always do. */
  partition?: (req: IncomingMessage) => Promise<string>;
  /** With Redis, every replica drops its cache when any replica sees a write. */
  redisUrl?: string;
  logger: Logger;
}

/** A GraphQL request's parameters, read from where Apollo Server reads them for its method. */
export interface GraphQLParams {
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The request's parameters as Apollo Server takes them (runHttpQuery): a POST's JSON body only, a
 * GET's search parameters only, each given at most once, variables and extensions as JSON objects.
 * Undefined where Apollo would refuse the request instead (400), so no shortcut answers it.
 */
export function graphqlParams(method: string | undefined, body: unknown, url: URL): GraphQLParams | undefined {
  let raw: Record<string, unknown>;
  if (method === 'POST') {
    if (!isRecord(body)) return undefined;
    raw = body;
  } else if (method === 'GET') {
    raw = {};
    for (const name of ['query', 'operationName', 'variables', 'extensions']) {
      const values = url.searchParams.getAll(name);
      if (values.length > 1) return undefined;
      if (values.length === 0) continue;
      try {
        raw[name] = name === 'variables' || name === 'extensions' ? JSON.parse(values[0]) : values[0];
      } catch {
        return undefined;
      }
    }
  } else return undefined;
  const { query, variables, operationName, extensions } = raw;
  if (query != null && typeof query !== 'string') return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  if (variables != null && !isRecord(variables)) return undefined;
  if (extensions != null && !isRecord(extensions)) return undefined;
  return {
    query: query ?? undefined,
    variables: variables ?? undefined,
    operationName: operationName ?? undefined,
    extensions: extensions ?? undefined,
  };
}

/** Apollo's CSRF prevention lets a GET through only with one of these headers set (its recommended ones). */
const preflighted = (req: IncomingMessage) => ['x-apollo-operation-name', 'apollo-require-preflight'].some((name) => !!req.headers[name]);

/** Did a mutation's answer change anything: a root field came back with a value (a partial success writes too). */
function wrote(status: number, text: string): boolean {
  if (status !== 200) return false;
  try {
    const { data } = JSON.parse(text) as { data?: unknown };
    return isRecord(data) && Object.values(data).some((value) => value !== null);
  } catch {
    return false;
  }
}

/**
 * A short-lived cache of whole query responses, for hot reads. An answer is kept under everything
 * that can change it: the query text (a persisted query's resolved text), variables, operation
 * name, method, negotiated media type, the caller's scopes (field authorization will make answers
 * depend on them) and the supergraph. Only a request Apollo would accept as it stands is answered
 * from it, so a hit never stands in for a refusal. Responses with errors are never kept.
 * A mutation that a verified caller got through (a root field with a value) empties it on every
 * replica; a refused one (junk token, no token, no scope) leaves it alone. An answer computed while
 * a mutation ran is not kept (a generation counter), so a client never reads its own write stale.
 */
export function responseCache(options: ResponseCacheOptions) {
  const entries = new LRUCache<string, string>({ max: options.maxEntries, ttl: options.ttlMs });
  let generation = 0;
  const invalidate = () => {
    generation++;
    entries.clear();
  };
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  if (options.redisUrl) {
    publisher = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
    for (const connection of [publisher, subscriber]) connection.on('error', () => undefined);
    void subscriber.subscribe(CHANNEL).catch((error) => options.logger.warn({ err: error }, 'response cache: no cross-replica invalidation'));
    subscriber.on('message', invalidate);
  }
  const write = () => {
    invalidate();
    publisher?.publish(CHANNEL, '1').catch(() => undefined);
  };

  /** The query text the request runs: its own, or the persisted one its hash names (which must match a text it also sends). */
  const resolvedText = async (params: GraphQLParams): Promise<{ text: string; registers: boolean } | undefined> => {
    const persisted = params.extensions?.persistedQuery;
    if (persisted === undefined) return params.query === undefined ? undefined : { text: params.query, registers: false };
    if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') return undefined;
    // Compared and looked up as given, as Apollo does: another spelling of a hash is another hash.
    const hash = persisted.sha256Hash;
    if (params.query !== undefined) {
      // Text and hash together register the text: Apollo must see it, and a wrong hash is its to refuse.
      return createHash('sha256').update(params.query).digest('hex') === hash ? { text: params.query, registers: true } : undefined;
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const text = await options.persistedQuery(hash).catch(() => undefined);
    return text === undefined ? undefined : { text, registers: false };
  };

  const respond = async (req: IncomingMessage, body: unknown, url: URL): Promise<RanShortcut | undefined> => {
    if (req.method === 'POST' ? !isJsonBody(req) : !preflighted(req)) return undefined;
    const params = graphqlParams(req.method, body, url);
    if (!params) return undefined;
    const contentType = answerType(req.headers.accept);
    if (!contentType) return undefined;
    const resolved = await resolvedText(params);
    if (!resolved) return undefined;
    let parsed: ParsedQuery | null;
    try {
      parsed = options.parseQuery(resolved.text);
    } catch {
      return undefined;
    }
    const operation = parsed && getOperationAST(parsed.document, params.operationName);
    if (!operation) return undefined;
    let identity: Identity | null;
    try {
      identity = await options.identity(req);
    } catch {
      return undefined; // a token that does not verify: Apollo answers 401, and nothing is kept or emptied
    }
    if (operation.operation === 'mutation') {
      if (!identity || req.method !== 'POST') return undefined;
      return {
        remember: (status, text) => {
          if (wrote(status, text)) write();
        },
      };
    }
    if (operation.operation !== 'query') return undefined;
    if (!identity && !options.allowAnonymousReads) return undefined;
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          options.supergraph(),
          req.method,
          contentType,
          identity ? [...identity.scopes].sort() : null,
          (await options.partition?.(req)) ?? '',
          resolved.text,
          params.operationName ?? null,
          params.variables ?? null,
        ]),
      )
      .digest('base64');
    const hit = resolved.registers ? undefined : entries.get(key);
    // Only answers without errors are kept.
    if (hit !== undefined) return { answer: hit, contentType, ran: { text: resolved.text, operationName: params.operationName, document: parsed!.document, errors: false } };
    const started = generation;
    return {
      remember: (status, text) => {
        if (status !== 200 || started !== generation || text.includes('"errors"')) return;
        entries.set(key, text);
      },
    };
  };
  return {
    respond,
    close: async () => {
      publisher?.disconnect();
      subscriber?.disconnect();
    },
  };
}
