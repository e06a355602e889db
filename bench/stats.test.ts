import { describe, expect, it } from 'vitest';
import { aboveNoise, costPercent, highestPassingRate, median, quantile, slope, spread, sustainedRates } from './stats.js';

describe('quantile and spread', () => {
  it('interpolates between neighbours and ignores NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('reports quartiles, their range and the extremes', () => {
    expect(spread([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual({ median: 5, q1: 3, q3: 7, iqr: 4, min: 1, max: 9, n: 9 });
  });

  it('calls a paired difference above the noise only when its median clears half the IQR', () => {
    expect(aboveNoise(spread([6, 7, 8, 7, 6, 8]))).toBe(true);
    expect(aboveNoise(spread([-5, 6, -4, 7, 1, 2]))).toBe(false);
    expect(aboveNoise(spread([8, 9, 10]))).toBe(false);
  });
});

describe('slope', () => {
  it('is the least-squares growth per unit of x', () => {
    expect(slope([{ x: 0, y: 100 }, { x: 1, y: 102 }, { x: 2, y: 104 }, { x: 3, y: 106 }])).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 5 }, { x: 1, y: 5 }])).toBe(0);
    expect(slope([{ x: 0, y: 5 }])).toBeNaN();
  });
});

describe('highestPassingRate', () => {
  const threshold = (limit: number) => async (rate: number) => rate <= limit;

  it('doubles to the first failure, then bisects to within a step', async () => {
    const found = await highestPassingRate(threshold(73_400), { low: 10_000, high: 400_000, step: 1000 });
    expect(found.rate).toBe(73_000);
    expect(found.trials.slice(0, 4).map((t) => t.rate)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(found.trials.every((t) => t.passed === t.rate <= 73_400)).toBe(true);
  });

  it('stops at the ceiling when everything passes', async () => {
    const found = await highestPassingRate(threshold(1e9), { low: 10_000, high: 50_000, step: 1000 });
    expect(found.rate).toBe(50_000);
    expect(found.trials.map((t) => t.rate)).toEqual([10_000, 20_000, 40_000, 50_000]);
  });

  it('halves from a failing low rate, then bisects up', async () => {
    const found = await highestPassingRate(threshold(6500), { low: 20_000, high: 50_000, step: 1000 });
    expect(found.rate).toBe(6000);
    expect(found.trials.slice(0, 3).map((t) => t.rate)).toEqual([20_000, 10_000, 5000]);
  });

  it('is 0 when even the smallest step fails', async () => {
    const found = await highestPassingRate(threshold(500), { low: 4000, high: 50_000, step: 1000 });
    expect(found.rate).toBe(0);
    expect(found.trials.map((t) => t.rate)).toEqual([4000, 2000, 1000]);
  });

  it('stops bisecting within the tolerance of the pass', async () => {
    const found = await highestPassingRate(threshold(190_000), { low: 10_000, high: 400_000, step: 1000, tolerance: 0.05 });
    expect(found.rate).toBeLessThanOrEqual(190_000);
    expect(found.rate).toBeGreaterThanOrEqual(190_000 * 0.95);
    const exact = await highestPassingRate(threshold(190_000), { low: 10_000, high: 400_000, step: 1000 });
    expect(found.trials.length).toBeLessThan(exact.trials.length);
  });
});

describe('costPercent', () => {
  it('is the share of the baseline lost', () => {
    expect(costPercent(200, 190)).toBe(5);
    expect(costPercent(200, 210)).toBe(-5);
  });
});

describe('sustainedRates', () => {
  it('tries the search rate, the goal just below it, then the lower shares, highest first without repeats', () => {
    // 105k found: 105k, the 100k goal, 95% (99.75k → 100k, already there), 90% (94.5k → 95k).
    expect(sustainedRates(105_000, 100_000, 2500, [0.95, 0.9], 4)).toEqual([105_000, 100_000, 95_000]);
    expect(sustainedRates(150_000, 100_000, 2500, [0.95, 0.9], 4)).toEqual([150_000, 142_500, 135_000, 100_000]);
  });

  it('leaves out a goal above the search rate, and keeps to its number of tries', () => {
    expect(sustainedRates(80_000, 100_000, 2500, [0.95, 0.9], 4)).toEqual([80_000, 75_000, 72_500]);
    expect(sustainedRates(195_000, Number.POSITIVE_INFINITY, 2500, [0.9, 0.8], 2)).toEqual([195_000, 175_000]);
    expect(sustainedRates(0, 100_000, 2500, [0.9], 3)).toEqual([]);
  });
});
