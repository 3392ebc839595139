/** What `redisReady` needs of an ioredis client (the platform itself does not depend on ioredis). */
export interface RedisConnection {
  status: string;
  once(event: 'ready', listener: () => void): unknown;
}

/**
 * Waits, at most `timeoutMs`, for a Redis client's first connection: true once it is ready, false
 * when the wait ran out. A process that starts beside a Redis that is down waits once, then serves
 * on its fallback rather than refusing to start.
 */
export function redisReady(redis: RedisConnection, timeoutMs = 2_000): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}
