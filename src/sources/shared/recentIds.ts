/**
 * The message ids a source emitted lately, so one delivered twice (a reconnect overlap, a
 * replayed page) is emitted once. Shared by the Twitch, Kick and YouTube sources.
 */

/** How many recent ids a node remembers by default: far more than a reconnect overlap or a YouTube page (≤ 2000 items) holds. */
export const RECENT_IDS = 10_000;

/**
 * The keys added lately: at least the last `capacity / 2`, at most `capacity`. Two
 * generations of half the capacity each; when the newer one is full, the older is dropped
 * whole. No per-key eviction, so `add` and `has` stay O(1) with a small constant, and memory
 * is bounded by `capacity` strings.
 */
export class RecentIds {
  #current = new Set<string>();
  #previous = new Set<string>();
  readonly #half: number;

  constructor(readonly capacity: number = RECENT_IDS) {
    this.#half = Math.max(1, Math.ceil(capacity / 2));
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  has(key: string): boolean {
    return this.#current.has(key) || this.#previous.has(key);
  }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    if (this.#current.has(key) || this.#previous.has(key)) return false;
    if (this.#current.size >= this.#half) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
    this.#current.add(key);
    return true;
  }
}
