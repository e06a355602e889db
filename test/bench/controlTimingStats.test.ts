import { describe, expect, it } from 'vitest';
import {
  cpuShare,
  mainThreadSchedStat,
  parseProcStat,
  parseSchedStat,
  parseTaskStat,
  threadSchedStat,
  windowShares,
} from '../../bench/controlTimingMachine.js';
import { againstCeiling, landingErrors, lateness, spread, stepTiming } from '../../bench/controlTimingStats.js';

describe('control-timing figures', () => {
  it('step jitter is |interval − nominal|; a gap is an interval over twice nominal', () => {
    const t = stepTiming([0, 10, 20, 35, 45, 70], 10);
    expect(t).toEqual({ steps: 6, jitterP50Ms: 0, jitterP99Ms: 15, jitterMaxMs: 15, intervalMaxMs: 25, gapsOver2xNominal: 1 });
    expect(stepTiming([5], 10)).toMatchObject({ steps: 1, gapsOver2xNominal: 0 });
  });

  it('landing error is the arrival less the grid point it belongs to, slightly early ones included', () => {
    expect(landingErrors([126, 252.5, 374, 499], 1, 125)).toEqual([0, 1.5, -2, -2]);
  });

  it("lateness compares a ceiling step's arrival with the due time it carried", () => {
    expect(lateness({ steps: [10.2, 20.5, 31], stepTags: [10, 20, null] })).toEqual([10.2 - 10, 0.5]);
  });

  it('spreads, and a figure against the ceiling', () => {
    expect(spread([3, 1, 2])).toEqual({ count: 3, p50Ms: 2, p99Ms: 3, maxMs: 3 });
    expect(spread([])).toMatchObject({ count: 0, p99Ms: Number.NaN });
    expect(againstCeiling(1.2, 0.4)).toEqual({ overMs: 0.8, ratio: 3 });
  });
});

describe('the machine while it measured (/proc)', () => {
  it("reads steal and busy shares from /proc/stat's cpu line", () => {
    const a = parseProcStat('cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 1 2 3 4 5 6 7 8\n');
    const b = parseProcStat('cpu  160 0 70 860 10 0 0 50 0 0\n');
    expect(a).toEqual({ total: 1000, idle: 810, steal: 40 });
    expect(cpuShare(a, b)).toEqual({ stealPercent: 6.7, busyPercent: 53.3 });
    expect(parseProcStat('intr 1 2 3\n')).toBeUndefined();
    expect(cpuShare(undefined, b)).toBeNull();
  });

  it("reads a thread's niceness, real-time priority and policy, whatever its name holds", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[19 - 3] = '-10';
    fields[40 - 3] = '10';
    fields[41 - 3] = '1';
    expect(parseTaskStat(`4242 (node (x) y) ${fields.join(' ')}`)).toEqual({ comm: 'node (x) y', nice: -10, rtPriority: 10, policy: 1 });
    expect(parseTaskStat('garbage')).toBeUndefined();
  });

  it("reads a thread's time on a core and waiting for one from schedstat (ns)", () => {
    expect(parseSchedStat('2500000 1250000 42\n')).toEqual({ runningMs: 2.5, waitingMs: 1.25 });
    expect(parseSchedStat('')).toBeUndefined();
    expect(parseSchedStat('x y z')).toBeUndefined();
  });

  it("gives a thread's shares of a window, on a core and waiting for one, from its readings at start and end", () => {
    const before = { runningMs: 100, waitingMs: 40 };
    expect(windowShares(before, { runningMs: 350, waitingMs: 165 }, 1000)).toEqual({ runningPercent: 25, waitingForCorePercent: 12.5 });
    expect(windowShares(undefined, before, 1000)).toBeNull();
    expect(windowShares(before, undefined, 1000)).toBeNull();
    expect(windowShares(before, before, 0)).toBeNull();
  });

  it("reads another process's main thread (/proc/<pid>/schedstat) as a thread reads its own; nothing off Linux or for no process", () => {
    // This test runs on its process's main thread: both readings are that thread's, the second later.
    const own = threadSchedStat();
    const outside = mainThreadSchedStat(process.pid);
    expect(mainThreadSchedStat(2 ** 22 + 1)).toBeUndefined();
    if (process.platform !== 'linux') {
      expect(outside).toBeUndefined();
      return;
    }
    expect(own).toBeDefined();
    expect(outside?.runningMs).toBeGreaterThanOrEqual(own?.runningMs ?? Number.POSITIVE_INFINITY);
    expect(outside?.waitingMs).toBeGreaterThanOrEqual(own?.waitingMs ?? Number.POSITIVE_INFINITY);
  });
});
