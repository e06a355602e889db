import { describe, expect, it } from 'vitest';
import { BUCKET_BOUNDS_MS, Histogram } from './histogram.js';

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

describe('Histogram.cumulative', () => {
  it('counts each value exactly against the bounds, cumulatively, a value on a bound counting in it', () => {
    const h = new Histogram();
    for (const ms of [0, 0.05, 0.06, 0.4, 1, 7, 7, 20_000]) h.record(ms);
    const c = h.cumulative();
    expect(c.le).toEqual(BUCKET_BOUNDS_MS);
    const at = (bound: number) => c.counts[c.le.indexOf(bound)];
    expect(at(0.05)).toBe(2);
    expect(at(0.1)).toBe(3);
    expect(at(0.5)).toBe(4);
    expect(at(1)).toBe(5);
    expect(at(5)).toBe(5);
    expect(at(10)).toBe(7);
    expect(at(10_000)).toBe(7);
    expect(c.count).toBe(8);
    expect(c.sum).toBeCloseTo(20_015.51, 6);
  });

  it('only grows while values are recorded, and merges and resets with the rest', () => {
    const h = new Histogram();
    h.record(3);
    const before = h.cumulative();
    h.record(0.2);
    const after = h.cumulative();
    for (let i = 0; i < before.counts.length; i++) expect(after.counts[i]).toBeGreaterThanOrEqual(before.counts[i] as number);
    expect(after.count).toBe(before.count + 1);
    const other = new Histogram();
    other.merge(h);
    expect(other.cumulative()).toEqual(after);
    other.reset();
    expect(other.cumulative().counts.every((n) => n === 0)).toBe(true);
  });
});
