import { type Logger, MemoryNonceStore, type NonceStore, redisReady } from '@zigong/platform';
import Redis from 'ioredis';

export interface RedisNonceStoreOptions {
  url: string;
  prefix?: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** A Redis slower than this counts as unreachable for the request. */
  commandTimeoutMs?: number;
}

export interface SharedNonceStore extends NonceStore {
  /** Requests whose nonce this process checked alone because Redis could not be asked. */
  fallbacks(): number;
  connected(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The nonces in Redis (SET NX PX), so a request replayed to another replica of the subgraph is
 * refused too. Where Redis cannot be asked, this process's own cache decides rather than refusing
 * every request: the signature still binds method, path, identity and body, so what an attacker
 * gains during an outage is, at most, a second delivery of an identical request to another replica
 * within the 60 s window, while refusing would take every department down with Redis. Each such
 * decision is counted and the outage logged once. Nonces are also always kept locally, so a replay
 * to the same replica is refused whether Redis answers or not.
 */
export function redisNonceStore(options: RedisNonceStoreOptions): SharedNonceStore {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 250 });
  redis.on('error', () => undefined); // reported per outage below, not per reconnection attempt
  const prefix = options.prefix ?? 'zigong:nonce:';
  const local = new MemoryNonceStore();
  let down = false;
  let fallbacks = 0;
  return {
    async remember(nonce, expiresAt) {
      if (!local.remember(nonce, expiresAt)) return false;
      const ttl = Math.max(1, expiresAt - Date.now());
      try {
        const set = await redis.set(prefix + nonce, '1', 'PX', ttl, 'NX');
        if (down) {
          down = false;
          options.logger.info('request signatures: Redis answers again; replicas share the replay cache again');
        }
        return set === 'OK';
      } catch (error) {
        if (!down) {
          down = true;
          options.logger.warn({ err: error }, 'request signatures: Redis cannot be reached; this replica checks replays on its own until it can');
        }
        fallbacks += 1;
        return true;
      }
    },
    fallbacks: () => fallbacks,
    connected: (timeoutMs?: number) => redisReady(redis, timeoutMs),
    close: async () => {
      redis.disconnect();
    },
  };
}
