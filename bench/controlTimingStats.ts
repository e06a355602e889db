/**
 * The control-timing bench's figures from what the receiver recorded: step jitter and gaps,
 * chat → OSC, landing error against a beat grid, and how a figure compares with the machine's
 * ceiling measured in the same window.
 */
import type { LaneData } from './controlTimingProbe.js';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The value at percentile `p` of sorted values (nearest rank); NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export interface Spread {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

export interface StepTiming {
  readonly steps: number;
  readonly jitterP50Ms: number;
  readonly jitterP99Ms: number;
  readonly jitterMaxMs: number;
  readonly intervalMaxMs: number;
  readonly gapsOver2xNominal: number;
}

/** Step intervals of arrivals: |interval − nominal| percentiles, the longest interval, intervals over 2× nominal. */
export function stepTiming(arrivals: readonly number[], nominalMs: number): StepTiming {
  const intervals = arrivals.slice(1).map((t, i) => t - (arrivals[i] as number));
  const jitter = spread(intervals.map((x) => Math.abs(x - nominalMs)));
  return {
    steps: arrivals.length,
    jitterP50Ms: jitter.p50Ms,
    jitterP99Ms: jitter.p99Ms,
    jitterMaxMs: jitter.maxMs,
    intervalMaxMs: round(intervals.length > 0 ? Math.max(...intervals) : Number.NaN),
    gapsOver2xNominal: intervals.filter((x) => x > 2 * nominalMs).length,
  };
}

/**
 * How late each arrival is after the grid point it belongs to (grid points at `anchor + n·period`;
 * an arrival up to `earlyMs` before a point counts as that point's, early).
 */
export function landingErrors(arrivals: readonly number[], anchor: number, periodMs: number, earlyMs = 5): number[] {
  return arrivals.map((at) => {
    const n = Math.floor((at - anchor + earlyMs) / periodMs);
    return at - (anchor + n * periodMs);
  });
}

/** Lateness of each step against the due time it carried (the ceiling's steps). */
export function lateness(lane: Pick<LaneData, 'steps' | 'stepTags'>): number[] {
  return lane.steps.flatMap((at, i) => {
    const due = lane.stepTags[i];
    return typeof due === 'number' ? [at - due] : [];
  });
}

/** A measured figure against the machine's ceiling for the same work, same window. */
export function againstCeiling(measured: number, ceiling: number): { readonly overMs: number; readonly ratio: number } {
  return { overMs: round(measured - ceiling), ratio: ceiling > 0 ? round(measured / ceiling) : Number.NaN };
}
