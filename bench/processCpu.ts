/**
 * CPU time of a whole process tree, for the benches that account for another program's work:
 * PostgreSQL is a postmaster and one process per connection plus its helpers (checkpointer,
 * WAL writer, autovacuum), so its cost is the postmaster's own time, its live children's, and
 * what its exited children (a closed connection's backend) left in its cutime/cstime when it
 * reaped them. Linux only (/proc/<pid>/stat): `null` elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux Node supports. */
const TICKS_PER_SECOND = 100;

/** The fields of a /proc/<pid>/stat line this module needs; times in ms. */
export interface ProcessTimes {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime: the process's own CPU time. */
  readonly ownMs: number;
  /** cutime + cstime: CPU time of its children it has waited for (they have exited). */
  readonly reapedChildrenMs: number;
}

/**
 * Reads the text of a /proc/<pid>/stat file. The command name (field 2) is in parentheses and
 * may hold spaces and parentheses, so the fields are counted from the last `)`: ppid is field
 * 4, utime, stime, cutime, cstime fields 14–17.
 */
export function parseProcessStat(text: string): ProcessTimes {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf('(')).trim());
  const rest = close < 0 ? [] : text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const field = (n: number) => Number(rest[n - 3]);
  const values = [pid, field(4), field(14), field(15), field(16), field(17)];
  if (close < 0 || values.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`not a process stat line: ${text.slice(0, 80)}`);
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return { pid, ppid: field(4), ownMs: ms(field(14) + field(15)), reapedChildrenMs: ms(field(16) + field(17)) };
}

/**
 * CPU time, ms, of `root` and every process below it among `processes`: each one's own time and
 * what its exited children left it. A child that exits between two readings moves its time
 * from "live child" to its parent's reaped time: the sum stays the same.
 */
export function treeCpuMs(processes: readonly ProcessTimes[], root: number): number {
  const children = new Map<number, ProcessTimes[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const top = processes.find((p) => p.pid === root);
  if (top === undefined) return Number.NaN;
  let total = 0;
  const seen = new Set<number>();
  const stack = [top];
  while (stack.length > 0) {
    const p = stack.pop() as ProcessTimes;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    total += p.ownMs + p.reapedChildrenMs;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return total;
}

/** Every process's times now (those that exit while being read are left out); `null` off Linux. */
export function readProcesses(): ProcessTimes[] | null {
  if (process.platform !== 'linux') return null;
  const out: ProcessTimes[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push(parseProcessStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU time so far (user + system, all its threads), ms, of process `pid`; `null` off Linux or once it is gone. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ownMs;
  } catch {
    return null;
  }
}

/** CPU time so far, ms, of the process tree under `root` (a postmaster); `null` off Linux or when it is gone. */
export function processTreeCpuMs(root: number | undefined): number | null {
  if (root === undefined) return null;
  const all = readProcesses();
  if (all === null) return null;
  const ms = treeCpuMs(all, root);
  return Number.isNaN(ms) ? null : ms;
}
