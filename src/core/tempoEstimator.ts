/**
 * Tempo and phase from beats that arrive with jitter: what a followed clock (`clock: follow`)
 * knows of the beat grid. Pure: it is told each beat's arrival time and answers with a grid.
 */
import type { BeatGrid } from './beatClock.js';

/** Beats the line is fitted over: enough to average ±5 ms of jitter below a millisecond. */
const WINDOW = 16;
/** A beat further than this share of a period from where the grid puts it does not fit. */
const TOLERANCE = 0.15;
/** Beats that do not fit, in a row and at one steady interval, mean the tempo changed. */
const TO_CHANGE = 3;
/** At most this many beats may go missing between two that fit. */
const MAX_MISSED = 3;
/** A beat this close to the robust line is never left out of the fit. */
const MIN_OUTLIER_MS = 4;
/** Tempo bounds (BPM) of a followed clock. */
const MIN_PERIOD = 60_000 / 400;
const MAX_PERIOD = 60_000 / 20;

/** What became of one beat. */
export type BeatVerdict =
  /** The first beat after a start or after the clock was lost. */
  | 'first'
  /** It fits the grid (`missed` beats went missing before it). */
  | 'fit'
  /** It began a new tempo (the last few beats agree among themselves, not with the grid). */
  | 'tempo_change'
  /** It is off the grid (a double trigger, a stalled sender): not used. */
  | 'rejected';

interface Point {
  /** Beat number. */
  readonly n: number;
  /** Arrival time (ms). */
  readonly t: number;
}

export interface TempoEstimatorOptions {
  readonly beatsPerBar: number;
  /** With no beat for this long, the grid is gone until beats return. */
  readonly lostAfterMs: number;
}

/**
 * Estimates the beat grid from arrival times: a line through the last 16 beats that fit
 * (their number against their time; robust first, then least squares without the beats far
 * off it), so jitter averages out in both the period and the phase, and a few late beats do
 * not pull it. A beat a whole number of periods after the last one fits with the missing ones
 * counted (up to {@link MAX_MISSED}); one that does not fit is left out, unless three in a row
 * keep one steady interval: then the tempo changed and the line starts again from them. A tempo
 * told outright (`/tempo`) is used as the period, the beats then only give the phase.
 *
 * ```text
 * beats at 0, 503, 998, 1502, (2000 missing), 2499   → 120.0 BPM, beat 5 at ≈2500
 * ```
 */
export class TempoEstimator {
  readonly #options: TempoEstimatorOptions;
  #points: Point[] = [];
  #candidates: number[] = [];
  /** From `/tempo`, when the sender said it. */
  #toldPeriod: number | undefined;
  #period: number | undefined;
  #intercept = 0;
  #last: Point | undefined;
  /** Beats left out so far, and beats counted as missing. */
  rejected = 0;
  missed = 0;

  constructor(options: TempoEstimatorOptions) {
    this.#options = options;
  }

  /**
   * One beat arrived at `at` (ms); `number`, when the sender numbers its beats, places it in
   * the bar (a multiple of `beatsPerBar` is a downbeat).
   */
  beat(at: number, number?: number): BeatVerdict {
    const last = this.#last;
    if (last === undefined || at - last.t > this.#options.lostAfterMs || at < last.t) {
      this.#restart([{ n: number ?? 0, t: at }]);
      return 'first';
    }
    const period = this.#period;
    if (period === undefined) {
      const interval = at - last.t;
      if (interval < MIN_PERIOD || interval > MAX_PERIOD) {
        // Too fast or too slow for a tempo: start over from this beat.
        this.#restart([{ n: number ?? 0, t: at }]);
        return 'first';
      }
      this.#add({ n: number ?? last.n + 1, t: at });
      return 'fit';
    }
    const k = number !== undefined && number > last.n ? number - last.n : Math.round((at - last.t) / period);
    const n = last.n + k;
    const off = at - (this.#intercept + period * n);
    if (k >= 1 && k <= MAX_MISSED + 1 && Math.abs(off) <= TOLERANCE * period) {
      this.missed += k - 1;
      this.#candidates = [];
      this.#add({ n, t: at });
      return 'fit';
    }
    this.#candidates.push(at);
    if (this.#candidates.length > TO_CHANGE) this.#candidates.shift();
    if (this.#candidates.length === TO_CHANGE && steady(this.#candidates)) {
      const base = number !== undefined ? number - (TO_CHANGE - 1) : 0;
      const points = this.#candidates.map((t, i) => ({ n: base + i, t }));
      this.#toldPeriod = undefined;
      this.#restart(points);
      return 'tempo_change';
    }
    this.rejected += 1;
    return 'rejected';
  }

  /** The sender's tempo (`/tempo 128`): used as the period from now on; ignored outside 20–400 BPM. */
  tempo(bpm: number): void {
    if (!Number.isFinite(bpm) || bpm <= 0) return;
    const period = 60_000 / bpm;
    if (period < MIN_PERIOD || period > MAX_PERIOD) return;
    this.#toldPeriod = period;
    this.#fit();
  }

  /** The grid at `now`, or undefined before two beats or when the last one is older than `lostAfterMs`. */
  grid(now: number): BeatGrid | undefined {
    const last = this.#last;
    const period = this.#period;
    if (last === undefined || period === undefined || now - last.t > this.#options.lostAfterMs) return undefined;
    return {
      anchorAt: this.#intercept + period * last.n,
      anchorBeat: last.n,
      periodMs: period,
      beatsPerBar: this.#options.beatsPerBar,
    };
  }

  #restart(points: Point[]): void {
    this.#points = [];
    this.#candidates = [];
    this.#period = undefined;
    this.#last = undefined;
    for (const p of points) this.#add(p);
  }

  #add(point: Point): void {
    this.#points.push(point);
    if (this.#points.length > WINDOW) this.#points.shift();
    this.#last = point;
    this.#fit();
  }

  /**
   * The line t = intercept + period × n through the window: first a robust one (Theil–Sen:
   * the median of the slopes between every two beats, the median of t − period × n), which a
   * few beats delayed by a stalled sender (or a stalled event loop here) do not pull; then,
   * leaving out the beats far off it (beyond 3 robust deviations), least squares, which
   * averages plain jitter best. A period told by `/tempo` is used as it is.
   */
  #fit(): void {
    const points = this.#points;
    if (points.length === 0) return;
    const told = this.#toldPeriod;
    let period = told;
    if (period === undefined) {
      const slopes: number[] = [];
      for (let i = 0; i < points.length; i++) {
        const a = points[i] as Point;
        for (let j = i + 1; j < points.length; j++) {
          const b = points[j] as Point;
          if (b.n !== a.n) slopes.push((b.t - a.t) / (b.n - a.n));
        }
      }
      if (slopes.length === 0) return;
      period = median(slopes);
    }
    const p0 = period;
    const i0 = median(points.map((pt) => pt.t - p0 * pt.n));
    const spread = median(points.map((pt) => Math.abs(pt.t - i0 - p0 * pt.n)));
    const limit = Math.max(MIN_OUTLIER_MS, 3 * 1.4826 * spread);
    const inliers = points.filter((pt) => Math.abs(pt.t - i0 - p0 * pt.n) <= limit);
    const line = leastSquares(inliers, told);
    this.#period = line?.period ?? p0;
    this.#intercept = line?.intercept ?? i0;
  }
}

/** Least squares of t = intercept + period × n (the period fixed when given); undefined when it cannot be fitted. */
function leastSquares(points: readonly Point[], period: number | undefined): { period: number; intercept: number } | undefined {
  const count = points.length;
  if (count === 0) return undefined;
  let meanN = 0;
  let meanT = 0;
  for (const p of points) {
    meanN += p.n;
    meanT += p.t;
  }
  meanN /= count;
  meanT /= count;
  if (period === undefined) {
    let sNT = 0;
    let sNN = 0;
    for (const p of points) {
      sNT += (p.n - meanN) * (p.t - meanT);
      sNN += (p.n - meanN) ** 2;
    }
    if (sNN === 0) return undefined;
    period = sNT / sNN;
  }
  return { period, intercept: meanT - period * meanN };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/** Two or more intervals between `times` that agree within {@link TOLERANCE}, at a usable tempo. */
function steady(times: readonly number[]): boolean {
  const intervals: number[] = [];
  for (let i = 1; i < times.length; i++) intervals.push((times[i] as number) - (times[i - 1] as number));
  const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length;
  if (mean < MIN_PERIOD || mean > MAX_PERIOD) return false;
  return intervals.every((d) => Math.abs(d - mean) <= TOLERANCE * mean);
}
