import { describe, expect, it } from 'vitest';
import { realProcessProbe } from './process.js';

describe('realProcessProbe', () => {
  it('reads this process and starts a new interval at each sample', () => {
    const probe = realProcessProbe();
    try {
      let garbage: number[][] = [];
      for (let i = 0; i < 2000; i++) garbage.push(new Array(100).fill(i));
      garbage = [];
      const first = probe.sample();
      expect(first.rssBytes).toBeGreaterThan(1_000_000);
      expect(first.heapUsedBytes).toBeGreaterThan(0);
      expect(first.heapUsedBytes).toBeLessThan(first.rssBytes);
      expect(first.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(first.cpuPercent)).toBe(true);
      for (const summary of [first.eventLoopLagMs, first.gcPauseMs]) {
        expect(summary.count).toBeGreaterThanOrEqual(0);
        expect(summary.p50).toBeLessThanOrEqual(summary.max);
        expect(Number.isFinite(summary.p99)).toBe(true);
      }
      // A sample taken at once covers an (almost) empty interval: no event-loop readings yet.
      expect(probe.sample().eventLoopLagMs.count).toBeLessThanOrEqual(1);
      expect(garbage).toHaveLength(0);
    } finally {
      probe.close();
      probe.close();
    }
  });
});
