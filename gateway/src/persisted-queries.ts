import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { type Logger, redisReady, type Refusal } from '@zigong/platform';
import type { SavedOperation } from '@zigong/platform';
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { persistedQueryHash, queryText } from './documents';

/** Apollo Server keeps persisted queries under this prefix in the cache it is given. */
const APQ_PREFIX = 'apq:';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Persisted queries in Redis, so every gateway replica knows a query any of them has seen. A
 * Redis outage degrades to cache misses (clients resend the query text), never to failed requests.
 */
export class RedisCache implements KeyValueCache<string> {
  private readonly redis: Redis;

  constructor(url: string, private readonly logger: Logger, private readonly prefix = 'zigong:') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', (error) => logger.warn({ err: error }, 'redis unavailable; persisted queries fall back to misses'));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      if (options?.ttl) await this.redis.set(this.prefix + key, value, 'EX', options.ttl);
      else await this.redis.set(this.prefix + key, value);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not store a persisted query in redis');
    }
  }

  async delete(key: string): Promise<boolean | void> {
    try {
      await this.redis.del(this.prefix + key);
    } catch {
      // a stale entry expires on its own
    }
  }

  /** Waits (bounded) for the first connection, so a fresh replica does not start with misses. */
  connected(timeoutMs?: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** The registered operations by the sha256 of their text: the trusted documents. */
export function trustedDocuments(operations: SavedOperation[]): Map<string, string> {
  return new Map(operations.map((operation) => [sha256(operation.text), operation.text]));
}

/**
 * A persisted-query cache that always knows the registered operations, whatever else it holds,
 * and the active app manifests' operations (`known`) when the gateway loads them.
 */
export function withRegisteredOperations(cache: KeyValueCache<string>, trusted: Map<string, string>, known?: (hash: string) => string | undefined): KeyValueCache<string> {
  const lookup = (hash: string) => trusted.get(hash) ?? known?.(hash);
  return {
    get: async (key) => (key.startsWith(APQ_PREFIX) ? lookup(key.slice(APQ_PREFIX.length)) : undefined) ?? cache.get(key),
    set: (key, value, options) => cache.set(key, value, options),
    delete: (key) => cache.delete(key),
  };
}

/** Trusted-documents mode: only a registered operation, by its text or its hash, may run. */
export function trustedDocumentsGuard(trusted: Map<string, string>) {
  return (_req: unknown, _raw: string, body: unknown, url: URL): Refusal | null => {
    const query = queryText(body, url) ?? undefined;
    const hash = persistedQueryHash(body, url);
    if (query !== undefined ? trusted.has(sha256(query)) : typeof hash === 'string' && trusted.has(hash)) return null;
    if (query === undefined && hash === undefined) return null; // not a GraphQL request; Apollo answers it
    return {
      status: 400,
      code: 'PERSISTED_QUERY_NOT_IN_LIST',
      message: 'This gateway runs only the registered operations of schema/operations; send one of them, or its sha256 hash.',
    };
  };
}
