import { createConnection } from 'node:net';

/** The Redis the multi-replica tests share (this machine runs one; a fresh one may not). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisReachable(url = REDIS_URL): Promise<boolean> {
  return new Promise((done) => {
    const { hostname, port } = new URL(url);
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.end(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}

/**
 * The first answer without errors, asked again for up to a second: Apollo stores a new persisted
 * query without waiting for Redis, so another replica may not see it at once.
 */
export async function eventually<T extends { errors?: unknown[] }>(ask: () => Promise<T>): Promise<T> {
  let answer = await ask();
  for (let i = 0; i < 20 && answer.errors; i++) {
    await new Promise((done) => setTimeout(done, 50));
    answer = await ask();
  }
  return answer;
}
