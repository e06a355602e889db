/**
 * The Redis cooldown store of `cooldown` with `scope: redis` (DESIGN.md §8): a key with a TTL
 * per cooling key, set by one atomic Lua script, shared by every instance running the node.
 */
import { type ChatflowRedis, createRedis, whenReady } from '../../resources/redisClient.js';

/** The answer for one event: `left` 0 = passed (cooldown started); else ms left and whether to reply. */
export interface CooldownAnswer {
  readonly left: number;
  readonly reply: boolean;
}

/**
 * A shared cooldown store, made per subscription. Answers should resolve in call order; the
 * operator emits in arrival order whatever order they resolve in. A rejection means the store
 * is unreachable (`on_redis_down` decides). The answer is any `PromiseLike`, so a test double
 * can settle it on a TestScheduler, in virtual time.
 */
export interface CooldownStore {
  /** Passes `key` (starting its cooldown of `durationMs`) or says how long it still cools. */
  check(key: string, durationMs: number, replyOnce: boolean): PromiseLike<CooldownAnswer>;
  /** Releases the connection when the subscription ends. */
  close(): void;
}

/** Cooling keys in Redis under `<prefix><key>`; one client per subscription. */
export class RedisCooldownStore implements CooldownStore {
  readonly #client: ChatflowRedis;
  readonly #prefix: string;
  #connecting: Promise<void> | undefined;

  constructor(url: string, prefix: string) {
    this.#client = createRedis(url, 'chatflow-cooldown');
    this.#prefix = prefix;
    const settle = () => {
      this.#connecting = undefined;
    };
    this.#connecting = whenReady(this.#client, 2000).then(settle, settle);
  }

  /** Rejects when Redis cannot be reached (`on_redis_down` decides). */
  check(key: string, durationMs: number, replyOnce: boolean): Promise<CooldownAnswer> {
    if (this.#connecting) return this.#connecting.then(() => this.check(key, durationMs, replyOnce));
    if (this.#client.status !== 'ready') return Promise.reject(new Error('Redis is not connected.'));
    return this.#client
      .checkCooldown(`${this.#prefix}${key}`, Math.max(1, Math.round(durationMs)), replyOnce ? 1 : 0)
      .then(([left, reply]) => ({ left: Number(left), reply: Number(reply) === 1 }));
  }

  close(): void {
    this.#client.disconnect();
  }
}
