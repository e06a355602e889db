/**
 * The Redis token-bucket store of `throttle` with `scope: redis` (DESIGN.md §8): one atomic Lua
 * script per take (EVALSHA through ioredis `defineCommand`), in Redis time, so every instance
 * running the pipeline shares each bucket.
 */
import { type ChatflowRedis, createRedis, whenReady } from '../../resources/redisClient.js';
import type { AsyncBucketStore, BucketLimits } from './bucket.js';

/** Buckets in Redis under `<prefix><key>`; one client per subscription. */
export class RedisBucketStore implements AsyncBucketStore {
  readonly #client: ChatflowRedis;
  readonly #prefix: string;
  readonly #capacity: number;
  readonly #cost: number;
  readonly #perMs: number;
  /** Until the first connection settles, takes wait for it (in order) instead of failing. */
  #connecting: Promise<void> | undefined;

  constructor(url: string, prefix: string, limits: BucketLimits) {
    this.#client = createRedis(url, 'chatflow-throttle');
    this.#prefix = prefix;
    this.#cost = limits.rate.periodMs;
    this.#perMs = limits.rate.count;
    this.#capacity = limits.burst * this.#cost;
    this.#connecting = whenReady(this.#client, 2000).then(
      () => {
        this.#connecting = undefined;
      },
      () => {
        this.#connecting = undefined;
      },
    );
  }

  /** `now` is ignored: the script reads Redis's clock, the one every instance shares. */
  take(key: string, _now: number, maxWaitMs: number): Promise<number> {
    if (this.#connecting) return this.#connecting.then(() => this.take(key, _now, maxWaitMs));
    if (this.#client.status !== 'ready') return Promise.reject(new Error('Redis is not connected.'));
    return this.#client.takeToken(`${this.#prefix}${key}`, this.#capacity, this.#cost, this.#perMs, Math.max(0, maxWaitMs));
  }

  close(): void {
    this.#client.disconnect();
  }
}
