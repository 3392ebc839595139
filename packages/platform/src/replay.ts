import { LRUCache } from 'lru-cache';
import type { NonceStore } from './signing';

/** Enough for about 1,600 signed requests a second per subgraph process at a 60 s window. */
export const DEFAULT_NONCE_CAPACITY = 100_000;

/**
 * The nonces this process accepted, each until its signature would be stale anyway. Bounded: when
 * full, the oldest nonce is dropped before its window ends, and from then on every signature as old
 * as it is refused (`created` at or before the watermark), so a full cache shortens the window
 * instead of letting a replay through.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly seen: LRUCache<string, number>;

  /** Signatures created at or before this (epoch ms) can no longer be proved new. */
  private watermark = 0;

  constructor(capacity = DEFAULT_NONCE_CAPACITY) {
    this.seen = new LRUCache<string, number>({
      max: capacity,
      ttlAutopurge: false,
      dispose: (expiresAt, _nonce, reason) => {
        if (reason === 'evict' && expiresAt > Date.now()) this.watermark = Math.max(this.watermark, expiresAt);
      },
    });
  }

  remember(nonce: string, expiresAt: number): boolean {
    if (expiresAt <= this.watermark) return false;
    if (this.seen.has(nonce)) return false;
    const ttl = expiresAt - Date.now();
    if (ttl <= 0) return false;
    this.seen.set(nonce, expiresAt, { ttl });
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
