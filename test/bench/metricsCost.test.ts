import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../bench/load.js';
import { pairCosts, pairOf, type Round, windowLoad, windowOf } from '../../bench/metricsCost.js';

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

describe("metrics-cost's pairs", () => {
  it('with the stand-in, runs each pair one window in three, so each variant runs two windows of three', () => {
    const pairs = Array.from({ length: 6 }, (_, i) => pairOf(i, true));
    expect(pairs.slice(0, 3)).toEqual([
      ['off', 'on'],
      ['on', 'standIn'],
      ['standIn', 'off'],
    ]);
    expect(pairs.slice(3)).toEqual(pairs.slice(0, 3));
    for (const variant of ['off', 'on', 'standIn'] as const) {
      expect(pairs.filter((p) => p.includes(variant))).toHaveLength(4);
    }
  });

  it('without it, always off against on', () => {
    expect([0, 1, 2].map((i) => pairOf(i, false))).toEqual([
      ['off', 'on'],
      ['off', 'on'],
      ['off', 'on'],
    ]);
  });

  it("takes a pair's cost only from its own windows, whichever way round the pair ran", () => {
    const w = (messagesPerSec: number, cpuMicrosPerMessage: number) => ({ messagesPerSec, cpuMicrosPerMessage });
    const quiet = windowLoad(load(90, 0), 1_800, 1_000);
    const rounds: Round[] = [
      { pair: ['off', 'on'], windows: [w(200_000, 4), w(180_000, 5)], load: quiet },
      { pair: ['on', 'standIn'], windows: [w(170_000, 5), w(190_000, 4.4)], load: quiet },
      { pair: ['standIn', 'off'], windows: [w(190_000, 4.2), w(200_000, 4)], load: quiet },
    ];
    expect(pairCosts(rounds, 'off', 'on')).toEqual({ perSec: [10], cpu: [25] });
    expect(pairCosts(rounds, 'off', 'standIn')).toEqual({ perSec: [5], cpu: [5] });
    const beyond = pairCosts(rounds, 'standIn', 'on');
    expect(beyond.perSec[0]).toBeCloseTo(10.53, 1);
    expect(beyond.cpu[0]).toBeCloseTo(13.64, 1);
  });
});
