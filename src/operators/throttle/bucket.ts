/**
 * Token buckets for `throttle`, behind {@link BucketStore} so that a shared store (Redis, one
 * Lua script per take, DESIGN.md §8) can replace the in-process one without touching the
 * operator.
 *
 * Design note for the Redis store: `take` has the same contract there, computed atomically by
 * the script from `(key, now, maxWaitMs)`; only its result becomes a `Promise<number>`. The
 * operator will then accept `number | PromiseLike<number>` and, for a pending result, emit in
 * arrival order per key (replies on one Redis connection arrive in command order, so a small
 * ordered queue is enough). The local store stays synchronous so the hot path allocates no
 * promise.
 */
import type { Rate } from '../../core/units.js';
import { GenerationMap } from '../shared/limits.js';

/** Returned by {@link BucketStore.take} when no token was taken. */
export const DENIED = -1;

/** The limits every bucket of one store shares. */
export interface BucketLimits {
  /** Tokens a full bucket holds: the largest burst let through at once. */
  readonly burst: number;
  /** Tokens added back: `count` per `periodMs`. */
  readonly rate: Rate;
  /** Most buckets kept; beyond it the least recently used one is forgotten. */
  readonly maxKeys: number;
}

/** Where token buckets live, keyed by the throttle key. */
export interface BucketStore {
  /**
   * Takes one token from `key`'s bucket at `now` (ms, scheduler time).
   *
   * @returns `0` when a token was there and was taken; a positive wait in ms when there was
   *   none but one was reserved (the caller may release its event after that wait), which
   *   happens only when the wait is at most `maxWaitMs`; {@link DENIED} when nothing was taken.
   */
  take(key: string, now: number, maxWaitMs: number): number;
  /** Buckets currently held. */
  readonly size: number;
}

/**
 * A shared store (Redis): the same contract as {@link BucketStore.take}, answered later.
 * Results for one subscription should resolve in call order (one Redis connection does); the
 * operator emits in arrival order whatever order they resolve in. A rejection means the store
 * is unreachable (`on_redis_down` decides). The answer is any `PromiseLike`, so a test double
 * can settle it on a TestScheduler, in virtual time.
 */
export interface AsyncBucketStore {
  take(key: string, now: number, maxWaitMs: number): PromiseLike<number>;
  /** Releases the connection when the subscription ends. */
  close(): void;
}

/**
 * One bucket. Credits are tokens times `periodMs`, so that whole-millisecond times and a whole
 * `count` keep every step in integers: a token costs `periodMs` credits and each millisecond
 * adds `count`. A negative balance is tokens already promised to delayed events.
 */
interface Bucket {
  credits: number;
  at: number;
}

/**
 * Buckets in a {@link GenerationMap}, least recently used forgotten first. A bucket that is
 * forgotten comes back full, so with more than `maxKeys` keys active at once a key can pass a
 * burst early; buckets idle long enough to be full again are forgotten at no cost.
 */
export class LocalBucketStore implements BucketStore {
  readonly #buckets: GenerationMap<Bucket>;
  readonly #capacity: number;
  readonly #cost: number;
  readonly #perMs: number;
  /** How long an untouched bucket takes to fill up from the lowest balance it has had. */
  #refillMs: number;

  constructor(limits: BucketLimits) {
    this.#cost = limits.rate.periodMs;
    this.#perMs = limits.rate.count;
    this.#capacity = limits.burst * this.#cost;
    this.#refillMs = Math.ceil(this.#capacity / this.#perMs);
    this.#buckets = new GenerationMap(limits.maxKeys);
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, now: number, maxWaitMs: number): number {
    const buckets = this.#buckets;
    let bucket = buckets.touch(key, now);
    if (bucket === undefined) {
      buckets.expire(now, this.#refillMs);
      bucket = { credits: this.#capacity, at: now };
      buckets.set(key, bucket, now);
    } else if (now > bucket.at) {
      bucket.credits = Math.min(this.#capacity, bucket.credits + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    }
    if (bucket.credits >= this.#cost) {
      bucket.credits -= this.#cost;
      return 0;
    }
    if (maxWaitMs <= 0) return DENIED;
    const wait = Math.ceil((this.#cost - bucket.credits) / this.#perMs);
    if (wait > maxWaitMs) return DENIED;
    // The token is taken at `now + wait`, when the bucket is back at exactly one token (rounding
    // the wait up to whole ms must not leave the next event a head start).
    bucket.credits = -wait * this.#perMs;
    const refillMs = Math.ceil((this.#capacity - bucket.credits) / this.#perMs);
    if (refillMs > this.#refillMs) this.#refillMs = refillMs;
    return wait;
  }
}
