import { describe, expect, it } from 'vitest';
import { bpmOf, nextOnGrid } from './beatClock.js';
import { TempoEstimator } from './tempoEstimator.js';

const options = { beatsPerBar: 4, lostAfterMs: 2000 };

/** A repeatable ±1 sequence (mulberry32), for jitter. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Feeds beats at `start + n × period + jitter(n)`, n = 0 … count-1, except `skip`. */
function play(est: TempoEstimator, count: number, period: number, jitter = () => 0, start = 1000, skip: readonly number[] = []) {
  const verdicts = [];
  for (let n = 0; n < count; n++) if (!skip.includes(n)) verdicts.push(est.beat(start + n * period + jitter()));
  return verdicts;
}

describe('TempoEstimator', () => {
  it('has no grid before two beats, then the steady tempo and phase exactly', () => {
    const est = new TempoEstimator(options);
    expect(est.grid(0)).toBeUndefined();
    expect(est.beat(1000)).toBe('first');
    expect(est.grid(1000)).toBeUndefined();
    play(est, 8, 500, undefined, 1500);
    const grid = est.grid(5000);
    expect(grid && bpmOf(grid)).toBeCloseTo(120, 9);
    expect(grid && nextOnGrid(grid, 5001, '1/4').at).toBeCloseTo(5500, 9);
  });

  it('holds the tempo within 0.1 BPM and the phase within 2 ms through ±5 ms of jitter', () => {
    const jitter = random(7);
    const est = new TempoEstimator(options);
    const verdicts = play(est, 40, 500, () => 5 * jitter());
    expect(verdicts.filter((v) => v === 'rejected')).toEqual([]);
    const grid = est.grid(1000 + 39 * 500);
    expect(grid).toBeDefined();
    if (!grid) return;
    expect(Math.abs(bpmOf(grid) - 120)).toBeLessThan(0.1);
    // The next beat is due at 1000 + 40 × 500 = 21000.
    expect(Math.abs(nextOnGrid(grid, 1000 + 39 * 500 + 10, '1/4').at - 21_000)).toBeLessThan(2);
  });

  it('is not pulled by a few beats a stalled sender delayed by 20–50 ms', () => {
    const est = new TempoEstimator(options);
    const late = new Map([
      [20, 30],
      [23, 50],
      [27, 20],
      [31, 45],
    ]);
    for (let n = 0; n < 36; n++) est.beat(1000 + n * 500 + (late.get(n) ?? 0));
    const grid = est.grid(1000 + 35 * 500);
    expect(grid).toBeDefined();
    if (!grid) return;
    expect(Math.abs(bpmOf(grid) - 120)).toBeLessThan(0.05);
    expect(Math.abs(nextOnGrid(grid, 1000 + 35 * 500 + 10, '1/4').at - 19_000)).toBeLessThan(0.5);
  });

  it('counts a missing beat and keeps the grid, numbering on past it', () => {
    const est = new TempoEstimator(options);
    play(est, 12, 500, undefined, 1000, [6]);
    expect(est.missed).toBe(1);
    const grid = est.grid(6600);
    expect(grid?.anchorBeat).toBe(11);
    expect(grid && bpmOf(grid)).toBeCloseTo(120, 9);
    // The bar still starts on beat 12 (at 7000): beats were not renumbered by the gap.
    const bar = grid && nextOnGrid(grid, 6600, 'bar');
    expect(bar?.beat).toBe(12);
    expect(bar?.at).toBeCloseTo(7000, 6);
  });

  it('leaves out a double trigger and a single stalled beat', () => {
    const est = new TempoEstimator(options);
    play(est, 8, 500);
    expect(est.beat(1000 + 7 * 500 + 40)).toBe('rejected'); // 40 ms after beat 7: a double trigger
    expect(est.beat(1000 + 8 * 500 + 120)).toBe('rejected'); // beat 8, 120 ms late: a stalled sender
    expect(est.beat(1000 + 9 * 500)).toBe('fit');
    expect(est.rejected).toBe(2);
    const grid = est.grid(5600);
    expect(grid && bpmOf(grid)).toBeCloseTo(120, 9);
  });

  it('follows a tempo change after three beats at the new tempo', () => {
    const est = new TempoEstimator(options);
    play(est, 8, 500);
    // From 120 to 140 BPM (428.57 ms): the first beat still fits the old grid (71 ms early is
    // within 15% of a period), the next three do not, and agree among themselves.
    const period = 60_000 / 140;
    const at = (i: number) => 1000 + 7 * 500 + (i + 1) * period;
    expect([0, 1, 2, 3].map((i) => est.beat(at(i)))).toEqual(['fit', 'rejected', 'rejected', 'tempo_change']);
    for (let i = 4; i < 10; i++) expect(est.beat(at(i))).toBe('fit');
    const grid = est.grid(at(9));
    expect(grid && bpmOf(grid)).toBeCloseTo(140, 6);
  });

  it('is lost after lost_after without beats, and starts over when they return', () => {
    const est = new TempoEstimator(options);
    play(est, 4, 500);
    expect(est.grid(1000 + 3 * 500 + 1999)).toBeDefined();
    expect(est.grid(1000 + 3 * 500 + 2001)).toBeUndefined();
    expect(est.beat(10_000)).toBe('first');
    expect(est.beat(10_600)).toBe('fit');
    expect(est.grid(10_600) && bpmOf(est.grid(10_600) as NonNullable<ReturnType<typeof est.grid>>)).toBeCloseTo(100, 9);
  });

  it('uses a told tempo as the period, with the phase from the beats', () => {
    const est = new TempoEstimator(options);
    est.tempo(128);
    est.beat(1000);
    const grid = est.grid(1000);
    expect(grid && bpmOf(grid)).toBeCloseTo(128, 9);
    expect(grid && nextOnGrid(grid, 1001, '1/4').at).toBeCloseTo(1000 + 60_000 / 128, 9);
    est.tempo(Number.NaN);
    est.tempo(1000);
    expect(bpmOf(est.grid(1000) as NonNullable<ReturnType<typeof est.grid>>)).toBeCloseTo(128, 9);
  });

  it('places a numbered beat in its bar', () => {
    const est = new TempoEstimator(options);
    est.beat(1000, 2);
    est.beat(1500, 3);
    const grid = est.grid(1600);
    // Beat 4, the next downbeat, is at 2000.
    expect(grid && nextOnGrid(grid, 1600, 'bar')).toEqual({ at: 2000, beat: 4 });
  });
});

describe('nextOnGrid', () => {
  const grid = { anchorAt: 0, anchorBeat: 0, periodMs: 500, beatsPerBar: 4 };
  it('finds the next beat, half beat, bar and whole note, and a point exactly now', () => {
    expect(nextOnGrid(grid, 130, '1/4')).toEqual({ at: 500, beat: 1 });
    expect(nextOnGrid(grid, 130, '1/8')).toEqual({ at: 250, beat: 0.5 });
    expect(nextOnGrid(grid, 130, '1/16')).toEqual({ at: 250, beat: 0.5 });
    expect(nextOnGrid(grid, 130, '1/2')).toEqual({ at: 1000, beat: 2 });
    expect(nextOnGrid(grid, 130, 'bar')).toEqual({ at: 2000, beat: 4 });
    expect(nextOnGrid({ ...grid, beatsPerBar: 3 }, 130, 'bar')).toEqual({ at: 1500, beat: 3 });
    expect(nextOnGrid(grid, 130, '1')).toEqual({ at: 2000, beat: 4 });
    expect(nextOnGrid(grid, 500, '1/4')).toEqual({ at: 500, beat: 1 });
    expect(nextOnGrid(grid, -130, '1/4')).toEqual({ at: 0, beat: 0 });
  });
});
