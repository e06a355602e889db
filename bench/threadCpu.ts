/**
 * CPU time of this process's main thread alone, for the benches that compare two variants of the
 * same graph: `process.cpuUsage()` also counts the osc stage's worker thread, the postgres
 * writer's and V8's helper threads, and a variant that makes the main thread slower can make
 * those do less. Linux only (/proc/self/task/<pid>/stat; the main thread's id is the pid):
 * `null` elsewhere. Node 20 has no per-thread CPU call of its own (`process.threadCpuUsage` is
 * Node 23.9+).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux Node supports. */
const TICKS_PER_SECOND = 100;

/**
 * User plus system time, ms, from the text of a /proc/<pid>/task/<tid>/stat file. The command
 * name (field 2) is in parentheses and may hold spaces and parentheses, so the fields are
 * counted from the last `)`: utime and stime are fields 14 and 15.
 */
export function parseTaskStat(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a task stat line: ${text.slice(0, 80)}`);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The main thread's CPU time so far, ms (10 ms resolution); `null` off Linux. */
export function mainThreadCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return parseTaskStat(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
