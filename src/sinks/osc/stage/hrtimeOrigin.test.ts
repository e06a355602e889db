import { describe, expect, it } from 'vitest';
import { hrtimeAtPerfZero } from './hrtimeOrigin.js';

describe('hrtimeAtPerfZero', () => {
  it('puts performance.now() on process.hrtime: hrtime − origin is performance.now(), read between two hrtimes', () => {
    const origin = hrtimeAtPerfZero();
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    // performance.now() has microsecond resolution at best; allow for it.
    expect(now).toBeGreaterThanOrEqual(Number(before - origin) / 1e6 - 0.01);
    expect(now).toBeLessThanOrEqual(Number(after - origin) / 1e6 + 0.01);
  });
});
