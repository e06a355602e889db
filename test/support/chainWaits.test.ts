import { describe, expect, it } from 'vitest';
import { ChainWaits } from './chainWaits.js';

function sampled(points: readonly [at: number, ms: number][]): ChainWaits {
  let i = 0;
  const chain = new ChainWaits(
    () => (points[i] as [number, number])[1],
    () => (points[i] as [number, number])[0],
  );
  for (; i < points.length; i++) chain.sample();
  return chain;
}

describe('ChainWaits', () => {
  it('gives the growth from the last sample at or before the start to the first at or after the end', () => {
    const chain = sampled([
      [100, 1],
      [101, 1.5],
      [103, 6],
      [104, 6.2],
      [110, 9],
    ]);
    expect(chain.heldMs(101.5, 103.5)).toBeCloseTo(6.2 - 1.5);
    expect(chain.heldMs(101, 103)).toBeCloseTo(6 - 1.5);
  });

  it('gives 0 when the window is not bracketed by samples, or nothing can be read', () => {
    const chain = sampled([
      [100, 1],
      [101, 2],
    ]);
    expect(chain.heldMs(99, 101)).toBe(0);
    expect(chain.heldMs(100, 102)).toBe(0);
    const unread = new ChainWaits(undefined);
    unread.sample();
    expect(unread.heldMs(0, Number.MAX_SAFE_INTEGER)).toBe(0);
  });
});
