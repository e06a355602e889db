import { describe, expect, it } from 'vitest';
import { mainThreadCpuMs, parseTaskStat } from './threadCpu.js';

describe('parseTaskStat', () => {
  it('reads utime + stime (fields 14 and 15, clock ticks) as ms, whatever the command name holds', () => {
    const fields = (name: string, utime: number, stime: number) =>
      `4242 (${name}) R 1 4242 4242 0 -1 4194304 1000 0 0 0 ${utime} ${stime} 0 0 20 0 3 0 12345 1000000 5000 18446744073709551615`;
    expect(parseTaskStat(fields('node', 250, 30))).toBe(2800);
    expect(parseTaskStat(fields('odd ) name (x', 7, 3))).toBe(100);
  });

  it('refuses a line that is not a task stat', () => {
    expect(() => parseTaskStat('nonsense')).toThrow(/not a task stat line/);
  });
});

describe('mainThreadCpuMs', () => {
  it('grows with work done on the main thread on Linux, and is null where /proc does not exist', () => {
    const before = mainThreadCpuMs();
    if (process.platform !== 'linux') {
      expect(before).toBeNull();
      return;
    }
    let spent = before as number;
    // Work until the kernel has counted at least 3 ticks more (counted, not timed).
    let x = 0;
    for (let round = 0; round < 10_000 && spent - (before as number) < 30; round++) {
      for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);
      spent = mainThreadCpuMs() as number;
    }
    expect(spent - (before as number)).toBeGreaterThanOrEqual(30);
    expect(x).toBeGreaterThan(0);
  });
});
