import { describe, expect, it } from 'vitest';
import { allocatedBytes, type GcRecord, watchAllocation } from './heapAllocation.js';

const gc = (before: number, after: number): GcRecord => ({
  gcType: 'Scavenge',
  beforeGC: { heapStatistics: { usedHeapSize: before } },
  afterGC: { heapStatistics: { usedHeapSize: after } },
});

describe('allocatedBytes', () => {
  it('adds the growth before each collection and after the last one', () => {
    // 100 → 180 (80), collected to 120; → 150 (30), collected to 110; → 140 at the end (30).
    expect(allocatedBytes(100, [gc(180, 120), gc(150, 110)], 140)).toBe(140);
  });

  it('is the growth alone without a collection, and never counts a shrink as allocation', () => {
    expect(allocatedBytes(100, [], 164)).toBe(64);
    expect(allocatedBytes(100, [gc(90, 50)], 40)).toBe(0);
  });
});

describe('watchAllocation', () => {
  it('sees at least what was allocated in its window', () => {
    const watch = watchAllocation();
    const kept: number[][] = [];
    for (let i = 0; i < 2000; i++) kept.push(new Array(1000).fill(i));
    const { bytes } = watch.stop();
    // 2000 arrays of 1000 small integers: at least 8 MB of elements.
    expect(bytes).toBeGreaterThanOrEqual(2000 * 1000 * 4);
    expect(kept).toHaveLength(2000);
  });
});
