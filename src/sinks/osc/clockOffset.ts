/**
 * The offset between the pipeline scheduler's clock and `performance.now()`, for moving a
 * scheduler time (an `on_beat` change's grid point) onto the monotonic clock the output stage
 * runs on. A real run's scheduler reads `Date.now()`, which counts whole milliseconds: one
 * reading is up to 1 ms behind the true time, which would put a change up to 1 ms late. Read
 * at the instant the scheduler's clock ticks over, the offset is right to a microsecond.
 */

/** At most this many readings (a few ms); a whole-ms clock ticks twice well within them. */
const SPINS = 200_000;

/**
 * `now() − perf()`: the largest over readings until `now()` has ticked over twice. Each reading
 * is at most the true offset (a whole-ms clock reads behind, and `perf()` is read after it), and
 * the one right after a tick is within a microsecond of it; a reading slowed by the JIT or an
 * interrupt only comes out lower. A clock that does not move (a virtual one) is read `spins` times.
 */
export function clockOffset(now: () => number, perf: () => number = () => performance.now(), spins = SPINS): number {
  let best = Number.NEGATIVE_INFINITY;
  let last = now();
  let ticks = 0;
  for (let i = 0; i < spins && ticks < 2; i++) {
    const t = now();
    best = Math.max(best, t - perf());
    if (t !== last) {
      ticks += 1;
      last = t;
    }
  }
  return best;
}

/**
 * Scheduler time → `performance.now()` time, with the offset checked on each use: if the
 * scheduler's clock moved against the monotonic one (the wall clock was set), it is measured
 * again.
 */
export class ClockMapper {
  readonly #now: () => number;
  readonly #perf: () => number;
  #offset: number | undefined;

  constructor(now: () => number, perf: () => number = () => performance.now()) {
    this.#now = now;
    this.#perf = perf;
  }

  /** Measures the offset now (a few ms of spinning), so that the first `toPerf` need not. */
  measure(): void {
    this.#offset = clockOffset(this.#now, this.#perf);
  }

  /** The `performance.now()` time of scheduler time `t`. */
  toPerf(t: number): number {
    const seen = this.#now() - this.#perf();
    // A whole-ms clock reads up to 1 ms behind the offset, never ahead of it.
    if (this.#offset === undefined || seen > this.#offset + 0.05 || seen < this.#offset - 1.05) {
      this.#offset = clockOffset(this.#now, this.#perf);
    }
    return t - this.#offset;
  }
}
