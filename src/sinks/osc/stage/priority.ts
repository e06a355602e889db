/**
 * Raises the output stage's thread above the pipeline's work and other programs, so a step
 * runs on time when the cores are busy. Linux only (a thread has its own scheduling there):
 *
 * 1. real-time, `SCHED_FIFO` at priority {@link STAGE_RT_PRIORITY}, through util-linux's `chrt`
 *    (Node has no `sched_setscheduler`): it runs before every normal thread as soon as it wakes,
 *    and after audio servers (JACK, PipeWire: 70–95). The stage sleeps between steps, so it
 *    takes little of a core; the kernel keeps 5% of each second for normal threads anyway
 *    (`sched_rt_runtime_us`). Needs `CAP_SYS_NICE` or a real-time limit (`ulimit -r`, the
 *    `@audio - rtprio 95` line JACK users have in /etc/security/limits.d);
 * 2. else niceness {@link STAGE_NICE} (needs `CAP_SYS_NICE`): measured on a loaded 2-core
 *    Linux 6.18 VM, not enough: a bare nice −10 loop still waited up to 22–91 ms for a core,
 *    where a `SCHED_FIFO` one waited up to 2–16 ms (docs/osc.md, Timing);
 * 3. else it stays as it is.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** `SCHED_FIFO` priority of the stage's thread: any beats normal threads; audio servers sit higher. */
export const STAGE_RT_PRIORITY = 10;
/** The niceness asked for when real-time is not allowed. */
export const STAGE_NICE = -10;

/** What the stage's thread got. */
export type StagePriority =
  | { readonly policy: 'realtime'; readonly priority: number }
  | { readonly policy: 'nice'; readonly nice: number }
  | { readonly policy: 'normal' };

export interface PriorityDeps {
  readonly platform: NodeJS.Platform;
  /** The calling thread's kernel id; undefined when it cannot be known. */
  readonly threadId: () => number | undefined;
  /** Makes thread `tid` `SCHED_FIFO` at `priority`; false when not allowed or not possible. */
  readonly realtime: (tid: number, priority: number) => boolean;
  /** Sets thread `tid`'s niceness; throws when not allowed. */
  readonly nice: (tid: number, nice: number) => void;
}

export const LINUX_PRIORITY: PriorityDeps = {
  platform: process.platform,
  threadId: () => {
    try {
      const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
      return Number.isInteger(tid) ? tid : undefined;
    } catch {
      return undefined;
    }
  },
  realtime: (tid, priority) =>
    spawnSync('chrt', ['--fifo', '--pid', String(priority), String(tid)], { stdio: 'ignore', timeout: 5000 }).status === 0,
  nice: (tid, nice) => setPriority(tid, nice),
};

/** Raises the calling thread as far as allowed: real-time, else nice −10, else nothing. */
export function raiseThreadPriority(deps: PriorityDeps = LINUX_PRIORITY): { readonly tid: number | undefined; readonly priority: StagePriority } {
  if (deps.platform !== 'linux') return { tid: undefined, priority: { policy: 'normal' } };
  const tid = deps.threadId();
  if (tid === undefined) return { tid, priority: { policy: 'normal' } };
  if (deps.realtime(tid, STAGE_RT_PRIORITY)) return { tid, priority: { policy: 'realtime', priority: STAGE_RT_PRIORITY } };
  try {
    deps.nice(tid, STAGE_NICE);
    return { tid, priority: { policy: 'nice', nice: STAGE_NICE } };
  } catch {
    return { tid, priority: { policy: 'normal' } };
  }
}
