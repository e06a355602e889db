import { describe, expect, it } from 'vitest';
import { cpuShares, judgeLoad, LoadSampler, parseProcStat, waitForQuiet } from './load.js';

const STAT = (user: number, idle: number, steal: number, running: number) =>
  `cpu  ${user} 0 100 ${idle} 10 0 5 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nctxt 5\nprocs_running ${running}\nprocs_blocked 0\n`;

describe('parseProcStat', () => {
  it('reads the all-cores line and the runnable processes', () => {
    const stat = parseProcStat(STAT(1000, 5000, 30, 3));
    expect(stat.cpu).toEqual({ total: 1000 + 100 + 5000 + 10 + 5 + 30, idle: 5010, steal: 30 });
    expect(stat.procsRunning).toBe(3);
  });

  it('refuses text without a cpu line', () => {
    expect(() => parseProcStat('intr 1\n')).toThrow(/no cpu line/);
  });
});

describe('cpuShares', () => {
  it('is the stolen and the busy share of the ticks between two readings', () => {
    const before = parseProcStat(STAT(1000, 5000, 30, 1)).cpu;
    const after = parseProcStat(STAT(1600, 5300, 130, 1)).cpu;
    // 1000 ticks passed: 600 user, 300 idle, 100 stolen.
    expect(cpuShares(before, after)).toEqual({ stealPercent: 10, busyPercent: 70 });
    expect(cpuShares(before, before)).toEqual({ stealPercent: 0, busyPercent: 0 });
  });
});

describe('judgeLoad', () => {
  it('flags a run that started on a busy machine or lost CPU time to steal', () => {
    expect(judgeLoad(2, 0.4, 1)).toEqual([]);
    expect(judgeLoad(2, 1.5, 1)).toHaveLength(1);
    expect(judgeLoad(2, 0.4, 12)).toEqual(['12% of CPU time stolen']);
    expect(judgeLoad(2, 0.4, null)).toEqual([]);
  });

  it('judges by how busy the machine was just before the run where that was watched, not the lagging load average', () => {
    expect(judgeLoad(2, 1.8, 0, 6)).toEqual([]);
    expect(judgeLoad(2, 0.2, 0, 40)).toEqual(['the machine was 40% busy before the run, above 25%']);
    expect(judgeLoad(2, 0.2, 9, 40)).toHaveLength(2);
  });
});

describe('LoadSampler', () => {
  it('records cores and load averages, and /proc figures only where they exist', () => {
    const load = LoadSampler.start().finish();
    expect(load.cores).toBeGreaterThan(0);
    expect(load.loadavgStart).toHaveLength(2);
    expect(load.contaminated).toBe(load.reasons.length > 0);
    if (process.platform === 'linux') expect(load.stealPercent).not.toBeNull();
    else expect(load.stealPercent).toBeNull();
  });

  it('says how busy the machine was before the run when it watched first (Linux), never otherwise', async () => {
    const watched = (await LoadSampler.afterWatching(50)).finish();
    if (process.platform === 'linux') {
      expect(watched.busyBeforePercent).toBeGreaterThanOrEqual(0);
      expect(watched.busyBeforePercent).toBeLessThanOrEqual(100);
    } else expect(watched.busyBeforePercent).toBeNull();
    expect(LoadSampler.start().finish().busyBeforePercent).toBeNull();
  });
});

describe('waitForQuiet', () => {
  /** Readings whose successive windows are `busy` percent busy (100 ticks each). */
  const machine = (busy: readonly number[]) => {
    let total = 0;
    let idle = 0;
    let reads = 0;
    const read = () => {
      const window = reads > 0 ? busy[reads - 1] : 0;
      if (window !== undefined) {
        total += 100;
        idle += 100 - window;
      }
      reads += 1;
      return { cpu: { total, idle, steal: 0 }, procsRunning: 1 };
    };
    return { read, reads: () => reads };
  };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  it('waits window after window until one is quiet, and says how busy that one was', async () => {
    const m = machine([90, 60, 20, 80]);
    sleeps.length = 0;
    expect(await waitForQuiet(m.read, sleep, { windowMs: 1000, limitPercent: 25 })).toEqual({ busyPercent: 20, waitedMs: 3000 });
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it('gives up after its longest wait with the last window, busy as it is', async () => {
    const m = machine([90, 90, 90, 90, 90]);
    expect(await waitForQuiet(m.read, sleep, { windowMs: 1000, maxWaitMs: 2000 })).toEqual({ busyPercent: 90, waitedMs: 2000 });
    expect(m.reads()).toBe(3);
  });

  it('does not wait where there is nothing to read', async () => {
    sleeps.length = 0;
    expect(await waitForQuiet(() => null, sleep)).toEqual({ busyPercent: null, waitedMs: null });
    expect(sleeps).toEqual([]);
  });
});
