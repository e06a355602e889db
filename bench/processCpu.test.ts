import { describe, expect, it } from 'vitest';
import { parseProcessStat, processCpuMs, processTreeCpuMs, type ProcessTimes, readProcesses, treeCpuMs } from './processCpu.js';

/** A /proc/<pid>/stat line: pid (comm) state ppid … utime stime cutime cstime …. */
const stat = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime: number, cstime: number) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 300 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 5000 100000000 2000 18446744073709551615\n`;

describe('parseProcessStat', () => {
  it('reads pid, ppid, own and reaped children times (ticks as ms), whatever the command name holds', () => {
    expect(parseProcessStat(stat(812, 'postgres', 1, 120, 30, 400, 50))).toEqual({ pid: 812, ppid: 1, ownMs: 1500, reapedChildrenMs: 4500 });
    expect(parseProcessStat(stat(9, 'a ) b (c', 812, 1, 2, 0, 0))).toEqual({ pid: 9, ppid: 812, ownMs: 30, reapedChildrenMs: 0 });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcessStat('nonsense')).toThrow(/not a process stat line/);
    expect(() => parseProcessStat('12 (x) S')).toThrow(/not a process stat line/);
  });
});

describe('treeCpuMs', () => {
  const t = (pid: number, ppid: number, ownMs: number, reapedChildrenMs = 0): ProcessTimes => ({ pid, ppid, ownMs, reapedChildrenMs });

  it('sums the root, its descendants and what exited children left them, and nothing else', () => {
    const all = [t(1, 0, 99_000), t(10, 1, 100, 2000), t(11, 10, 30), t(12, 10, 20, 5), t(13, 11, 7), t(20, 1, 50_000)];
    expect(treeCpuMs(all, 10)).toBe(100 + 2000 + 30 + 20 + 5 + 7);
    expect(treeCpuMs(all, 11)).toBe(37);
  });

  it('keeps the sum when a child exits and its parent reaps it', () => {
    const before = [t(10, 1, 100), t(11, 10, 300), t(12, 10, 40)];
    const after = [t(10, 1, 100, 300), t(12, 10, 40)];
    expect(treeCpuMs(after, 10)).toBe(treeCpuMs(before, 10));
  });

  it('is NaN when the root is not among the processes', () => {
    expect(treeCpuMs([t(3, 1, 5)], 4)).toBeNaN();
  });
});

describe('processTreeCpuMs', () => {
  it('reads this process tree on Linux, and is null elsewhere or without a root', () => {
    expect(processTreeCpuMs(undefined)).toBeNull();
    if (process.platform !== 'linux') {
      expect(readProcesses()).toBeNull();
      expect(processTreeCpuMs(process.pid)).toBeNull();
      return;
    }
    expect(readProcesses()?.some((p) => p.pid === process.pid && p.ppid === process.ppid)).toBe(true);
    expect(processTreeCpuMs(process.pid)).toBeGreaterThanOrEqual(0);
    expect(processTreeCpuMs(2 ** 22 + 1)).toBeNull();
  });
});

describe('processCpuMs', () => {
  it("reads a live process's own CPU time on Linux; null for no process, a gone one, or off Linux", () => {
    expect(processCpuMs(undefined)).toBeNull();
    expect(processCpuMs(2 ** 22 + 1)).toBeNull(); // above Linux's pid_max: never a live process
    const own = processCpuMs(process.pid);
    if (process.platform !== 'linux') {
      expect(own).toBeNull();
      return;
    }
    expect(own).toBeGreaterThan(0);
  });
});
