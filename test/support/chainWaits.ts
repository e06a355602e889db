/**
 * How long the machine kept a chain of threads from a core, for timing tests on a shared
 * machine: Linux's schedstat gives each thread's cumulative time runnable but waiting for a
 * core, /proc/stat the time the hypervisor took the cores (steal). Sampled often, the growth
 * of their sum between two instants bounds how late the machine could have made the chain
 * then; on an idle machine it is about 0. Off Linux every sample is 0 (nothing is allowed).
 */
import { readFileSync } from 'node:fs';
import { cpuTimes, raisedThreads, schedStatAt } from '../../bench/controlTimingMachine.js';

interface Sample {
  /** Epoch ms. */
  readonly at: number;
  /** The chain's cumulative wait plus steal, ms. */
  readonly ms: number;
}

/** Online CPUs as /proc/stat counts them (its `cpuN` lines): what its steal is summed over. */
function statCpus(): number {
  try {
    return Math.max(1, readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length);
  } catch {
    return 1;
  }
}

/**
 * Reads a chain's cumulative wait plus steal (ms): this process's raised threads (the OSC
 * output stage's; none when it could not be raised, without `CAP_SYS_NICE`: the other threads
 * of a test process are not the chain and would only loosen it) and the main threads of `pids`.
 * Undefined off Linux.
 */
export function chainReader(pids: readonly (number | undefined)[]): (() => number) | undefined {
  if (process.platform !== 'linux') return undefined;
  const files = [
    ...(raisedThreads() ?? []).map((t) => `/proc/self/task/${t.tid}/schedstat`),
    ...pids.flatMap((pid) => (pid === undefined ? [] : [`/proc/${pid}/schedstat`])),
  ];
  const cores = statCpus();
  return () => {
    let ms = 0;
    // A thread without schedstats (or ended) adds nothing.
    for (const file of files) ms += schedStatAt(file)?.waitingMs ?? 0;
    // /proc/stat counts in USER_HZ (100 per second), summed over the cores.
    return ms + ((cpuTimes()?.steal ?? 0) * 10) / cores;
  };
}

export class ChainWaits {
  readonly #read: (() => number) | undefined;
  readonly #now: () => number;
  readonly #samples: Sample[] = [];

  /** `read`: a {@link chainReader}; `now`: epoch ms, by the wall clock receivers such as oscdump stamp with. */
  constructor(read: (() => number) | undefined, now = () => Date.now()) {
    this.#read = read;
    this.#now = now;
  }

  /** Takes a sample now. */
  sample(): void {
    if (this.#read) this.#samples.push({ at: this.#now(), ms: this.#read() });
  }

  /** The growth between the last sample at or before `fromMs` and the first at or after `toMs` (epoch ms); 0 without both. */
  heldMs(fromMs: number, toMs: number): number {
    let before: Sample | undefined;
    let after: Sample | undefined;
    for (const s of this.#samples) {
      if (s.at <= fromMs) before = s;
      if (s.at >= toMs) {
        after = s;
        break;
      }
    }
    return before && after ? after.ms - before.ms : 0;
  }
}
