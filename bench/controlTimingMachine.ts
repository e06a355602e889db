/**
 * What the machine was doing while the control-timing bench measured: load average, CPU steal
 * and busy share over the window (/proc/stat), and the niceness of this process's threads
 * (/proc/self/task: is the output stage's raised priority actually applied?). Linux only;
 * elsewhere the /proc figures are null.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Aggregate CPU times of /proc/stat's `cpu` line, in ticks. */
export interface CpuTimes {
  readonly total: number;
  readonly idle: number;
  readonly steal: number;
}

/** Parses the first (`cpu `) line of /proc/stat: user nice system idle iowait irq softirq steal …. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 8 || f.some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

export function cpuTimes(): CpuTimes | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Steal and busy share of all cores between two readings, %. */
export function cpuShare(before: CpuTimes | undefined, after: CpuTimes | undefined): { stealPercent: number; busyPercent: number } | null {
  if (!before || !after || after.total <= before.total) return null;
  const total = after.total - before.total;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    stealPercent: r(((after.steal - before.steal) / total) * 100),
    busyPercent: r(((total - (after.idle - before.idle) - (after.steal - before.steal)) / total) * 100),
  };
}

/** A thread's scheduling: niceness, and for a real-time one its policy (1 `SCHED_FIFO`, 2 `SCHED_RR`) and priority. */
export interface ThreadScheduling {
  readonly comm: string;
  readonly nice: number;
  readonly rtPriority: number;
  readonly policy: number;
}

/** One thread's line of /proc/<pid>/task/<tid>/stat: its name, niceness (field 19), real-time priority and policy (40, 41). */
export function parseTaskStat(text: string): ThreadScheduling | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields from the third (state) on; niceness is the 19th field.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  const [nice, rtPriority, policy] = [field(19), field(40), field(41)];
  if (![nice, rtPriority, policy].every(Number.isInteger)) return undefined;
  return { comm: text.slice(open + 1, close), nice, rtPriority, policy };
}

/** Threads of this process raised above normal (the output stage's: real-time, else nice −10); null off Linux. */
export function raisedThreads(): ({ tid: number } & ThreadScheduling)[] | null {
  if (process.platform !== 'linux') return null;
  const out: ({ tid: number } & ThreadScheduling)[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = parseTaskStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
      if (stat && (stat.nice < 0 || stat.policy !== 0)) out.push({ tid: Number(tid), ...stat });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

export interface MachineWindow {
  readonly cores: number;
  readonly loadavgStart: readonly number[];
  readonly loadavgEnd: readonly number[];
  /** Over the window, all cores: CPU stolen by the hypervisor, and busy (not idle, not stolen). */
  readonly cpu: { stealPercent: number; busyPercent: number } | null;
}

/** Starts watching the machine; `end()` gives the window's figures. */
export function watchMachine(): { end(): MachineWindow } {
  const r = (n: number) => Math.round(n * 100) / 100;
  const loadavgStart = loadavg().map(r);
  const before = cpuTimes();
  return {
    end: () => ({ cores: cpus().length, loadavgStart, loadavgEnd: loadavg().map(r), cpu: cpuShare(before, cpuTimes()) }),
  };
}

/** The calling thread's time on a core and waiting for one (/proc/thread-self/schedstat), ms. */
export interface SchedStat {
  readonly runningMs: number;
  readonly waitingMs: number;
}

/** Parses /proc/…/schedstat: nanoseconds on a core, nanoseconds runnable but waiting, timeslices. */
export function parseSchedStat(text: string): SchedStat | undefined {
  const [running, waiting] = text.trim().split(/\s+/).map(Number);
  if (running === undefined || waiting === undefined || !Number.isFinite(running) || !Number.isFinite(waiting)) return undefined;
  return { runningMs: running / 1e6, waitingMs: waiting / 1e6 };
}

/** The {@link SchedStat} in a /proc schedstat file; undefined off Linux, without schedstats, or once its thread is gone. */
export function schedStatAt(path: string): SchedStat | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseSchedStat(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The calling thread's {@link SchedStat}; undefined off Linux or without schedstats. */
export function threadSchedStat(): SchedStat | undefined {
  return schedStatAt('/proc/thread-self/schedstat');
}

/**
 * A process's main thread's {@link SchedStat} (/proc/<pid>/schedstat: the thread whose id is
 * the process's, not the sum of its threads); undefined off Linux, without schedstats, or
 * once the process is gone.
 */
export function mainThreadSchedStat(pid: number): SchedStat | undefined {
  return schedStatAt(`/proc/${pid}/schedstat`);
}

/** A thread's shares of a window between two readings, %: on a core, and runnable but waiting for one. */
export interface WindowShares {
  readonly runningPercent: number;
  readonly waitingForCorePercent: number;
}

/** {@link WindowShares} of a `windowMs` window from its readings at start and end; null without both. */
export function windowShares(before: SchedStat | undefined, after: SchedStat | undefined, windowMs: number): WindowShares | null {
  if (!before || !after || !(windowMs > 0)) return null;
  const pct = (ms: number) => Math.round((ms / windowMs) * 10_000) / 100;
  return { runningPercent: pct(after.runningMs - before.runningMs), waitingForCorePercent: pct(after.waitingMs - before.waitingMs) };
}
