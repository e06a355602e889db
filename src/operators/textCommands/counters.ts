/**
 * Where `text_commands` keeps its `{{ count }}` counters: in memory (kept by the node across
 * restarts of its stream), or in a Redis hash, so counts survive a restart of the process and
 * are shared by every instance running the node.
 */
import { type ChatflowRedis, createRedis, whenReady } from '../../resources/redisClient.js';

/** A counter store, made per subscription. */
export interface CounterStore {
  /**
   * Adds `by` (0 only reads) to counter `name` and gives its new value: a number when known at
   * once, a promise when it must be asked for (rejected: unreachable). Promises resolve in
   * call order or not; the operator answers in arrival order either way.
   */
  add(name: string, by: number): number | PromiseLike<number>;
  /** Releases the connection when the subscription ends. */
  close(): void;
}

/** Counters in a map (the node's `ctx.state` in a pipeline, so a restart keeps them). */
export class LocalCounterStore implements CounterStore {
  constructor(private readonly counts: Map<string, number> = new Map()) {}

  add(name: string, by: number): number {
    const value = (this.counts.get(name) ?? 0) + by;
    this.counts.set(name, value);
    return value;
  }

  close(): void {}
}

/** Counters as fields of one Redis hash (`HINCRBY`, atomic across instances). */
export class RedisCounterStore implements CounterStore {
  readonly #client: ChatflowRedis;
  readonly #key: string;
  #connecting: Promise<void> | undefined;

  constructor(url: string, key: string) {
    this.#client = createRedis(url, 'chatflow-counters');
    this.#key = key;
    const settle = () => {
      this.#connecting = undefined;
    };
    this.#connecting = whenReady(this.#client, 2000).then(settle, settle);
  }

  add(name: string, by: number): Promise<number> {
    if (this.#connecting) return this.#connecting.then(() => this.add(name, by));
    if (this.#client.status !== 'ready') return Promise.reject(new Error('Redis is not connected.'));
    return this.#client.hincrby(this.#key, name, by);
  }

  close(): void {
    this.#client.disconnect();
  }
}
