import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1000, jitter: 0 };

  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(policy, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads by the jitter fraction either way', () => {
    const jittered = { ...policy, jitter: 0.2 };
    expect(backoffDelay(jittered, 1, () => 0)).toBe(80);
    expect(backoffDelay(jittered, 1, () => 1)).toBe(120);
  });
});
