import type { CumulativeHistogram, HistogramSummary } from './events.js';

/** Sub-buckets per power of two: ~4% relative error, enough for latency percentiles. */
const SUB = 16;
const LOG2_SUB = 4;
/** Values are recorded in microseconds, up to 2^36 µs (~19 hours). */
const MAX_EXP = 36;
const BUCKETS = (MAX_EXP + 1) * SUB;

/**
 * Upper bounds (ms) of the buckets {@link Histogram.cumulative} reports, from 50 µs (a command
 * reaching OSC) to 10 s, about ×2.5 apart: the classic Prometheus latency buckets, extended
 * down. Values are counted exactly against them, not estimated from the log-linear buckets.
 */
export const BUCKET_BOUNDS_MS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
]);

/**
 * A fixed-size log-linear histogram of durations in milliseconds (HDR-style): O(1), no
 * allocation per record, mergeable, and quantiles within one sub-bucket. It also counts every
 * value against {@link BUCKET_BOUNDS_MS}, for Prometheus ({@link Histogram.cumulative}).
 */
export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  /** Values per bound of BUCKET_BOUNDS_MS (not cumulative); the last slot is above them all. */
  readonly #le = new Float64Array(BUCKET_BOUNDS_MS.length + 1);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Records one value, in milliseconds. */
  record(ms: number): void {
    const us = ms > 0 ? ms * 1000 : 0;
    this.#counts[bucketOf(us)]! += 1;
    const bounds = BUCKET_BOUNDS_MS;
    let i = 0;
    while (i < bounds.length && ms > bounds[i]!) i++;
    this.#le[i]! += 1;
    this.#count += 1;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** The value (ms) below which a fraction `q` (0–1) of the records fall. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperBoundUs(i) / 1000, this.#max);
    }
    return this.#max;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.#counts[i]!;
    for (let i = 0; i < this.#le.length; i++) this.#le[i]! += other.#le[i]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#le.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#max = 0;
  }

  /** Every value recorded (since the last reset), in the cumulative buckets of {@link BUCKET_BOUNDS_MS}. */
  cumulative(): CumulativeHistogram {
    const counts = new Array<number>(BUCKET_BOUNDS_MS.length);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += this.#le[i]!;
      counts[i] = seen;
    }
    return { le: BUCKET_BOUNDS_MS, counts, count: this.#count, sum: this.#sum };
  }

  summary(): HistogramSummary {
    return {
      count: this.#count,
      sum: this.#sum,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.#max,
    };
  }
}

function bucketOf(us: number): number {
  if (us < SUB) return Math.floor(us);
  if (us < 2_147_483_648) {
    // Integer fast path (< 2^31 µs, ~36 minutes): clz32 and shifts instead of log2 and pow.
    const u = us >>> 0;
    const exp = 31 - Math.clz32(u);
    return (exp - LOG2_SUB + 1) * SUB + (u >>> (exp - LOG2_SUB)) - SUB;
  }
  const exp = Math.floor(Math.log2(us));
  if (exp > MAX_EXP) return BUCKETS - 1;
  const sub = Math.floor(us / 2 ** (exp - LOG2_SUB)) - SUB;
  return (exp - LOG2_SUB + 1) * SUB + sub;
}

function upperBoundUs(bucket: number): number {
  if (bucket < SUB) return bucket + 1;
  const exp = Math.floor(bucket / SUB) + LOG2_SUB - 1;
  const sub = bucket % SUB;
  return (SUB + sub + 1) * 2 ** (exp - LOG2_SUB);
}
