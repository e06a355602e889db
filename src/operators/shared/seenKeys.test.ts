import { describe, expect, it } from 'vitest';
import { HASH_SEED, hashString, keyHash, SeenKeys } from './seenKeys.js';

const hash = (key: string) => hashString(HASH_SEED, key);

/** The rule SeenKeys implements, written the slow way: a list in first-seen order. */
class Reference {
  readonly #held: { key: string; at: number }[] = [];

  constructor(
    private readonly maxKeys: number,
    private readonly windowMs: number,
  ) {}

  seen(key: string, now: number): boolean {
    while (this.#held.length > 0 && now - (this.#held[0] as { at: number }).at >= this.windowMs) this.#held.shift();
    if (this.#held.some((h) => h.key === key)) return true;
    this.#held.push({ key, at: now });
    if (this.#held.length > this.maxKeys) this.#held.shift();
    return false;
  }

  get size(): number {
    return this.#held.length;
  }
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hashString', () => {
  it('hashes a key part by part as it hashes the whole key', () => {
    expect(hashString(hashString(HASH_SEED, 'chat:twitch:'), 'abc-123')).toBe(hash('chat:twitch:abc-123'));
    expect(hash('a')).not.toBe(hash('b'));
    expect(hash('')).toBe(HASH_SEED);
    expect(keyHash('chat:twitch:', 'abc-123')).toBe(hash('chat:twitch:abc-123'));
  });
});

describe('SeenKeys', () => {
  it('reports a repeat within the window, and not at or after it; repeats do not extend it', () => {
    const keys = new SeenKeys(100, 5);
    expect(keys.seen('p:', 'a', 0)).toBe(false);
    expect(keys.seen('p:', 'a', 3)).toBe(true);
    expect(keys.seen('p:', 'a', 4)).toBe(true);
    expect(keys.seen('p:', 'a', 5)).toBe(false);
    expect(keys.seen('p:', 'a', 9)).toBe(true);
  });

  it('holds the newest maxKeys keys and forgets the oldest first', () => {
    const keys = new SeenKeys(4, 1000);
    for (const k of ['a', 'b', 'c', 'd', 'e']) expect(keys.seen('p:', k, 0)).toBe(false);
    expect(keys.size).toBe(4);
    // b..e are all held (a generation scheme would have dropped b and c with a).
    for (const k of ['b', 'c', 'd', 'e']) expect(keys.seen('p:', k, 1)).toBe(true);
    expect(keys.seen('p:', 'a', 1)).toBe(false);
  });

  it('forgets keys older than the window as new ones arrive', () => {
    const keys = new SeenKeys(1000, 10);
    for (let i = 0; i < 100; i++) keys.seen('p:', `k${i}`, i);
    expect(keys.size).toBe(10);
    expect(keys.seen('p:', 'k90', 100)).toBe(false);
    expect(keys.seen('p:', 'k95', 100)).toBe(true);
  });

  it('grows as keys arrive and keeps every one', () => {
    const keys = new SeenKeys(100_000, 1_000_000);
    for (let i = 0; i < 5000; i++) expect(keys.seen('p:', `id-${i}`, i)).toBe(false);
    for (let i = 0; i < 5000; i++) expect(keys.seen('p:', `id-${i}`, 5000)).toBe(true);
    expect(keys.size).toBe(5000);
  });

  it('tells keys apart whose hashes collide, and finds every one after others are forgotten', () => {
    // Four hashes for twelve keys: long probe runs, and removals from their middle.
    const collide = (k: string) => (k.charCodeAt(k.length - 1) % 4) * 16;
    const keys = new SeenKeys(8, 1000, (_prefix, tail) => collide(tail));
    const names = Array.from({ length: 12 }, (_, i) => `key${String.fromCharCode(97 + i)}`);
    for (const k of names) expect(keys.seen('p:', k, 0)).toBe(false);
    for (const k of names.slice(0, 4)) expect(keys.seen('p:', k, 1)).toBe(false);
    // Now held: the last four of names, then its first four.
    for (const k of [...names.slice(8), ...names.slice(0, 4)]) expect(keys.seen('p:', k, 2)).toBe(true);
    expect(keys.seen('p:', 'keye', 2)).toBe(false);
  });

  it('agrees with the rule written the slow way, over a random run with colliding hashes', () => {
    const rand = random(21);
    for (const [maxKeys, windowMs] of [
      [1, 3],
      [5, 20],
      [64, 50],
      [200, 40],
    ] as const) {
      // A weak hash on purpose: many collisions, long probe runs.
      const keys = new SeenKeys(maxKeys, windowMs, (prefix, tail) => keyHash(prefix, tail) & 0x3f);
      const reference = new Reference(maxKeys, windowMs);
      let now = 0;
      for (let step = 0; step < 20_000; step++) {
        now += Math.floor(rand() * 3);
        const platform = rand() < 0.5 ? 'chat:twitch:' : 'chat:kick:';
        const id = `m${Math.floor(rand() * 150)}`;
        expect(keys.seen(platform, id, now)).toBe(reference.seen(platform + id, now));
      }
      expect(keys.size).toBe(reference.size);
    }
  });

  it('tells keys apart by prefix', () => {
    const keys = new SeenKeys(10, 5);
    expect(keys.seen('chat:twitch:', 'm1', 0)).toBe(false);
    expect(keys.seen('chat:kick:', 'm1', 0)).toBe(false);
    expect(keys.seen('chat:twitch:', 'm1', 1)).toBe(true);
    expect(keys.seen('chat:kick:', 'm1', 1)).toBe(true);
  });

  it('sees a key anew whose window passed while the clock went back and forth', () => {
    const keys = new SeenKeys(10, 5);
    keys.seen('p:', 'a', 100);
    keys.seen('p:', 'b', 50); // the clock went back
    expect(keys.seen('p:', 'b', 52)).toBe(true);
    expect(keys.seen('p:', 'b', 103)).toBe(false);
    expect(keys.seen('p:', 'b', 104)).toBe(true);
  });
});
