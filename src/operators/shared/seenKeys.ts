/**
 * The keys first seen within a time window, at most a given number, for `dedupe`: a ring of
 * keys in the order they were first seen, indexed by an open-addressing hash table of typed
 * arrays. A key is given in two parts, a prefix shared by many keys (`chat:twitch:`) and a tail
 * (the message id), which are held as they are: no key string is built per event.
 *
 * Why not a `Map`: nearly every lookup on the hot path is a miss for a new id, and a `Map` of
 * 100 000 string keys costs several cache misses per lookup, insert and delete, plus a new
 * backing store every time it grows or is replaced (about three times this per event, and most
 * of the garbage collector's old-generation work). Here a lookup is one probe in an `Int32Array`
 * and one in the ring's hashes; the parts are compared only when a 32-bit hash matches.
 */

/** The offset basis of 32-bit FNV-1a, the hash to start {@link hashString} from. */
export const HASH_SEED = 0x811c9dc5;

/**
 * Continues a 32-bit FNV-1a hash over the UTF-16 code units of `s`: hashing `a` then `b` gives
 * the hash of `a + b`, so a key built from parts can be hashed part by part.
 */
export function hashString(hash: number, s: string): number {
  let h = hash;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** The hash of the key `prefix + tail`. */
export type KeyHash = (prefix: string, tail: string) => number;

/** {@link hashString} of `prefix + tail`, from {@link HASH_SEED}. */
export const keyHash: KeyHash = (prefix, tail) => hashString(hashString(HASH_SEED, prefix), tail);

/** Smallest ring allocated; it doubles, up to `maxKeys`, as keys arrive. */
const INITIAL_CAPACITY = 64;

/**
 * Remembers each key from when it was first seen for `windowMs`, at most `maxKeys` keys at
 * once (beyond it the oldest are forgotten first). Seeing a key again does not extend its
 * window. Memory grows with the keys held, never past `maxKeys`; forgotten keys are released.
 */
export class SeenKeys {
  readonly #maxKeys: number;
  readonly #windowMs: number;
  readonly #hash: KeyHash;
  /** Ring of keys (prefix and tail), their hashes and first-seen times; the oldest at `#head`. */
  #prefixes: string[] = [];
  #tails: string[] = [];
  #hashes = new Int32Array(0);
  #times = new Float64Array(0);
  #head = 0;
  #size = 0;
  /** Open addressing, linear probing: a ring slot + 1, or 0 for empty. At most half full. */
  #table = new Int32Array(0);
  #mask = 0;

  /** @param hash How keys are hashed; another function only to test collisions. */
  constructor(maxKeys: number, windowMs: number, hash: KeyHash = keyHash) {
    this.#maxKeys = Math.max(1, Math.floor(maxKeys));
    this.#windowMs = windowMs;
    this.#hash = hash;
    this.#resize(Math.min(this.#maxKeys, INITIAL_CAPACITY));
  }

  get size(): number {
    return this.#size;
  }

  /**
   * True when the key `prefix + tail` was first seen less than the window before `now` (a
   * repeat); otherwise remembers it as first seen at `now` and returns false.
   */
  seen(prefix: string, tail: string, now: number): boolean {
    this.#expire(now);
    const hash = this.#hash(prefix, tail);
    const table = this.#table;
    const mask = this.#mask;
    const hashes = this.#hashes;
    let i = hash & mask;
    for (let entry = table[i] as number; entry !== 0; entry = table[i] as number) {
      const slot = entry - 1;
      if (hashes[slot] === hash && this.#tails[slot] === tail && this.#prefixes[slot] === prefix) {
        // Held keys were first seen within the window (#expire) unless the clock went back and
        // forth since; such a key is seen anew, where it is in the ring.
        if (now - (this.#times[slot] as number) < this.#windowMs) return true;
        this.#times[slot] = now;
        return false;
      }
      i = (i + 1) & mask;
    }
    this.#add(prefix, tail, hash, now);
    return false;
  }

  /** Forgets the keys first seen at least the window before `now`, oldest first. */
  #expire(now: number): void {
    const times = this.#times;
    while (this.#size > 0 && now - (times[this.#head] as number) >= this.#windowMs) this.#removeOldest();
  }

  #add(prefix: string, tail: string, hash: number, now: number): void {
    const full = this.#size === this.#tails.length;
    if (full && this.#tails.length < this.#maxKeys) this.#resize(Math.min(this.#maxKeys, this.#tails.length * 2));
    else if (full) this.#removeOldest();
    const capacity = this.#tails.length;
    let slot = this.#head + this.#size;
    if (slot >= capacity) slot -= capacity;
    this.#prefixes[slot] = prefix;
    this.#tails[slot] = tail;
    this.#hashes[slot] = hash;
    this.#times[slot] = now;
    this.#size += 1;
    this.#place(slot, hash);
  }

  #place(slot: number, hash: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  #removeOldest(): void {
    const slot = this.#head;
    this.#unplace(slot);
    this.#prefixes[slot] = '';
    this.#tails[slot] = '';
    this.#head = slot + 1 === this.#tails.length ? 0 : slot + 1;
    this.#size -= 1;
  }

  /** Takes `slot` out of the table, moving later entries of its probe run back (no tombstones). */
  #unplace(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    const hashes = this.#hashes;
    let i = (hashes[slot] as number) & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = table[j] as number;
      if (entry === 0) break;
      const home = (hashes[entry - 1] as number) & mask;
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      table[i] = entry;
      i = j;
    }
    table[i] = 0;
  }

  /** A ring of `capacity` slots holding the current keys from slot 0, and a table for it. */
  #resize(capacity: number): void {
    const prefixes = new Array<string>(capacity).fill('');
    const tails = new Array<string>(capacity).fill('');
    const hashes = new Int32Array(capacity);
    const times = new Float64Array(capacity);
    const old = this.#tails.length;
    for (let n = 0; n < this.#size; n++) {
      const from = (this.#head + n) % old;
      prefixes[n] = this.#prefixes[from] as string;
      tails[n] = this.#tails[from] as string;
      hashes[n] = this.#hashes[from] as number;
      times[n] = this.#times[from] as number;
    }
    this.#prefixes = prefixes;
    this.#tails = tails;
    this.#hashes = hashes;
    this.#times = times;
    this.#head = 0;
    let tableSize = 16;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.#table = new Int32Array(tableSize);
    this.#mask = tableSize - 1;
    for (let slot = 0; slot < this.#size; slot++) this.#place(slot, hashes[slot] as number);
  }
}
