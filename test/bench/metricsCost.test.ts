import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../bench/load.js';
import { windowLoad, windowOf } from '../../bench/metricsCost.js';

const load = (busyPercent: number | null, stealPercent: number | null): LoadRecord => ({
  cores: 2,
  loadavgStart: [1, 1],
  loadavgEnd: [1, 1],
  stealPercent,
  busyPercent,
  procsRunningStart: 1,
  procsRunningEnd: 1,
  busyBeforePercent: null,
  contaminated: false,
  reasons: [],
});

describe("metrics-cost's windows", () => {
  it("gives a side's messages/s over its own clock and its main thread's µs per message", () => {
    const w = windowOf({ emitted: 1_000, cpuMs: 50, at: 10_000 }, { emitted: 201_000, cpuMs: 850, at: 11_000 });
    expect(w.messagesPerSec).toBe(200_000);
    expect(w.cpuMicrosPerMessage).toBe(4);
  });

  it('refuses a window in which a source emitted nothing (a stopped or dead side), rather than dividing by zero', () => {
    expect(() => windowOf({ emitted: 5, cpuMs: 1, at: 0 }, { emitted: 5, cpuMs: 2, at: 1_000 })).toThrow(/emitted nothing/);
  });

  it("counts what other processes used: the machine's busy share less both sides', and flags half a core or 5% steal", () => {
    // 2 cores over 1 s: the sides used 1,800 ms of 2,000 (90%); the machine was 96% busy: others 6%.
    expect(windowLoad(load(96, 0.2), 1_800, 1_000)).toEqual({ busyPercent: 96, stealPercent: 0.2, othersPercent: 6, contaminated: false });
    expect(windowLoad(load(96, 0.2), 1_000, 1_000).contaminated).toBe(true); // others 46%
    expect(windowLoad(load(96, 6), 1_800, 1_000).contaminated).toBe(true);
    expect(windowLoad(load(null, null), 1_800, 1_000)).toEqual({ busyPercent: null, stealPercent: null, othersPercent: null, contaminated: false });
  });
});
