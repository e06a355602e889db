/**
 * The API's rate limit: a token bucket per client address (default 20 requests/s, bursts of
 * 40), so one runaway dashboard or script cannot starve the show. Pure: time comes from the
 * caller. At most `maxClients` buckets are kept; the least recently used is forgotten first
 * (a forgotten client starts again with a full bucket).
 */

export interface RateLimitOptions {
  /** Requests per second a client may keep up. */
  readonly ratePerSec: number;
  /** Requests a client may make at once after a quiet spell. */
  readonly burst: number;
  /** Buckets kept; beyond it the least recently used is forgotten. */
  readonly maxClients: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSec: 20, burst: 40, maxClients: 10_000 };

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-key token buckets. */
export class RateLimiter {
  readonly #o: RateLimitOptions;
  /** Insertion order = least recently used first. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions = DEFAULT_RATE_LIMIT) {
    this.#o = options;
  }

  /**
   * Takes one token from `key`'s bucket at time `nowMs`. Returns 0 when the request may go
   * ahead, else the milliseconds until a token is back (for `Retry-After`).
   */
  take(key: string, nowMs: number): number {
    const { ratePerSec, burst } = this.#o;
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * ratePerSec);
      bucket.at = nowMs;
    } else {
      bucket = { tokens: burst, at: nowMs };
      if (this.#buckets.size >= this.#o.maxClients) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / ratePerSec) * 1000);
  }

  /** Buckets held now. */
  get size(): number {
    return this.#buckets.size;
  }
}
