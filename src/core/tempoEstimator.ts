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
 * Estimates the beat grid from arrival times: a least-squares line through the last 16 beats
 * that fit (their number against their time), so jitter averages out in both the period and the
 * phase. A beat a whole number of periods after the last one fits with the missing ones
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

  /** Least squares of t = intercept + period × n over the window (the period fixed when told). */
  #fit(): void {
    const points = this.#points;
    const count = points.length;
    if (count === 0) return;
    let meanN = 0;
    let meanT = 0;
    for (const p of points) {
      meanN += p.n;
      meanT += p.t;
    }
    meanN /= count;
    meanT /= count;
    let period = this.#toldPeriod;
    if (period === undefined) {
      if (count < 2) return;
      let sNT = 0;
      let sNN = 0;
      for (const p of points) {
        sNT += (p.n - meanN) * (p.t - meanT);
        sNN += (p.n - meanN) ** 2;
      }
      if (sNN === 0) return;
      period = sNT / sNN;
    }
    this.#period = period;
    this.#intercept = meanT - period * meanN;
  }
}

/** Two or more intervals between `times` that agree within {@link TOLERANCE}, at a usable tempo. */
function steady(times: readonly number[]): boolean {
  const intervals: number[] = [];
  for (let i = 1; i < times.length; i++) intervals.push((times[i] as number) - (times[i - 1] as number));
  const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length;
  if (mean < MIN_PERIOD || mean > MAX_PERIOD) return false;
  return intervals.every((d) => Math.abs(d - mean) <= TOLERANCE * mean);
}
