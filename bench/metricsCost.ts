/**
 * `npm run bench metrics-cost` (issue 21): what metrics cost the default graph where it is
 * hardest to hide, with the postgres sink off (PostgreSQL is otherwise the bottleneck and the
 * cost disappears behind it). pipeline.yaml with every other sink on, simulate at `rate: max`,
 * metrics on (its `sample_metrics` node and `metrics` sink as they are) against off (without
 * them, and without their ports in other sinks' inputs: bench/defaultGraph.ts). Both keep what
 * the runtime does for every node (its counters, sampled timings, the sinks' latency samples).
 *
 * Two runs of the same graph one after the other differ by more than the cost (JIT decisions,
 * the dedupe window filling, the machine), and a graph gets slower as it runs. So the two
 * variants run side by side, at the same time, each in a process of its own
 * (bench/metricsCostChild.ts) and, on Linux, on a core of its own (`taskset`; Redis and the
 * OSC receiver float; the cores swap each time a pair comes round): the same age, the same machine, the same clock for what runs each
 * second (sampling, flushes). After WARM_UP_MS, windows of WINDOW_MS each: the messages each
 * source emitted and each main thread's time on a core (ns, Linux). Each window gives one cost,
 * (off − on) / off of messages/s, and the extra main-thread CPU per message; the figure is their
 * median, with the machine's load over each window. Goal: ≤ 5%.
 *
 * Where sides can be pinned and paused (Linux), a third variant gives the floor in the same run:
 * the stand-in, a `filter` in the `sample_metrics` node's place, on its inputs, dropping every
 * event. It costs what any node that reads those events costs (the hop to it, its counters, one
 * call per event), however little it does; on against the stand-in is what metrics' own work
 * costs beyond that. Three processes on two cores cannot share them fairly, so two run at a time
 * (the third paused with SIGSTOP), each pair one window in three: all three the same age.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchStorage, defaultGraphText, readDefaultPipeline, startBenchStorage } from './defaultGraph.js';
import { LoadSampler, type LoadRecord, STEAL_LIMIT_PERCENT } from './load.js';
import { IpcChild } from './ipcChild.js';
import type { ChildMark, FromChild, ToChild } from './metricsCostChild.js';
import { type Receiver, startReceiver } from './oscLatency.js';
import { processCpuMs } from './processCpu.js';
import { writeResult } from './results.js';
import { aboveNoise, costPercent, median, spread } from './stats.js';

/** Windows per pair of variants (`BENCH_METRICS_ROUNDS`: the windows in all). */
const PER_PAIR = 20;
const WINDOW_MS = Number(process.env.BENCH_METRICS_WINDOW_MS ?? 1000);
/** Both variants run this long before the first counted window (JIT, buffers). */
const WARM_UP_MS = 3000;
const GOAL_PERCENT = 5;
/** A side resumed from a pause runs this long before its window (its timers catch up). */
const RESUME_SETTLE_MS = 300;
/** Other processes' share of all cores above which a round is not a quiet-machine figure: half a core of 2. */
const OTHERS_LIMIT_PERCENT = 25;

const CHILD = fileURLToPath(new URL('./metricsCostChild.ts', import.meta.url));

/** A variant's process, stopped or running. */
class Side {
  readonly #child: IpcChild<ToChild, FromChild>;
  #paused = false;

  get paused(): boolean {
    return this.#paused;
  }

  /** Starts a side; `core`: the CPU it is pinned to (Linux, `taskset`); undefined: wherever the OS puts it. */
  constructor(file: string, redisUrl: string, core: number | undefined) {
    const node = [process.execPath, '--import', 'tsx', CHILD, file, redisUrl];
    const [command, ...args] = core === undefined ? node : ['taskset', '--cpu-list', String(core), ...node];
    this.#child = new IpcChild(command as string, args, 'metrics-cost: a side');
  }

  /** Resolves once the side's graph runs. */
  async ready(): Promise<void> {
    const m = await this.#child.next();
    if (m.t !== 'ready') throw new Error(`metrics-cost: expected ready, got ${m.t}`);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Moves every thread of it to `core` (Linux, `taskset`). */
  pin(core: number): void {
    const done = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(core), String(this.pid)], { stdio: 'ignore' });
    if (done.status !== 0) throw new Error(`metrics-cost: taskset could not pin process ${this.pid} to core ${core}`);
  }

  /** Process CPU time so far (all threads), ms; null off Linux. */
  processCpuMs(): number | null {
    return processCpuMs(this.pid);
  }

  async mark(): Promise<ChildMark> {
    this.#child.send({ t: 'mark' });
    const m = await this.#child.next();
    if (m.t !== 'mark') throw new Error(`metrics-cost: expected a mark, got ${m.t}`);
    return m;
  }

  /** Stops it where it is (SIGSTOP, every thread): it uses no CPU until {@link resume}. Not on Windows. */
  pause(): void {
    if (this.#paused) return;
    process.kill(this.pid, 'SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    process.kill(this.pid, 'SIGCONT');
    this.#paused = false;
  }

  /** Asks it to stop; kills it if it has not exited within `ms`. */
  stop(ms = 10_000): Promise<void> {
    this.resume();
    return this.#child.stop({ t: 'stop' }, ms);
  }
}

/** Whether `taskset` runs here and cores 0 and 1 may be used (Linux). */
function canPin(): boolean {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false;
  const probe = spawnSync('taskset', ['--cpu-list', '0,1', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

interface Window {
  readonly messagesPerSec: number;
  /** Main thread's time on a core per message, µs (Linux; the process's CPU elsewhere). */
  readonly cpuMicrosPerMessage: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function windowOf(start: ChildMark, end: ChildMark): Window {
  const emitted = end.emitted - start.emitted;
  if (emitted <= 0) throw new Error('metrics-cost: a source emitted nothing in a window');
  return {
    messagesPerSec: (emitted / (end.at - start.at)) * 1000,
    cpuMicrosPerMessage: ((end.cpuMs - start.cpuMs) * 1000) / emitted,
  };
}

interface WindowLoad {
  readonly busyPercent: number | null;
  readonly stealPercent: number | null;
  /** What processes other than the two sides used over the round, % of all cores. */
  readonly othersPercent: number | null;
  readonly contaminated: boolean;
}

export function windowLoad(load: LoadRecord, sidesCpuMs: number | null, wallMs: number): WindowLoad {
  const ownPercent = sidesCpuMs === null ? null : (sidesCpuMs / (wallMs * load.cores)) * 100;
  const othersPercent =
    load.busyPercent === null || ownPercent === null ? null : Math.round(Math.max(0, load.busyPercent - ownPercent) * 10) / 10;
  return {
    busyPercent: load.busyPercent,
    stealPercent: load.stealPercent,
    othersPercent,
    contaminated: (othersPercent ?? 0) > OTHERS_LIMIT_PERCENT || (load.stealPercent ?? 0) > STEAL_LIMIT_PERCENT,
  };
}

/** The three variants: metrics as in pipeline.yaml, without them, and a stand-in node in their place. */
type Variant = 'off' | 'on' | 'standIn';

/**
 * Which two variants run in window `i` (the third is paused): with the stand-in, each pair one
 * window in three, so all three are the same age; without it, always off and on.
 */
export function pairOf(i: number, standIn: boolean): readonly [Variant, Variant] {
  if (!standIn) return ['off', 'on'];
  const pairs = [
    ['off', 'on'],
    ['on', 'standIn'],
    ['standIn', 'off'],
  ] as const;
  return pairs[i % 3] as readonly [Variant, Variant];
}

export interface Round {
  readonly pair: readonly [Variant, Variant];
  readonly windows: readonly [Window, Window];
  readonly load: WindowLoad;
}

/** Cost of `b` against `a` in a round of that pair, in messages/s and in main-thread CPU per message, %. */
export function pairCosts(rounds: readonly Round[], a: Variant, b: Variant): { perSec: number[]; cpu: number[] } {
  const perSec: number[] = [];
  const cpu: number[] = [];
  for (const r of rounds) {
    const ia = r.pair.indexOf(a);
    const ib = r.pair.indexOf(b);
    if (ia < 0 || ib < 0) continue;
    const wa = r.windows[ia] as Window;
    const wb = r.windows[ib] as Window;
    perSec.push(costPercent(wa.messagesPerSec, wb.messagesPerSec));
    cpu.push(-costPercent(wa.cpuMicrosPerMessage, wb.cpuMicrosPerMessage));
  }
  return { perSec, cpu };
}

export async function metricsCost(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-metrics-'));
  await chmod(root, 0o711);
  const source = await readDefaultPipeline();
  const rounds: Round[] = [];
  const sides = new Map<Variant, Side>();
  let storage: BenchStorage | undefined;
  let receiver: Receiver | undefined;
  const pin = canPin();
  // Pausing a side needs SIGSTOP, and a pair that shares the machine fairly needs a core each.
  const standIn = pin;
  const windows = Number(process.env.BENCH_METRICS_ROUNDS ?? (standIn ? 3 * PER_PAIR : PER_PAIR));
  // A side paused when the bench dies would stay stopped for good (even a Ctrl-C waits for its
  // SIGCONT): resume them all on the way out, then let the signal end the bench as it would have.
  const release = (): void => {
    for (const side of sides.values()) side.resume();
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    release();
    process.kill(process.pid, signal);
  };
  process.once('exit', release);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    storage = await startBenchStorage(root);
    receiver = await startReceiver();
    const start = async (variant: Variant, seed: number, core: number) => {
      const file = join(root, `metrics-${variant}.yaml`);
      const target = `127.0.0.1:${(receiver as Receiver).port}`;
      const metrics = variant === 'on' ? true : variant === 'off' ? false : 'stand_in';
      await writeFile(file, defaultGraphText(source, { rate: 'max', seed, oscTarget: target, metrics, postgres: 'off' }));
      const side = new Side(file, (storage as BenchStorage).resources.redis?.url as string, pin ? core : undefined);
      sides.set(variant, side);
      return side;
    };
    // Fresh ids for each (seeds of their own); each on a core of its own.
    const started = [await start('off', 3000, 0), await start('on', 3001, 1)];
    if (standIn) started.push(await start('standIn', 3002, 0));
    await Promise.all(started.map((side) => side.ready()));
    await sleep(WARM_UP_MS);
    for (let i = 0; i < windows; i++) {
      const pair = pairOf(i, standIn);
      const [a, b] = pair.map((v) => sides.get(v) as Side) as [Side, Side];
      for (const [variant, side] of sides) if (!pair.includes(variant)) side.pause();
      // The cores swap every time a pair comes round again: what else the machine runs on one of
      // them (interrupts, Redis) falls on both variants alike.
      if (pin) {
        const turn = Math.floor(i / (standIn ? 3 : 1)) % 2;
        a.pin(turn);
        b.pin(1 - turn);
      }
      const paused = a.paused || b.paused;
      a.resume();
      b.resume();
      if (paused) await sleep(RESUME_SETTLE_MS);
      const load = LoadSampler.start();
      const cpuBefore = [a.processCpuMs(), b.processCpuMs()];
      const begun = performance.now();
      const before = await Promise.all([a.mark(), b.mark()]);
      await sleep(WINDOW_MS);
      const after = await Promise.all([a.mark(), b.mark()]);
      const cpuAfter = [a.processCpuMs(), b.processCpuMs()];
      const sidesCpu =
        cpuBefore.includes(null) || cpuAfter.includes(null)
          ? null
          : (cpuAfter[0] as number) - (cpuBefore[0] as number) + (cpuAfter[1] as number) - (cpuBefore[1] as number);
      rounds.push({
        pair,
        windows: [windowOf(before[0], after[0]), windowOf(before[1], after[1])],
        load: windowLoad(load.finish(), sidesCpu, performance.now() - begun),
      });
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await Promise.all([...sides.values()].map((side) => side.stop()));
    process.off('exit', release);
    await receiver?.exit();
    await storage?.stop();
    await rm(root, { recursive: true, force: true });
  }
  const metrics = pairCosts(rounds, 'off', 'on');
  const cost = spread(metrics.perSec);
  const cpuCost = spread(metrics.cpu);
  const quiet = rounds.filter((r) => !r.load.contaminated);
  const quietCost = pairCosts(quiet, 'off', 'on').perSec;
  const standInCost = standIn ? pairCosts(rounds, 'off', 'standIn') : undefined;
  const beyondStandIn = standIn ? pairCosts(rounds, 'standIn', 'on') : undefined;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const figures = {
    method:
      'pipeline.yaml without the postgres sink, every other sink on (Redis private, OSC to a listening receiver), simulate at rate max; metrics on = its sample_metrics node and metrics sink, off = without them; ' +
      (standIn
        ? 'stand-in = off with a filter in the sample_metrics node\'s place, on its inputs, dropping every event (what any node reading those events costs); the three in processes of their own, two at a time, each pinned to a core of its own (taskset), the third paused (SIGSTOP), each pair one window in three (the same age), the cores swapped each time a pair comes round; '
        : `both variants at the same time, each in a process of its own${pin ? ' pinned to a core of its own (taskset), the cores swapped every window' : ' (not pinned: no taskset or fewer than 2 usable cores)'}; `) +
      `${WARM_UP_MS} ms of warm-up, then windows of ${WINDOW_MS} ms${standIn ? ` (${RESUME_SETTLE_MS} ms after a paused side resumes)` : ''}; ` +
      'cost per window = (baseline − measured) / baseline of messages/s; cpuCost = extra main-thread time on a core per message (Linux; process CPU elsewhere), in %; load per window',
    windowMs: WINDOW_MS,
    windows: rounds.length,
    costPercent: cost,
    cpuCostPercent: cpuCost,
    // The windows of on against off during which other processes used at most half a core.
    quietWindows: quietCost.length,
    quietWindowsCostPercent: quietCost.length > 0 ? spread(quietCost) : null,
    costAboveNoise: aboveNoise(cost),
    clearOfGoal: Math.abs(cost.median - GOAL_PERCENT) > cost.iqr / 2,
    // The floor in the same run: what a node that reads the same events and does nothing costs.
    standIn: standInCost
      ? {
          costPercent: spread(standInCost.perSec),
          cpuCostPercent: spread(standInCost.cpu),
          ceilingPasses: median(standInCost.perSec) <= GOAL_PERCENT,
          metricsBeyondStandIn: { costPercent: spread(beyondStandIn?.perSec ?? []), cpuCostPercent: spread(beyondStandIn?.cpu ?? []) },
        }
      : null,
    goal: `metrics cost ≤ ${GOAL_PERCENT}% of messages/s (median of the windows), postgres sink off`,
    pass: cost.median <= GOAL_PERCENT,
    perWindow: rounds.map((r) => ({
      pair: r.pair,
      perSec: r.windows.map((w) => Math.round(w.messagesPerSec)),
      // The second of the pair against the first.
      costPercent: costPercent(r.windows[0].messagesPerSec, r.windows[1].messagesPerSec),
      cpuMicrosPerMessage: r.windows.map((w) => r3(w.cpuMicrosPerMessage)),
      load: r.load,
    })),
  };
  await writeResult('metrics-cost', figures);
  return figures;
}
