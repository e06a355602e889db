/**
 * `npm run bench hot-path` (issue 21): what one event costs on the hot path of the default
 * pipeline.yaml with its postgres sink removed (console, OSC, overlay, redis_state on a private
 * embedded redis-server, metrics), fed by its `simulate` source.
 *
 * - `max`: the source at `rate: max`, metrics on and off alternating in the same run, a fresh
 *   seed (fresh message ids) every round: events/s, bytes allocated per event and GC share for
 *   each, and what metrics cost per pair of rounds. A round is a fixed count of messages timed
 *   from the pipeline's start to its end (start-up, the first sampling tick and the drain are
 *   inside it), so its cost is a diagnostic: the goal is judged by `metrics-cost` (steady state,
 *   paired, the load per pair).
 * - `50k`: the source at 50 000 messages/s, metrics on: GC share of the main thread's busy
 *   time and bytes allocated per event.
 *
 * Bytes allocated come from V8's GC profiler (heap used before each collection minus after the
 * previous one, plus the growth since the last); GC share is the collections' main-thread
 * pauses over the event loop's active time (`performance.eventLoopUtilization`), which is what
 * a CPU profile of the main thread shows as "(garbage collector)".
 * Goals: GC share ≤ 5 % at 50k/s; metrics cost ≤ 5 % of events/s. Both depend on the
 * machine's load (recorded before and after): on a loaded machine GC pauses stretch (the
 * parallel scavenger waits for CPU) and throughput rounds scatter; bytes per event do not.
 *
 * Knobs (environment): BENCH_MESSAGES (per `max` round), BENCH_ROUNDS, BENCH_RATE,
 * BENCH_RATE_SECONDS, BENCH_PHASES (`max,50k`), BENCH_METRICS (`on` or `off`: only that
 * variant, to profile it with `node --cpu-prof`), BENCH_ALLOC_PROFILE (a file: a sampling heap
 * profile of the last round, collected objects included, for DevTools' Memory tab).
 */
import dgram from 'node:dgram';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import type { PipelineGraph } from '../src/core/pipelineGraph.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage, type Storage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { defaultGraphText } from './defaultGraph.js';
import { allocatedBytes } from './heapAllocation.js';
import { median } from './pipelineRun.js';
import { writeResult } from './results.js';
import { costPercent, spread } from './stats.js';

const MAX_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RATE = Number(process.env.BENCH_RATE ?? 50_000);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 8);
const PHASES = (process.env.BENCH_PHASES ?? 'max,50k').split(',');
/** Where to write a sampling heap profile of the last round, with collected objects (`.heapprofile`, for DevTools). */
const ALLOC_PROFILE = process.env.BENCH_ALLOC_PROFILE;
/** `on` or `off`: the `max` phase runs only that variant (to profile one). */
const ONLY = process.env.BENCH_METRICS;
const PIPELINE = new URL('../pipeline.yaml', import.meta.url);

type Metrics = 'on' | 'off';

export interface RoundFigures {
  readonly eventsPerSec: number;
  /** Bytes V8 allocated on the JS heap per message the source emitted. */
  readonly bytesPerEvent: number;
  /** GC pauses over the event loop's active time, %. */
  readonly gcSharePercent: number;
  /** Process CPU (every thread) per 1000 messages, ms. */
  readonly cpuMsPer1k: number;
  readonly gcCount: number;
  /** GC pause ms per 1000 messages, by kind of collection (Scavenge, MarkSweepCompact, …). */
  readonly gcMsPer1kByType: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly nodes: readonly NodeMetricsSnapshot[];
}

export async function runRound(graph: PipelineGraph, storage: Storage, baseDir: string, messages: number): Promise<RoundFigures> {
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  const running = await startPipeline(graph, {
    logger,
    resources: { baseDir, instance: 'bench', http, ...storage.resources },
  });
  await http.listen();
  const session = ALLOC_PROFILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
  }
  // Started: the window opens now (the source's first turn is queued behind this one).
  const profiler = new v8.GCProfiler();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await running.finished;
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const busy = performance.eventLoopUtilization(elu);
  const endUsed = v8.getHeapStatistics().used_heap_size;
  const gc = profiler.stop();
  if (session && ALLOC_PROFILE) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await writeFile(ALLOC_PROFILE, JSON.stringify(profile));
    session.disconnect();
  }
  await running.stop();
  await http.close();
  const gcMs = gc.statistics.reduce((sum, s) => sum + s.cost, 0) / 1000;
  const byType: Record<string, number> = {};
  for (const s of gc.statistics) byType[s.gcType] = (byType[s.gcType] ?? 0) + s.cost / 1000 / (messages / 1000);
  return {
    eventsPerSec: (messages / elapsedMs) * 1000,
    bytesPerEvent: allocatedBytes(startUsed, gc.statistics, endUsed) / messages,
    gcSharePercent: (gcMs / busy.active) * 100,
    cpuMsPer1k: ((used.user + used.system) / 1000 / messages) * 1000,
    gcCount: gc.statistics.length,
    gcMsPer1kByType: byType,
    elapsedMs,
    nodes: running.snapshot(),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function summary(rounds: readonly RoundFigures[]) {
  const med = (pick: (r: RoundFigures) => number) => median(rounds.map(pick));
  return {
    eventsPerSec: Math.round(med((r) => r.eventsPerSec)),
    bytesPerEvent: Math.round(med((r) => r.bytesPerEvent)),
    gcSharePercent: round1(med((r) => r.gcSharePercent)),
    cpuMsPer1k: Math.round(med((r) => r.cpuMsPer1k) * 100) / 100,
    gcCount: Math.round(med((r) => r.gcCount)),
    gcMsPer1kByType: Object.fromEntries(
      [...new Set(rounds.flatMap((r) => Object.keys(r.gcMsPer1kByType)))].map((t) => [
        t,
        Math.round(med((r) => r.gcMsPer1kByType[t] ?? 0) * 1000) / 1000,
      ]),
    ),
    samples: rounds.map((r) => Math.round(r.eventsPerSec)),
    losses: losses(rounds.at(-1)?.nodes ?? []),
    sinkEventsInLastRound: Object.fromEntries(
      (rounds.at(-1)?.nodes ?? []).filter((n) => n.kind === 'sink').map((n) => [n.id, n.eventsIn]),
    ),
  };
}

/** Each node's unintentional drops by reason, when it had any. */
const losses = (nodes: readonly NodeMetricsSnapshot[]) =>
  Object.fromEntries(
    nodes
      .map((n) => [n.id, Object.fromEntries(Object.entries(n.dropped).filter(([, d]) => !d.intentional).map(([r, d]) => [r, d.count]))])
      .filter(([, reasons]) => Object.keys(reasons as object).length > 0),
  );

export async function hotPath(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-hot-'));
  await chmod(root, 0o711);
  // The synth: a socket that takes the OSC packets, so none fails to send.
  const synth = dgram.createSocket('udp4');
  synth.on('message', () => {});
  await new Promise<void>((resolve) => synth.bind(0, '127.0.0.1', resolve));
  const registry = defaultRegistry();
  const source = await readFile(PIPELINE, 'utf8');
  const env = {
    CHATFLOW_LISTEN: `127.0.0.1:${await freePort()}`,
    CHATFLOW_OSC_TARGET: `127.0.0.1:${synth.address().port}`,
  };
  // pipeline.yaml without its postgres sink; metrics `off` also without its sample_metrics
  // nodes and metrics sink (and their ports in other sinks' inputs).
  let seed = 1;
  const load = async (name: string, metrics: Metrics, rate: number | 'max', count: number) => {
    const file = join(root, `pipeline-${name}.yaml`);
    // A new seed per graph: every round's message ids are new (`sim-<seed>-<n>`).
    const text = defaultGraphText(source, { rate, count, seed: seed++, oscTarget: env.CHATFLOW_OSC_TARGET, metrics: metrics === 'on', postgres: 'off' });
    await writeFile(file, text);
    return loadPipeline(file, { registry, env });
  };
  const graphs = { rate: await load('rate', 'on', RATE, RATE * RATE_SECONDS) };
  const storage = await openStorage(graphs.rate, { baseDir: root, logger: silentLogger() });
  const figures: Record<string, unknown> = {
    pipeline: 'pipeline.yaml without its postgres sink',
    storage: { redis: storage.resources.redis !== undefined },
  };
  try {
    if (PHASES.includes('max')) {
      const fresh = async (m: Metrics) => load(`max-${m}`, m, 'max', MAX_MESSAGES);
      await runRound(await fresh('off'), storage, root, MAX_MESSAGES); // warm-up
      await runRound(await fresh('on'), storage, root, MAX_MESSAGES);
      const rounds: Record<Metrics, RoundFigures[]> = { on: [], off: [] };
      for (let i = 0; i < ROUNDS; i++) {
        // Alternating which goes first, so drift in machine load hits both alike.
        for (const m of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          if (ONLY !== undefined && m !== ONLY) continue;
          rounds[m].push(await runRound(await fresh(m), storage, root, MAX_MESSAGES));
        }
      }
      const on = summary(rounds.on);
      const off = summary(rounds.off);
      // Round i of each is a pair (run back to back): the cost per pair, then its median.
      const paired = Math.min(rounds.on.length, rounds.off.length);
      const costs = Array.from({ length: paired }, (_, i) => {
        const [a, b] = [rounds.off[i] as RoundFigures, rounds.on[i] as RoundFigures];
        return { events: costPercent(a.eventsPerSec, b.eventsPerSec), cpu: -costPercent(a.cpuMsPer1k, b.cpuMsPer1k) };
      });
      figures.max = {
        messages: MAX_MESSAGES,
        rounds: ROUNDS,
        metricsOn: on,
        metricsOff: off,
        metricsCostPercent: costs.length > 0 ? spread(costs.map((c) => c.events)) : null,
        metricsCostCpuPercent: costs.length > 0 ? spread(costs.map((c) => c.cpu)) : null,
      };
    }
    if (PHASES.includes('50k')) {
      const rounds: RoundFigures[] = [];
      for (let i = 0; i < 2; i++) rounds.push(await runRound(graphs.rate, storage, root, RATE * RATE_SECONDS));
      figures.rate = { messagesPerSec: RATE, seconds: RATE_SECONDS, ...summary(rounds) };
    }
    // A diagnostic: the goals these figures touch are judged by `gc-share` (every sink on) and
    // `metrics-cost` (paired until clear of the noise), not here.
    await writeResult('hot-path', figures);
    return figures;
  } finally {
    await storage.close();
    synth.close();
    await rm(root, { recursive: true, force: true });
  }
}
