/**
 * "One latest value wins": the waiting value of each key, where a newer value replaces
 * (supersedes) the one still waiting. The one implementation of it, used by the sink driver's
 * `when_full: latest_per_key` buffer (pipelines/sinkDriver/queue.ts) and by the `osc` sink's
 * per-key pacing behind `max_rate` (sinks/osc/coalesce.ts).
 */

/**
 * The newest waiting value per key. Each value replaced before it was taken goes to
 * `onSuperseded`, the one place where the `superseded` count of either user comes from.
 * Insertion order is kept (a replaced value keeps its key's place).
 */
export class LatestPerKey<T> {
  readonly #waiting = new Map<string, T>();
  readonly #onSuperseded: (value: T) => void;

  /** @param onSuperseded Receives each value replaced (or dropped by `supersede`) before it was taken. */
  constructor(onSuperseded: (value: T) => void = () => {}) {
    this.#onSuperseded = onSuperseded;
  }

  /** Keys with a value waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  has(key: string): boolean {
    return this.#waiting.has(key);
  }

  /**
   * Puts `value` in place of the waiting value of `key`, which is superseded; false (and
   * nothing held) when none waits.
   */
  replace(key: string, value: T): boolean {
    const waiting = this.#waiting;
    if (!waiting.has(key)) return false;
    this.#onSuperseded(waiting.get(key) as T);
    waiting.set(key, value);
    return true;
  }

  /** Holds `value` as the waiting value of `key`, superseding the one that waited, if any. */
  hold(key: string, value: T): void {
    if (!this.replace(key, value)) this.#waiting.set(key, value);
  }

  /** Removes and returns the waiting value of `key` (it goes out); undefined when none waits. */
  take(key: string): T | undefined {
    const waiting = this.#waiting;
    if (!waiting.has(key)) return undefined;
    const value = waiting.get(key) as T;
    waiting.delete(key);
    return value;
  }

  /** Drops the waiting value of `key` as superseded (something newer went out another way). */
  supersede(key: string): boolean {
    const waiting = this.#waiting;
    if (!waiting.has(key)) return false;
    this.#onSuperseded(waiting.get(key) as T);
    waiting.delete(key);
    return true;
  }

  /** Forgets every waiting value, without counting; returns them, oldest key first. */
  clear(): T[] {
    const values = [...this.#waiting.values()];
    this.#waiting.clear();
    return values;
  }
}
