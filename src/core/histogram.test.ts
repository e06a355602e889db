import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('is empty at first', () => {
    expect(new Histogram().summary()).toEqual({ count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('gives quantiles within one sub-bucket (~4%) of the truth', () => {
    const h = new Histogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 ms … 100 ms
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.max).toBe(100);
    expect(s.p50).toBeGreaterThanOrEqual(50);
    expect(s.p50).toBeLessThanOrEqual(50 * 1.07);
    expect(s.p99).toBeGreaterThanOrEqual(99);
    expect(s.p99).toBeLessThanOrEqual(100);
  });

  it('handles sub-microsecond, zero and huge values', () => {
    const h = new Histogram();
    h.record(0);
    h.record(0.0004);
    h.record(1e9);
    expect(h.quantile(0)).toBeLessThanOrEqual(0.001);
    expect(h.quantile(1)).toBe(1e9);
  });

  it('merges and resets', () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(1);
    b.record(3);
    a.merge(b);
    expect(a.count).toBe(2);
    expect(a.summary().max).toBe(3);
    a.reset();
    expect(a.count).toBe(0);
  });
});
