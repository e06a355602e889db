/**
 * `npm run bench metrics-cost` (issue 21): what metrics cost the default graph where it is
 * hardest to hide, with the postgres sink off (PostgreSQL is otherwise the bottleneck and the
 * cost disappears behind it). pipeline.yaml with every other sink on, simulate at `rate: max`,
 * metrics on (its `sample_metrics` nodes and `metrics` sink as they are) against off (without
 * them, and without their ports in other sinks' inputs: bench/defaultGraph.ts). Both keep what
 * the runtime does for every node (its counters, sampled timings, the sinks' latency samples).
 * A run: start, 1 s of warm-up, then the messages the source emitted in a WINDOW-second window,
 * the process's CPU time and the main thread's alone (Linux) per message. Pairs alternate their
 * order (off on, on off, …), each run with a fresh seed (fresh message ids); each pair gives one
 * cost, (off − on) / off of messages/s, with the machine's load over the pair. Pairs go on
 * (from 6 up to 16) until the median cost is clear of the goal by more than half the costs'
 * interquartile range. Goal: ≤ 5%.
 *
 * Messages/s at `rate: max` move with whatever else runs on the machine; the main thread's CPU
 * per message moves much less (its time off the CPU is not counted), so `mainCpuCostPercent`
 * is the figure to read beside a run whose `load` says it was shared.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchStorage, defaultGraphText, readDefaultPipeline, startBenchStorage, startGraph } from './defaultGraph.js';
import { type Receiver, startReceiver } from './oscLatency.js';
import { LoadSampler, type LoadRecord, STEAL_LIMIT_PERCENT } from './load.js';
import { writeResult } from './results.js';
import { aboveNoise, costPercent, spread } from './stats.js';
import { mainThreadCpuMs } from './threadCpu.js';

const WINDOW_SECONDS = Number(process.env.BENCH_METRICS_WINDOW_SECONDS ?? 3);
const MIN_PAIRS = Number(process.env.BENCH_METRICS_MIN_PAIRS ?? 6);
const MAX_PAIRS = Number(process.env.BENCH_METRICS_MAX_PAIRS ?? 16);
const GOAL_PERCENT = 5;

interface Run {
  readonly messagesPerSec: number;
  readonly cpuMicrosPerMessage: number;
  /** Share of one core this process used in the window. */
  readonly cpuPercent: number;
  /** Main-thread CPU per message, µs (Linux; null elsewhere): what other threads and other processes do is not in it. */
  readonly mainCpuMicrosPerMessage: number | null;
  /** Time a congested sink held the source back in the window. */
  readonly pausedMs: number;
  /** The seed of its `simulate`: its message ids are `sim-<seed>-<n>`. */
  readonly seed: number;
}

async function run(
  metrics: boolean,
  env: { root: string; source: string; storage: BenchStorage; receiver: Receiver; seed: number },
): Promise<Run> {
  const text = defaultGraphText(env.source, {
    rate: 'max',
    seed: env.seed,
    oscTarget: `127.0.0.1:${env.receiver.port}`,
    metrics,
    postgres: 'off',
  });
  const running = await startGraph(text, { root: env.root, name: `metrics-${metrics}`, storage: env.storage });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const demoBefore = running.snapshot().get('demo');
  const before = demoBefore?.eventsOut[''] ?? 0;
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000));
  const demoAfter = running.snapshot().get('demo');
  const emitted = (demoAfter?.eventsOut[''] ?? 0) - before;
  const pausedMs = (demoAfter?.flow?.pausedMs ?? 0) - (demoBefore?.flow?.pausedMs ?? 0);
  const used = process.cpuUsage(cpu);
  const mainCpuAfter = mainThreadCpuMs();
  const ms = performance.now() - started;
  await running.stop();
  if (emitted === 0) throw new Error('metrics-cost: the source emitted nothing in the window');
  return {
    messagesPerSec: (emitted / ms) * 1000,
    cpuMicrosPerMessage: (used.user + used.system) / emitted,
    cpuPercent: Math.round(((used.user + used.system) / 1000 / ms) * 100),
    mainCpuMicrosPerMessage: mainCpu === null || mainCpuAfter === null ? null : ((mainCpuAfter - mainCpu) * 1000) / emitted,
    pausedMs: Math.round(pausedMs),
    seed: env.seed,
  };
}

/** Other processes' share of all cores above which a pair is not a quiet-machine figure: half a core of 2. */
const OTHERS_LIMIT_PERCENT = 25;

interface PairLoad {
  readonly loadavg1: readonly [number, number];
  readonly busyPercent: number | null;
  readonly stealPercent: number | null;
  /**
   * What processes other than this one used over the pair, % of all cores: the machine's busy
   * share less this process's CPU (redis-server and the OSC receiver, the bench's own helpers,
   * are in it: a few %). The load average cannot say this per pair: it counts the bench itself.
   */
  readonly othersPercent: number | null;
  readonly contaminated: boolean;
}

function pairLoad(load: LoadRecord, own: NodeJS.CpuUsage, wallMs: number): PairLoad {
  const ownPercent = ((own.user + own.system) / 1000 / (wallMs * load.cores)) * 100;
  const othersPercent = load.busyPercent === null ? null : Math.round(Math.max(0, load.busyPercent - ownPercent) * 10) / 10;
  return {
    loadavg1: [load.loadavgStart[0], load.loadavgEnd[0]],
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
  const storage = await startBenchStorage(root);
  const receiver = await startReceiver();
  let seed = 3000;
  const env = () => ({ root, source, storage, receiver, seed: seed++ });
  const pairs: {
    order: string;
    off: Run;
    on: Run;
    costPercent: number;
    cpuCostPercent: number;
    mainCpuCostPercent: number | null;
    load: PairLoad;
  }[] = [];
  try {
    await run(false, env()); // warm-up (JIT), not counted
    await run(true, env());
    for (let i = 0; i < MAX_PAIRS; i++) {
      const onFirst = i % 2 === 1;
      const load = LoadSampler.start();
      const ownCpu = process.cpuUsage();
      const pairStarted = performance.now();
      const first = await run(onFirst, env());
      const second = await run(!onFirst, env());
      const [off, on] = onFirst ? [second, first] : [first, second];
      pairs.push({
        order: onFirst ? 'on → off' : 'off → on',
        off,
        on,
        costPercent: costPercent(off.messagesPerSec, on.messagesPerSec),
        cpuCostPercent: -costPercent(off.cpuMicrosPerMessage, on.cpuMicrosPerMessage),
        mainCpuCostPercent:
          off.mainCpuMicrosPerMessage === null || on.mainCpuMicrosPerMessage === null
            ? null
            : -costPercent(off.mainCpuMicrosPerMessage, on.mainCpuMicrosPerMessage),
        load: pairLoad(load.finish(), process.cpuUsage(ownCpu), performance.now() - pairStarted),
      });
      const s = spread(pairs.map((p) => p.costPercent));
      if (pairs.length >= MIN_PAIRS && Math.abs(s.median - GOAL_PERCENT) > s.iqr / 2) break;
    }
  } finally {
    await receiver.exit();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
  const cost = spread(pairs.map((p) => p.costPercent));
  const cpuCost = spread(pairs.map((p) => p.cpuCostPercent));
  const mainCpuCosts = pairs.map((p) => p.mainCpuCostPercent).filter((c): c is number => c !== null);
  const quiet = pairs.filter((p) => !p.load.contaminated).map((p) => p.costPercent);
  const figures = {
    method:
      'pipeline.yaml without the postgres sink, every other sink on (Redis private, OSC to a listening receiver), simulate at rate max, a fresh seed (fresh ids) every run; metrics on = its sample_metrics nodes and metrics sink, off = without them; each run: 1 s warm-up, then messages emitted in the window; pairs alternate order; cost per pair = (off − on) / off of messages/s; cpuCost = extra process CPU per message, mainCpuCost = extra main-thread CPU per message (Linux), in %; load per pair',
    windowSeconds: WINDOW_SECONDS,
    pairs: pairs.length,
    costPercent: cost,
    cpuCostPercent: cpuCost,
    mainCpuCostPercent: mainCpuCosts.length > 0 ? spread(mainCpuCosts) : null,
    // The pairs during which other processes used at most half a core (none when every one was shared).
    quietPairs: quiet.length,
    quietPairsCostPercent: quiet.length > 0 ? spread(quiet) : null,
    costAboveNoise: aboveNoise(cost),
    clearOfGoal: Math.abs(cost.median - GOAL_PERCENT) > cost.iqr / 2,
    goal: `metrics cost ≤ ${GOAL_PERCENT}% of messages/s (median of the pairs), postgres sink off`,
    pass: cost.median <= GOAL_PERCENT,
    runs: pairs.map((p) => ({
      order: p.order,
      offPerSec: Math.round(p.off.messagesPerSec),
      onPerSec: Math.round(p.on.messagesPerSec),
      seeds: { off: p.off.seed, on: p.on.seed },
      cpuPercent: { off: p.off.cpuPercent, on: p.on.cpuPercent },
      mainCpuMicrosPerMessage: {
        off: p.off.mainCpuMicrosPerMessage === null ? null : Math.round(p.off.mainCpuMicrosPerMessage * 1000) / 1000,
        on: p.on.mainCpuMicrosPerMessage === null ? null : Math.round(p.on.mainCpuMicrosPerMessage * 1000) / 1000,
      },
      pausedMs: { off: p.off.pausedMs, on: p.on.pausedMs },
      costPercent: p.costPercent,
      cpuCostPercent: p.cpuCostPercent,
      mainCpuCostPercent: p.mainCpuCostPercent,
      load: p.load,
    })),
  };
  await writeResult('metrics-cost', figures);
  return figures;
}
