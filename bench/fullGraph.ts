/**
 * `npm run bench full-graph` (issue 7): the default pipeline.yaml end to end, every sink on
 * (console, OSC, overlay, redis_state and postgres on private embedded servers), fed by its
 * `simulate` source at full speed, with metrics on (pipeline.yaml's `sample_metrics` nodes and
 * `metrics` sink as they are, or a blackhole when that sink cannot start here) against off, in the same
 * process, alternating rounds. A round ends when the source has ended and every sink has
 * written everything it kept (postgres included).
 * Goals: ≥ 50 000 messages/s end to end; metrics cost ≤ 5 % of it.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseDocument, type Document, isMap, type YAMLMap } from 'yaml';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import type { PipelineGraph } from '../src/core/pipelineGraph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage, type Storage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { median } from './pipelineRun.js';
import { writeResult } from './results.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PIPELINE = new URL('../pipeline.yaml', import.meta.url);

export type Metrics = 'off' | 'on';
/** The full graph, and the same without its postgres sink (to show what that sink costs). */
const VARIANTS = ['off', 'on', 'offNoPostgres', 'onNoPostgres'] as const;
export type Variant = (typeof VARIANTS)[number];
const metricsOf = (v: Variant): Metrics => (v === 'on' || v === 'onNoPostgres' ? 'on' : 'off');
const withPostgres = (v: Variant): boolean => v === 'on' || v === 'off';

/**
 * pipeline.yaml with its simulate source at full speed for MESSAGES messages. Metrics `off`:
 * without its `sample_metrics` nodes and `metrics` sinks (and without their ports in other
 * sinks' inputs). Metrics `on`: as it is when it has a `sample_metrics`, else with
 * one added (into `metricsSink`). The `NoPostgres` variants also lose the postgres sinks.
 */
export function variantText(source: string, variant: Variant, metricsSink: string): string {
  const doc: Document = parseDocument(source);
  const section = (name: string): YAMLMap<unknown, unknown> | undefined => {
    const node = doc.get(name);
    return isMap(node) ? (node as YAMLMap<unknown, unknown>) : undefined;
  };
  const typeOf = (pair: { value: unknown }) => (pair.value as YAMLMap).get('type');
  for (const pair of section('sources')?.items ?? []) {
    const node = pair.value as YAMLMap<unknown, unknown>;
    if (node.get('type') === 'simulate') {
      node.set('rate', 'max');
      node.set('count', MESSAGES);
    }
  }
  const operators = section('operators');
  const sinks = section('sinks');
  const hasStats = (operators?.items ?? []).some((p) => typeOf(p) === 'sample_metrics');
  const strip = metricsOf(variant) === 'off' || !hasStats;
  if (strip) {
    const stats = (operators?.items ?? []).filter((p) => typeOf(p) === 'sample_metrics').map((p) => String(p.key));
    for (const id of stats) operators?.delete(id);
    for (const pair of [...(sinks?.items ?? [])]) {
      if (typeOf(pair) === 'metrics') {
        sinks?.delete(pair.key);
        continue;
      }
      const node = pair.value as YAMLMap<unknown, unknown>;
      const inputs = (node.toJSON().inputs as string[] | undefined) ?? [];
      const kept = inputs.filter((i) => !stats.includes(i.split('.')[0] as string));
      if (kept.length === 0) sinks?.delete(pair.key);
      else if (kept.length !== inputs.length) node.set('inputs', doc.createNode(kept));
    }
  }
  if (!withPostgres(variant)) {
    for (const pair of [...(sinks?.items ?? [])]) if (typeOf(pair) === 'postgres') sinks?.delete(pair.key);
  }
  if (metricsOf(variant) === 'on' && strip) {
    operators?.set('bench_stats', doc.createNode({ type: 'sample_metrics', inputs: ['*'], every: '1s' }));
    sinks?.set('bench_metrics', doc.createNode({ type: metricsSink, inputs: ['bench_stats'] }));
  }
  return doc.toString();
}

interface RoundResult {
  /** Messages over the time until every sink wrote everything. */
  readonly messagesPerSec: number;
  /** Messages over the time until the source had emitted them all (before sinks drained). */
  readonly sourceMessagesPerSec: number;
  /** CPU time of this process per 1000 messages, ms. */
  readonly cpuMsPer1k: number;
  readonly elapsedMs: number;
  readonly nodes: readonly NodeMetricsSnapshot[];
}

async function runRound(graph: PipelineGraph, storage: Storage, baseDir: string): Promise<RoundResult> {
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const running = await startPipeline(graph, {
    logger,
    resources: { baseDir, instance: 'bench', http, ...storage.resources },
  });
  await http.listen();
  const sources = [...graph.nodes.values()].filter((n) => n.kind === 'source' && n.enabled).map((n) => n.id);
  let sourceDoneMs = 0;
  const poll = setInterval(() => {
    if (sourceDoneMs > 0) return;
    const done = running.snapshot().filter((n) => sources.includes(n.id)).every((n) => n.status === 'stopped');
    if (done) sourceDoneMs = performance.now() - started;
  }, 5);
  await running.finished;
  const elapsedMs = performance.now() - started;
  clearInterval(poll);
  if (sourceDoneMs === 0) sourceDoneMs = elapsedMs;
  const used = process.cpuUsage(cpu);
  await running.stop();
  await http.close();
  return {
    messagesPerSec: (MESSAGES / elapsedMs) * 1000,
    sourceMessagesPerSec: (MESSAGES / sourceDoneMs) * 1000,
    cpuMsPer1k: ((used.user + used.system) / 1000 / MESSAGES) * 1000,
    elapsedMs,
    nodes: running.snapshot(),
  };
}

/** Empties the history tables so every round inserts the same rows. */
async function truncateHistory(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const tables = await db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%migrations%'",
    );
    if (tables.rows.length > 0) await db.query(`TRUNCATE ${tables.rows.map((t) => `"${t.name}"`).join(', ')}`);
  } finally {
    await db.end();
  }
}

/** Each sink's unintentional drops by reason (events it could not keep), when it had any. */
const losses = (nodes: readonly NodeMetricsSnapshot[]) =>
  Object.fromEntries(
    nodes
      .filter((n) => n.kind === 'sink')
      .map((n) => [n.id, Object.fromEntries(Object.entries(n.dropped).filter(([, d]) => !d.intentional).map(([r, d]) => [r, d.count]))])
      .filter(([, reasons]) => Object.keys(reasons as object).length > 0),
  );

export async function fullGraph(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-full-'));
  await chmod(root, 0o711);
  const registry = defaultRegistry();
  const source = await readFile(PIPELINE, 'utf8');
  const port = await freePort();
  const env = { CHATFLOW_LISTEN: `127.0.0.1:${port}`, CHATFLOW_OSC_TARGET: '127.0.0.1:9' };
  const graphs = {} as Record<Variant, PipelineGraph>;
  let metricsSink = 'metrics';
  const load = async (variant: Variant) => {
    const file = join(root, `pipeline-${variant}.yaml`);
    await writeFile(file, variantText(source, variant, metricsSink));
    return loadPipeline(file, { registry, env });
  };
  for (const variant of VARIANTS) {
    try {
      graphs[variant] = await load(variant);
    } catch (err) {
      if (metricsSink !== 'metrics') throw err;
      metricsSink = 'blackhole';
      graphs[variant] = await load(variant);
    }
  }
  const storage = await openStorage(graphs.on, { baseDir: root, logger: silentLogger() });
  try {
    const pgUrl = storage.resources.postgres?.url;
    const round = async (variant: Variant) => {
      if (pgUrl && withPostgres(variant)) await truncateHistory(pgUrl);
      try {
        return await runRound(graphs[variant], storage, root);
      } catch (err) {
        if (metricsOf(variant) === 'on' && metricsSink === 'metrics') {
          // The metrics sink could not start here: measure sample_metrics into a blackhole.
          metricsSink = 'blackhole';
          process.stderr.write(`full-graph: metrics sink failed (${String(err)}); using a blackhole\n`);
          graphs.on = await load('on');
          graphs.onNoPostgres = await load('onNoPostgres');
          return runRound(graphs[variant], storage, root);
        }
        throw err;
      }
    };
    for (const variant of VARIANTS) await round(variant); // warm-up
    const results = Object.fromEntries(VARIANTS.map((v) => [v, [] as RoundResult[]])) as Record<Variant, RoundResult[]>;
    for (let i = 0; i < ROUNDS; i++) {
      // Off and on alternate which goes first, so drift in machine load hits both alike.
      const order: Variant[] = i % 2 === 0 ? ['off', 'on', 'offNoPostgres', 'onNoPostgres'] : ['on', 'off', 'onNoPostgres', 'offNoPostgres'];
      for (const variant of order) results[variant].push(await round(variant));
    }
    const summary = (variant: Variant) => {
      const rs = results[variant];
      return {
        messagesPerSec: Math.round(median(rs.map((r) => r.messagesPerSec))),
        sourceMessagesPerSec: Math.round(median(rs.map((r) => r.sourceMessagesPerSec))),
        cpuMsPer1kMessages: Math.round(median(rs.map((r) => r.cpuMsPer1k)) * 100) / 100,
        samples: rs.map((r) => Math.round(r.messagesPerSec)),
        sinkLossesLastRound: losses(rs.at(-1)?.nodes ?? []),
      };
    };
    const s = Object.fromEntries(VARIANTS.map((v) => [v, summary(v)])) as Record<Variant, ReturnType<typeof summary>>;
    const cost = (off: number, on: number) => Math.round(((off - on) / off) * 1000) / 10;
    const costPercent = cost(s.off.messagesPerSec, s.on.messagesPerSec);
    const lastOn = results.on.at(-1)?.nodes ?? [];
    const statsNode = lastOn
      .filter((n) => n.type === 'sample_metrics')
      .sort((a, b) => b.eventsIn - a.eventsIn)[0];
    const figures = {
      messages: MESSAGES,
      rounds: ROUNDS,
      metricsSink,
      metricsNodes: [...graphs.on.nodes.values()]
        .filter((n) => n.type === 'sample_metrics' || n.type === 'metrics' || n.id === 'bench_metrics')
        .map((n) => `${n.id}: ${n.type} ← ${n.inputs.map((i) => (i.port ? `${i.node}.${i.port}` : i.node)).join(', ')}`),
      storage: { redis: storage.resources.redis !== undefined, postgres: pgUrl !== undefined },
      metricsOff: s.off,
      metricsOn: s.on,
      metricsCostPercent: costPercent,
      metricsCostCpuPercent: Math.round(((s.on.cpuMsPer1kMessages - s.off.cpuMsPer1kMessages) / s.off.cpuMsPer1kMessages) * 1000) / 10,
      withoutPostgres: {
        metricsOff: s.offNoPostgres,
        metricsOn: s.onNoPostgres,
        metricsCostPercent: cost(s.offNoPostgres.messagesPerSec, s.onNoPostgres.messagesPerSec),
      },
      statsNode: statsNode?.id,
      statsEventsIn: statsNode?.eventsIn ?? 0,
      sinkLatencyP99MsLastRound: Object.fromEntries(lastOn.filter((n) => n.kind === 'sink').map((n) => [n.id, n.latencyMs.p99])),
      goals: { messagesPerSecAtLeast: 50_000, metricsCostPercentAtMost: 5 },
      pass: { throughput: s.off.messagesPerSec >= 50_000, metricsCost: costPercent <= 5 },
      method:
        'pipeline.yaml with simulate at rate max and count = messages; messagesPerSec: until the source ended and every sink wrote what it kept; sourceMessagesPerSec: until the source ended; cpuMsPer1kMessages: CPU of this process (not of redis-server/postgres); medians of rounds alternating off/on after one warm-up each; postgres tables truncated before each round',
    };
    await writeResult('full-graph', figures);
    return figures;
  } finally {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await fullGraph();
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
