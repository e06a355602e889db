/**
 * `npm run bench metrics-cost` (issue 21): what metrics cost the default graph where it is
 * hardest to hide, with the postgres sink off (PostgreSQL is otherwise the bottleneck and the
 * cost disappears behind it). pipeline.yaml with every other sink on, simulate at `rate: max`,
 * metrics on (its `sample_metrics` nodes and `metrics` sink as they are) against off (without
 * them). A run: start, 1 s of warm-up, then messages the source emitted in a WINDOW-second
 * window, and this process's CPU time per message. Pairs alternate their order (off on, on off,
 * …); each pair gives one cost, (off − on) / off. Pairs go on (from 6 up to 16) until the
 * median cost is clear of the goal by more than half the costs' interquartile range.
 * Goal: ≤ 5%.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchStorage, defaultGraphText, readDefaultPipeline, startBenchStorage, startGraph } from './defaultGraph.js';
import { type Receiver, startReceiver } from './oscLatency.js';
import { writeResult } from './results.js';
import { aboveNoise, costPercent, spread } from './stats.js';

const WINDOW_SECONDS = Number(process.env.BENCH_METRICS_WINDOW_SECONDS ?? 3);
const MIN_PAIRS = Number(process.env.BENCH_METRICS_MIN_PAIRS ?? 6);
const MAX_PAIRS = Number(process.env.BENCH_METRICS_MAX_PAIRS ?? 16);
const GOAL_PERCENT = 5;

interface Run {
  readonly messagesPerSec: number;
  readonly cpuMicrosPerMessage: number;
  /** Share of one core this process used in the window. */
  readonly cpuPercent: number;
  /** Time a congested sink held the source back in the window. */
  readonly pausedMs: number;
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
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000));
  const demoAfter = running.snapshot().get('demo');
  const emitted = (demoAfter?.eventsOut[''] ?? 0) - before;
  const pausedMs = (demoAfter?.flow?.pausedMs ?? 0) - (demoBefore?.flow?.pausedMs ?? 0);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  await running.stop();
  if (emitted === 0) throw new Error('metrics-cost: the source emitted nothing in the window');
  return {
    messagesPerSec: (emitted / ms) * 1000,
    cpuMicrosPerMessage: (used.user + used.system) / emitted,
    cpuPercent: Math.round(((used.user + used.system) / 1000 / ms) * 100),
    pausedMs: Math.round(pausedMs),
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
  const pairs: { order: string; off: Run; on: Run; costPercent: number; cpuCostPercent: number }[] = [];
  try {
    await run(false, env()); // warm-up (JIT), not counted
    await run(true, env());
    for (let i = 0; i < MAX_PAIRS; i++) {
      const onFirst = i % 2 === 1;
      const first = await run(onFirst, env());
      const second = await run(!onFirst, env());
      const [off, on] = onFirst ? [second, first] : [first, second];
      pairs.push({
        order: onFirst ? 'on → off' : 'off → on',
        off,
        on,
        costPercent: costPercent(off.messagesPerSec, on.messagesPerSec),
        cpuCostPercent: -costPercent(off.cpuMicrosPerMessage, on.cpuMicrosPerMessage),
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
  const figures = {
    method:
      'pipeline.yaml without the postgres sink, every other sink on (Redis private, OSC to a listening receiver), simulate at rate max; metrics on = its sample_metrics nodes and metrics sink, off = without them; each run: 1 s warm-up, then messages emitted in the window; pairs alternate order; cost per pair = (off − on) / off of messages/s; cpuCost = extra CPU µs per message, in %',
    windowSeconds: WINDOW_SECONDS,
    pairs: pairs.length,
    costPercent: cost,
    cpuCostPercent: cpuCost,
    costAboveNoise: aboveNoise(cost),
    clearOfGoal: Math.abs(cost.median - GOAL_PERCENT) > cost.iqr / 2,
    goal: `metrics cost ≤ ${GOAL_PERCENT}% of messages/s (median of the pairs), postgres sink off`,
    pass: cost.median <= GOAL_PERCENT,
    runs: pairs.map((p) => ({
      order: p.order,
      offPerSec: Math.round(p.off.messagesPerSec),
      onPerSec: Math.round(p.on.messagesPerSec),
      cpuPercent: { off: p.off.cpuPercent, on: p.on.cpuPercent },
      pausedMs: { off: p.off.pausedMs, on: p.on.pausedMs },
      costPercent: p.costPercent,
      cpuCostPercent: p.cpuCostPercent,
    })),
  };
  await writeResult('metrics-cost', figures);
  return figures;
}
