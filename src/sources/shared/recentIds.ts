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
 *
 * Each generation is an open-addressing table of 32-bit hashes with the keys beside them, not
 * a `Set`: a source checks every message it reads, nearly always for a key that is not there,
 * and a `Set` compares against its stored key strings on the way (memory reads all over the
 * heap once the parser has moved on), while this table compares hashes held in one typed array
 * and reads a stored key only when the hashes match.
 */
export class RecentIds {
  #current: Generation;
  #previous: Generation;
  readonly #half: number;

  constructor(readonly capacity: number = RECENT_IDS) {
    this.#half = Math.max(1, Math.ceil(capacity / 2));
    this.#current = new Generation(this.#half);
    this.#previous = new Generation(this.#half);
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  has(key: string): boolean {
    const hash = hashOf(key);
    return this.#current.has(key, hash) || this.#previous.has(key, hash);
  }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    const hash = hashOf(key);
    if (this.#current.has(key, hash) || this.#previous.has(key, hash)) return false;
    if (this.#current.size >= this.#half) {
      const emptied = this.#previous;
      emptied.clear();
      this.#previous = this.#current;
      this.#current = emptied;
    }
    this.#current.insert(key, hash);
    return true;
  }
}

/** One generation: up to `limit` keys, in a table at most about 60% full (linear probing). */
class Generation {
  size = 0;
  readonly #mask: number;
  /** Hash of the key in each slot; 0 is an empty slot (no key hashes to 0, see {@link hashOf}). Made on the first insert. */
  #hashes: Uint32Array | undefined;
  #keys: (string | undefined)[] = [];

  constructor(limit: number) {
    let slots = 8;
    while (slots * 0.6 < limit) slots *= 2;
    this.#mask = slots - 1;
  }

  has(key: string, hash: number): boolean {
    const hashes = this.#hashes;
    if (hashes === undefined) return false;
    const mask = this.#mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = hashes[slot];
      if (stored === 0) return false;
      if (stored === hash && this.#keys[slot] === key) return true;
    }
  }

  /** Adds a key {@link has} said is not there, while `size` is below the limit. */
  insert(key: string, hash: number): void {
    let hashes = this.#hashes;
    if (hashes === undefined) {
      hashes = this.#hashes = new Uint32Array(this.#mask + 1);
      this.#keys = new Array<string | undefined>(this.#mask + 1).fill(undefined);
    }
    const mask = this.#mask;
    let slot = hash & mask;
    while (hashes[slot] !== 0) slot = (slot + 1) & mask;
    hashes[slot] = hash;
    this.#keys[slot] = key;
    this.size += 1;
  }

  clear(): void {
    if (this.size === 0) return;
    this.#hashes?.fill(0);
    this.#keys.fill(undefined);
    this.size = 0;
  }
}

/** FNV-1a over the UTF-16 code units, never 0 (0 marks an empty slot). Exported for tests. */
export function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0 || 1;
}
