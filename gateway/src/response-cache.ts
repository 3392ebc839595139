import type { Logger, Shortcut } from '@zigong/platform';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { type ParsedQuery, queryText } from './documents';

const CHANNEL = 'zigong:response-cache:invalidate';

export interface ResponseCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** May this request be answered from the cache (is it allowed to read at all)? */
  mayRead: (req: IncomingMessage) => Promise<boolean>;
  parseQuery: (query: string) => ParsedQuery | null;
  /** With Redis, every replica drops its cache when any replica sees a write. */
  redisUrl?: string;
  logger: Logger;
}

/**
 * A short-lived cache of whole query responses, for hot reads. Every reader may see every answer
 * in this graph (permissions guard writes only), so answers are shared; responses with errors are
 * never kept. A mutation through any gateway empties it, and an answer computed while a mutation
 * ran is not kept (a generation counter), so a client never reads its own write stale.
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

  const respond = async (req: IncomingMessage, body: unknown, url: URL): Promise<Shortcut | undefined> => {
    const query = queryText(body, url);
    if (!query) return undefined;
    const parsed = options.parseQuery(query);
    if (!parsed) return undefined;
    if (parsed.writes) {
      write();
      return { remember: write };
    }
    if (!(await options.mayRead(req))) return undefined;
    const { variables, operationName } = (body ?? {}) as { variables?: unknown; operationName?: unknown };
    const key = createHash('sha1').update(query).update('\0').update(JSON.stringify(variables ?? null)).update('\0').update(String(operationName ?? '')).digest('base64');
    const hit = entries.get(key);
    if (hit !== undefined) return { answer: hit };
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
