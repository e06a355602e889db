/**
 * The repetition rules of `moderate`: one user sending the same text again and again
 * (`repetition`), and many users sending nearly the same text (`copypasta`).
 *
 * Repetition keeps, per user, the hashes and times of their last few messages. Copypasta
 * keeps a bounded ring of recent long messages as MinHash signatures (one-permutation hashing
 * of character trigrams, 16 buckets) indexed by locality-sensitive hashing (8 bands of 2), so
 * finding similar messages costs a handful of map lookups however many are kept; similarity
 * is the share of equal buckets, an estimate of the Jaccard similarity of the trigram sets.
 */
import { z } from 'zod';
import { duration } from '../../core/units.js';
import { ruleFields } from './rule.js';

export const RepetitionRuleConfig = z
  .strictObject({
    count: z
      .number()
      .int()
      .min(2)
      .max(20)
      .default(3)
      .describe(
        'The same text (folded; spaces and punctuation ignored) from one user this many times within `window` is caught, from the `count`-th on.',
      ),
    window: duration().prefault('30s').describe('How far back repeats count.'),
    ignore_commands: z
      .boolean()
      .default(true)
      .describe(
        'Messages starting with `command_prefix` (`!cv cutoff 0.7` sent again and again) are not repeats: rate-limit commands with `throttle`.',
      ),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('One user repeating themselves.');
export type RepetitionRuleConfig = z.output<typeof RepetitionRuleConfig>;

export const CopypastaRuleConfig = z
  .strictObject({
    similarity: z
      .number()
      .min(0.1)
      .max(1)
      .default(0.7)
      .describe(
        'How alike two messages must be to be copies (estimated Jaccard similarity of their character trigrams; 1: identical).',
      ),
    users: z
      .number()
      .int()
      .min(2)
      .default(3)
      .describe('A message is caught when it is the copy of at least this many users (itself included) within `window`.'),
    window: duration().prefault('60s').describe('How far back copies count.'),
    min_length: z
      .number()
      .int()
      .min(1)
      .default(40)
      .describe(
        'Shorter messages (in folded code units) are never compared: short reactions (`LETS GOOO`, `that was amazing`) are everyone\'s, not copypasta.',
      ),
    max_recent: z
      .number()
      .int()
      .min(10)
      .max(100_000)
      .default(500)
      .describe('Most recent long messages kept for comparison; older ones are forgotten first.'),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('Copypasta: the same long text from many users.');
export type CopypastaRuleConfig = z.output<typeof CopypastaRuleConfig>;

/** FNV-1a over the letters and digits of folded text (spaces and punctuation left out). */
export function textHash(folded: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < folded.length; i++) {
    const c = folded.charCodeAt(i);
    if (c < 128 && !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a))) continue;
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The last messages of one user, as hashes and times, in a small ring. */
export interface RepeatHistory {
  readonly hashes: number[];
  readonly times: number[];
  next: number;
}

export function newRepeatHistory(): RepeatHistory {
  return { hashes: [], times: [], next: 0 };
}

/**
 * Records a message (`hash` at `now`) and returns how many of the last `keep` messages,
 * this one included, had the same hash within `windowMs`.
 */
export function recordRepeat(history: RepeatHistory, hash: number, now: number, windowMs: number, keep: number): number {
  let same = 1;
  const since = now - windowMs;
  for (let i = 0; i < history.hashes.length; i++) {
    if (history.hashes[i] === hash && (history.times[i] as number) > since) same++;
  }
  history.hashes[history.next] = hash;
  history.times[history.next] = now;
  history.next = (history.next + 1) % keep;
  return same;
}

// ---------------------------------------------------------------------------------------------
// Copypasta

const BUCKETS = 16;
const BANDS = 8;
const EMPTY = 0xffffffff;

interface Entry {
  readonly signature: Uint32Array;
  readonly keys: Int32Array;
  user: string;
  at: number;
  visit: number;
}

/** Most entries one LSH bucket keeps (the newest); enough to find `users` copies. */
const MIN_BUCKET = 64;

function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function isSeparator(c: number): boolean {
  return c < 128 && !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a));
}

/**
 * Writes the one-permutation MinHash signature of the character trigrams of `folded` (runs of
 * spaces and punctuation read as one space) into `out`; returns the number of trigrams.
 */
export function signature(folded: string, out: Uint32Array): number {
  out.fill(EMPTY);
  let a = 0x20;
  let b = 0x20;
  let shingles = 0;
  let filled = 0;
  for (let i = 0; i <= folded.length; i++) {
    let c = i < folded.length ? folded.charCodeAt(i) : 0x20;
    if (isSeparator(c)) {
      c = 0x20;
      if (b === 0x20) continue;
    }
    filled++;
    if (filled >= 3 || i === folded.length) {
      const h = fmix(Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d));
      const bucket = h & (BUCKETS - 1);
      const value = h >>> 4;
      if (value < (out[bucket] as number)) out[bucket] = value;
      shingles++;
    }
    a = b;
    b = c;
  }
  return shingles;
}

/** Share of buckets two signatures agree on, among those not empty in both. */
export function similarity(x: Uint32Array, y: Uint32Array): number {
  let same = 0;
  let compared = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const u = x[i] as number;
    const v = y[i] as number;
    if (u === EMPTY && v === EMPTY) continue;
    compared++;
    if (u === v) same++;
  }
  return compared === 0 ? 1 : same / compared;
}

function bandKey(sig: Uint32Array, band: number): number {
  return fmix(Math.imul((sig[2 * band] as number) ^ band, 0x9e3779b1) ^ (sig[2 * band + 1] as number)) | 0;
}

/** The recent long messages of one subscription, for finding copies. */
export class CopypastaIndex {
  readonly #ring: (Entry | undefined)[];
  #next = 0;
  #visit = 0;
  readonly #buckets = new Map<number, Entry[]>();
  readonly #scratch = new Uint32Array(BUCKETS);
  readonly #keys = new Int32Array(BANDS);
  readonly #found: string[] = [];
  #bucketMax = MIN_BUCKET;

  constructor(
    maxRecent: number,
    private readonly windowMs: number,
    private readonly threshold: number,
  ) {
    this.#ring = new Array<Entry | undefined>(maxRecent);
  }

  /** Messages held (for tests). */
  get size(): number {
    let n = 0;
    for (const e of this.#ring) if (e !== undefined) n++;
    return n;
  }

  /**
   * Records `folded` from `user` at `now`, and returns true when at least `users` users (this
   * one included) sent a similar text within the window.
   */
  check(folded: string, user: string, now: number, users: number): boolean {
    if (users * 4 > this.#bucketMax) this.#bucketMax = users * 4;
    const sig = this.#scratch;
    signature(folded, sig);
    const keys = this.#keys;
    for (let b = 0; b < BANDS; b++) keys[b] = bandKey(sig, b);

    const visit = ++this.#visit;
    const found = this.#found;
    found.length = 0;
    const since = now - this.windowMs;
    let copied = false;
    // Newest first, and at most `bucketMax` comparisons: a wave of copies is found among the
    // latest entries, and a flood of them cannot make one check expensive.
    let budget = this.#bucketMax;
    search: for (let b = 0; b < BANDS; b++) {
      const list = this.#buckets.get(keys[b] as number);
      if (list === undefined) continue;
      for (let k = list.length - 1; k >= 0; k--) {
        const entry = list[k] as Entry;
        if (entry.visit === visit) continue;
        entry.visit = visit;
        if (entry.at <= since) break; // older ones are older still
        if (entry.user === user || found.includes(entry.user)) continue;
        if (--budget < 0) break search;
        if (similarity(entry.signature, sig) < this.threshold) continue;
        found.push(entry.user);
        if (found.length + 1 >= users) {
          copied = true;
          break search;
        }
      }
    }
    this.#insert(user, now);
    return copied;
  }

  #insert(user: string, now: number): void {
    let entry = this.#ring[this.#next];
    if (entry !== undefined) {
      // Out of its buckets (usually the oldest of each, at the front), then reused.
      for (let b = 0; b < BANDS; b++) {
        const key = entry.keys[b] as number;
        const list = this.#buckets.get(key);
        if (list === undefined) continue;
        const at = list[0] === entry ? 0 : list.indexOf(entry);
        if (at === 0) list.shift();
        else if (at > 0) list.splice(at, 1);
        if (list.length === 0) this.#buckets.delete(key);
      }
      entry.signature.set(this.#scratch);
      entry.keys.set(this.#keys);
      entry.user = user;
      entry.at = now;
      entry.visit = 0;
    } else {
      entry = { signature: this.#scratch.slice(), keys: this.#keys.slice(), user, at: now, visit: 0 };
      this.#ring[this.#next] = entry;
    }
    this.#next = (this.#next + 1) % this.#ring.length;
    for (let b = 0; b < BANDS; b++) {
      const key = entry.keys[b] as number;
      const list = this.#buckets.get(key);
      if (list === undefined) {
        this.#buckets.set(key, [entry]);
      } else if (list[list.length - 1] !== entry) {
        if (list.length >= this.#bucketMax) list.shift();
        list.push(entry);
      }
    }
  }
}
