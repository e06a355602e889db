/**
 * The machine's load over a bench run, so a loaded run is visible as such: the load average
 * (1 and 5 min) at start and end, the CPU share the hypervisor stole and the share the whole
 * machine was busy (from /proc/stat, Linux only), the runnable processes at start and end, and
 * (`npm run bench`) how busy the machine was in the two seconds before the bench began.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Cumulative CPU ticks of the `cpu` line of /proc/stat (all cores). */
export interface CpuTicks {
  readonly total: number;
  readonly idle: number;
  readonly steal: number;
}

export interface ProcStat {
  readonly cpu: CpuTicks;
  /** Processes runnable now (`procs_running`). */
  readonly procsRunning: number;
}

/**
 * Reads /proc/stat's text: `cpu user nice system idle iowait irq softirq steal guest guest_nice`.
 * Guest time is already inside user time, so it is not added to the total again.
 */
export function parseProcStat(text: string): ProcStat {
  const cpuLine = text.split('\n').find((line) => line.startsWith('cpu '));
  if (cpuLine === undefined) throw new Error('no cpu line in /proc/stat');
  const n = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number) => n[i] ?? 0;
  const total = at(0) + at(1) + at(2) + at(3) + at(4) + at(5) + at(6) + at(7);
  const running = /^procs_running\s+(\d+)/m.exec(text);
  return {
    cpu: { total, idle: at(3) + at(4), steal: at(7) },
    procsRunning: running ? Number(running[1]) : Number.NaN,
  };
}

/** Percent of the CPU time between two readings that was stolen, and that was busy (not idle). */
export function cpuShares(before: CpuTicks, after: CpuTicks): { stealPercent: number; busyPercent: number } {
  const total = after.total - before.total;
  if (!(total > 0)) return { stealPercent: 0, busyPercent: 0 };
  const pct = (ticks: number) => Math.round((ticks / total) * 1000) / 10;
  return { stealPercent: pct(after.steal - before.steal), busyPercent: pct(total - (after.idle - before.idle)) };
}

/** Steal above this share of CPU time means the hypervisor took enough to move the figures. */
export const STEAL_LIMIT_PERCENT = 5;

export interface LoadRecord {
  readonly cores: number;
  /** 1- and 5-minute load averages when the run started and when it ended. */
  readonly loadavgStart: readonly [number, number];
  readonly loadavgEnd: readonly [number, number];
  /** Over the run, all cores; null where /proc/stat does not exist (macOS, Windows). */
  readonly stealPercent: number | null;
  readonly busyPercent: number | null;
  readonly procsRunningStart: number | null;
  readonly procsRunningEnd: number | null;
  /**
   * Share of all cores busy in the {@link SETTLE_MS} before the run began (`npm run bench`
   * samples it; null for a sampler started without it, and where /proc/stat does not exist).
   */
  readonly busyBeforePercent: number | null;
  /** True when the load says other work shared the machine enough to move the figures. */
  readonly contaminated: boolean;
  /** Why it is contaminated (empty when it is not). */
  readonly reasons: readonly string[];
}

/** How long `npm run bench` watches the machine before a bench begins. */
export const SETTLE_MS = 2000;
/** Busier than this before a bench began: someone else was working. */
export const BUSY_BEFORE_LIMIT_PERCENT = 25;

/**
 * The rule: contaminated when the machine was more than {@link BUSY_BEFORE_LIMIT_PERCENT}%
 * busy in the two seconds before the run began (someone else was working: the run's own
 * processes had not started), or, where that was not sampled, when the 1-minute load average
 * at start was above half the cores; and when more than {@link STEAL_LIMIT_PERCENT}% of the
 * CPU time was stolen during the run. The load average lags by a minute: right after a bench
 * that kept both cores busy it is still high on a machine now idle, which the busy share sees.
 */
export function judgeLoad(
  cores: number,
  loadavg1Start: number,
  stealPercent: number | null,
  busyBeforePercent: number | null = null,
): string[] {
  const reasons: string[] = [];
  if (busyBeforePercent !== null) {
    if (busyBeforePercent > BUSY_BEFORE_LIMIT_PERCENT) {
      reasons.push(`the machine was ${busyBeforePercent}% busy before the run, above ${BUSY_BEFORE_LIMIT_PERCENT}%`);
    }
  } else if (loadavg1Start > cores / 2) reasons.push(`load average ${loadavg1Start} at start, above half of ${cores} cores`);
  if (stealPercent !== null && stealPercent > STEAL_LIMIT_PERCENT) reasons.push(`${stealPercent}% of CPU time stolen`);
  return reasons;
}

function readProcStat(): ProcStat | null {
  if (process.platform !== 'linux') return null;
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

const two = (values: readonly number[]): [number, number] => [
  Math.round((values[0] ?? 0) * 100) / 100,
  Math.round((values[1] ?? 0) * 100) / 100,
];

/** Started at the beginning of a run; {@link LoadSampler.finish} says what the run shared the machine with. */
export class LoadSampler {
  readonly #loadavg: [number, number];
  readonly #stat: ProcStat | null;
  readonly #busyBefore: number | null;

  private constructor(busyBefore: number | null) {
    this.#loadavg = two(os.loadavg());
    this.#stat = readProcStat();
    this.#busyBefore = busyBefore;
  }

  static start(): LoadSampler {
    return new LoadSampler(null);
  }

  /**
   * Watches the machine in windows of `windowMs` until one is at most `limitPercent` busy (or
   * `maxWaitMs` has passed), then starts, with that last window as how busy it was before the
   * run: a trial that follows another bench's (or its own previous trial's) work starts once
   * PostgreSQL's checkpoint and the other processes have settled. `waitedMs` says how long it
   * waited (null off Linux, where it does not wait).
   */
  static async whenQuiet(options: QuietOptions = {}): Promise<{ sampler: LoadSampler; waitedMs: number | null }> {
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const quiet = await waitForQuiet(readProcStat, sleep, options);
    return { sampler: new LoadSampler(quiet.busyPercent), waitedMs: quiet.waitedMs };
  }

  /** Watches the machine for `ms` first (how busy it is before the run), then starts. */
  static async afterWatching(ms: number = SETTLE_MS): Promise<LoadSampler> {
    const before = readProcStat();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = readProcStat();
    return new LoadSampler(before && after ? cpuShares(before.cpu, after.cpu).busyPercent : null);
  }

  finish(): LoadRecord {
    const end = readProcStat();
    const cores = os.availableParallelism();
    const shares = this.#stat && end ? cpuShares(this.#stat.cpu, end.cpu) : null;
    const reasons = judgeLoad(cores, this.#loadavg[0], shares?.stealPercent ?? null, this.#busyBefore);
    return {
      cores,
      loadavgStart: this.#loadavg,
      loadavgEnd: two(os.loadavg()),
      stealPercent: shares?.stealPercent ?? null,
      busyPercent: shares?.busyPercent ?? null,
      procsRunningStart: this.#stat?.procsRunning ?? null,
      procsRunningEnd: end?.procsRunning ?? null,
      busyBeforePercent: this.#busyBefore,
      contaminated: reasons.length > 0,
      reasons,
    };
  }
}

export interface QuietOptions {
  /** Busy share of all cores at or below which the machine counts as quiet. Default {@link BUSY_BEFORE_LIMIT_PERCENT}. */
  readonly limitPercent?: number;
  /** One watch, ms. Default {@link SETTLE_MS}. */
  readonly windowMs?: number;
  /** Gives up waiting after this long, ms (the run is then judged contaminated). Default 30 s. */
  readonly maxWaitMs?: number;
}

/**
 * Reads the machine's CPU ticks every `windowMs` until a window was at most `limitPercent`
 * busy or `maxWaitMs` has passed; returns the last window's busy share and the time waited
 * (both null where `read` gives nothing: not Linux).
 */
export async function waitForQuiet(
  read: () => ProcStat | null,
  sleep: (ms: number) => Promise<void>,
  options: QuietOptions = {},
): Promise<{ busyPercent: number | null; waitedMs: number | null }> {
  const limit = options.limitPercent ?? BUSY_BEFORE_LIMIT_PERCENT;
  const windowMs = options.windowMs ?? SETTLE_MS;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  let before = read();
  if (before === null) return { busyPercent: null, waitedMs: null };
  let waited = 0;
  for (;;) {
    await sleep(windowMs);
    waited += windowMs;
    const after = read();
    if (after === null) return { busyPercent: null, waitedMs: null };
    const busy = cpuShares(before.cpu, after.cpu).busyPercent;
    if (busy <= limit || waited >= maxWaitMs) return { busyPercent: busy, waitedMs: waited };
    before = after;
  }
}
