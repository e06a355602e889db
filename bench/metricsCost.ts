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
 * OSC receiver float; the cores swap every window): the same age, the same machine, the same clock for what runs each
 * second (sampling, flushes). After WARM_UP_MS, ROUNDS windows of WINDOW_MS each: the messages
 * each source emitted and each main thread's time on a core (ns, Linux). Each window gives one
 * cost, (off − on) / off of messages/s, and the extra main-thread CPU per message; the figure is
 * their median, with the machine's load over each window. Goal: ≤ 5%.
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
import { aboveNoise, costPercent, spread } from './stats.js';

const ROUNDS = Number(process.env.BENCH_METRICS_ROUNDS ?? 40);
const WINDOW_MS = Number(process.env.BENCH_METRICS_WINDOW_MS ?? 1000);
/** Both variants run this long before the first counted window (JIT, buffers). */
const WARM_UP_MS = 3000;
const GOAL_PERCENT = 5;
/** Other processes' share of all cores above which a round is not a quiet-machine figure: half a core of 2. */
const OTHERS_LIMIT_PERCENT = 25;

const CHILD = fileURLToPath(new URL('./metricsCostChild.ts', import.meta.url));

/** A variant's process, stopped or running. */
class Side {
  readonly #child: IpcChild<ToChild, FromChild>;

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

  /** Asks it to stop; kills it if it has not exited within `ms`. */
  stop(ms = 10_000): Promise<void> {
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

export async function metricsCost(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-metrics-'));
  await chmod(root, 0o711);
  const source = await readDefaultPipeline();
  const rounds: { off: Window; on: Window; costPercent: number; cpuCostPercent: number; load: WindowLoad }[] = [];
  const sides: Side[] = [];
  let storage: BenchStorage | undefined;
  let receiver: Receiver | undefined;
  const pin = canPin();
  try {
    storage = await startBenchStorage(root);
    receiver = await startReceiver();
    const start = async (metrics: boolean, seed: number, core: number) => {
      const file = join(root, `metrics-${metrics}.yaml`);
      const target = `127.0.0.1:${(receiver as Receiver).port}`;
      await writeFile(file, defaultGraphText(source, { rate: 'max', seed, oscTarget: target, metrics, postgres: 'off' }));
      const side = new Side(file, (storage as BenchStorage).resources.redis?.url as string, pin ? core : undefined);
      sides.push(side);
      return side;
    };
    // Fresh ids for each (seeds of their own); each on a core of its own.
    const off = await start(false, 3000, 0);
    const on = await start(true, 3001, 1);
    await Promise.all([off.ready(), on.ready()]);
    await sleep(WARM_UP_MS);
    for (let i = 0; i < ROUNDS; i++) {
      // The cores swap every window: what else the machine runs on one of them (interrupts,
      // Redis) falls on both variants alike.
      if (pin) {
        off.pin(i % 2);
        on.pin(1 - (i % 2));
      }
      const load = LoadSampler.start();
      const cpuBefore = [off.processCpuMs(), on.processCpuMs()];
      const started = performance.now();
      const before = await Promise.all([off.mark(), on.mark()]);
      await sleep(WINDOW_MS);
      const after = await Promise.all([off.mark(), on.mark()]);
      const cpuAfter = [off.processCpuMs(), on.processCpuMs()];
      const sidesCpu =
        cpuBefore.includes(null) || cpuAfter.includes(null)
          ? null
          : (cpuAfter[0] as number) - (cpuBefore[0] as number) + (cpuAfter[1] as number) - (cpuBefore[1] as number);
      const o = windowOf(before[0], after[0]);
      const n = windowOf(before[1], after[1]);
      rounds.push({
        off: o,
        on: n,
        costPercent: costPercent(o.messagesPerSec, n.messagesPerSec),
        cpuCostPercent: -costPercent(o.cpuMicrosPerMessage, n.cpuMicrosPerMessage),
        load: windowLoad(load.finish(), sidesCpu, performance.now() - started),
      });
    }
  } finally {
    await Promise.all(sides.map((side) => side.stop()));
    await receiver?.exit();
    await storage?.stop();
    await rm(root, { recursive: true, force: true });
  }
  const cost = spread(rounds.map((r) => r.costPercent));
  const cpuCost = spread(rounds.map((r) => r.cpuCostPercent));
  const quiet = rounds.filter((r) => !r.load.contaminated);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const figures = {
    method:
      'pipeline.yaml without the postgres sink, every other sink on (Redis private, OSC to a listening receiver), simulate at rate max; metrics on = its sample_metrics node and metrics sink, off = without them; ' +
      `both variants at the same time, each in a process of its own${pin ? ' pinned to a core of its own (taskset), the cores swapped every window' : ' (not pinned: no taskset or fewer than 2 usable cores)'}; ${WARM_UP_MS} ms of warm-up, then windows of ${WINDOW_MS} ms; ` +
      'cost per window = (off − on) / off of messages/s; cpuCost = extra main-thread time on a core per message (Linux; process CPU elsewhere), in %; load per window',
    windowMs: WINDOW_MS,
    windows: rounds.length,
    costPercent: cost,
    cpuCostPercent: cpuCost,
    // The windows during which other processes used at most half a core.
    quietWindows: quiet.length,
    quietWindowsCostPercent: quiet.length > 0 ? spread(quiet.map((r) => r.costPercent)) : null,
    costAboveNoise: aboveNoise(cost),
    clearOfGoal: Math.abs(cost.median - GOAL_PERCENT) > cost.iqr / 2,
    goal: `metrics cost ≤ ${GOAL_PERCENT}% of messages/s (median of the windows), postgres sink off`,
    pass: cost.median <= GOAL_PERCENT,
    perWindow: rounds.map((r) => ({
      offPerSec: Math.round(r.off.messagesPerSec),
      onPerSec: Math.round(r.on.messagesPerSec),
      cpuMicrosPerMessage: { off: r3(r.off.cpuMicrosPerMessage), on: r3(r.on.cpuMicrosPerMessage) },
      costPercent: r.costPercent,
      cpuCostPercent: r.cpuCostPercent,
      load: r.load,
    })),
  };
  await writeResult('metrics-cost', figures);
  return figures;
}
