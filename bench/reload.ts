/**
 * `npm run bench reload` (issue 15): live reloads under load. The default pipeline.yaml with
 * every sink on (console, OSC, overlay, redis_state and postgres on private embedded servers,
 * metrics), its `simulate` source at 1,000 messages/s (mostly commands, many viewers, so the
 * throttle lets most through and OSC is busy), the osc sink aimed at a UDP socket in this
 * process. While it runs, `PipelineRuntime.reload` is called BENCH_RELOADS times, alternating
 * two valid variants that differ in the throttle's rate and a control variable's range, so
 * every reload rebuilds `fair` and `cv`.
 *
 * Figures:
 * - time to apply a reload: from calling `reload` to its promise resolving (p50/p99);
 * - the longest pause between OSC datagram arrivals in a window around each reload
 *   ([call, resolve + TAIL_MS]) against the same measure over windows of the same length in the
 *   quiet time between reloads of the same run (the baseline); goal: p99 ≤ 5 ms;
 * - events lost: the source's events against what reached each stage, unintentional drops
 *   across every node, events lost in retired sinks, and the chat lines the postgres sink
 *   stored against the deduplicated chat it was given.
 */
import { createSocket } from 'node:dgram';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { writeResult } from './results.js';

const RELOADS = Number(process.env.BENCH_RELOADS ?? 100);
const RATE = 1000;
/** Quiet time after each reload; the baseline window sits in its middle. */
const GAP_MS = Number(process.env.BENCH_RELOAD_GAP_MS ?? 400);
const WARMUP_MS = 2000;
/** How long after a reload resolves its window still runs (work it left on the loop). */
const TAIL_MS = 10;
/** Between loading the next file and reloading it. */
const SETTLE_MS = 50;
const GOAL_MS = 5;
const PIPELINE = new URL('../pipeline.yaml', import.meta.url);

type Variant = 'a' | 'b';

/** pipeline.yaml at 1,000 messages/s; variant `b` has a slower throttle and a wider wobble. */
export function reloadVariantText(source: string, variant: Variant): string {
  const doc = parseDocument(source);
  const section = (name: string) => doc.get(name) as YAMLMap<unknown, unknown>;
  for (const pair of section('sources').items) {
    const node = pair.value as YAMLMap<unknown, unknown>;
    if (node.get('type') !== 'simulate') continue;
    node.set('rate', `${RATE}/s`);
    node.set('users', 100_000);
    node.set('mix', doc.createNode({ chat: 20, command: 80, emote: 0, link: 0, caps: 0, unicode: 0 }));
  }
  const operators = section('operators');
  const fair = operators.get('fair');
  const cv = operators.get('cv');
  if (!isMap(fair) || !isMap(cv)) throw new Error('pipeline.yaml has no `fair` throttle or `cv` control');
  fair.set('rate', variant === 'a' ? '1/2s' : '1/3s');
  doc.setIn(['operators', 'cv', 'variables', 'wobble', 'range'], doc.createNode(variant === 'a' ? [0, 1] : [0, 2]));
  return doc.toString();
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
const stats = (values: readonly number[]) => ({
  count: values.length,
  p50Ms: round3(percentile(values, 50)),
  p99Ms: round3(percentile(values, 99)),
  maxMs: round3(Math.max(0, ...values)),
});

/** The longest gap between consecutive arrivals that overlaps [from, to]. */
function longestPause(arrivals: readonly number[], from: number, to: number): number {
  // First arrival at or after `from`; the gap before it reaches into the window.
  let lo = 0;
  let hi = arrivals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((arrivals[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  let longest = 0;
  for (let i = Math.max(1, lo); i < arrivals.length; i++) {
    const gap = (arrivals[i] as number) - (arrivals[i - 1] as number);
    if (gap > longest) longest = gap;
    if ((arrivals[i] as number) > to) break;
  }
  return longest;
}

async function chatRows(url: string): Promise<number> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const result = await db.query<{ n: string }>('SELECT count(*) AS n FROM chat_messages');
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await db.end();
  }
}

export async function reloadBench(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-reload-'));
  await chmod(root, 0o711);
  const registry = defaultRegistry();
  const source = await readFile(PIPELINE, 'utf8');

  const arrivals: number[] = [];
  const receiver = createSocket('udp4');
  receiver.on('message', () => arrivals.push(performance.now()));
  await new Promise<void>((resolve) => receiver.bind({ port: 0, address: '127.0.0.1' }, resolve));
  const env = {
    CHATFLOW_LISTEN: `127.0.0.1:${await freePort()}`,
    CHATFLOW_OSC_TARGET: `127.0.0.1:${receiver.address().port}`,
  };
  const files: Record<Variant, string> = { a: join(root, 'pipeline-a.yaml'), b: join(root, 'pipeline-b.yaml') };
  for (const variant of ['a', 'b'] as const) await writeFile(files[variant], reloadVariantText(source, variant));
  const load = (variant: Variant) => loadPipeline(files[variant], { registry, env });

  const first = load('a');
  const logger = silentLogger();
  const storage = await openStorage(first, { baseDir: root, logger });
  const http = createHttpServer(first.settings.server, logger);
  try {
    const runtime = await startPipeline(first, {
      logger,
      resources: { baseDir: root, instance: 'bench', http, ...storage.resources },
    });
    await http.listen();
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    // A 1 ms ticker: its longest gap in a window is how long the event loop was stalled there,
    // which tells a stall (GC, the machine) from events the pipeline itself held back.
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(performance.now()), 1);

    const applyMs: number[] = [];
    const reloadWindows: [number, number][] = [];
    const rebuilt = new Set<string>();
    let lostInRetiredSinks = 0;
    let failures = 0;
    let notApplied = 0;
    const runStarted = performance.now();
    for (let i = 0; i < RELOADS; i++) {
      const next = load(i % 2 === 0 ? 'b' : 'a');
      // Loading blocks the loop for a while; let that pass so it is not counted in the window.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const called = performance.now();
      const report = await runtime.reload(next);
      const resolved = performance.now();
      applyMs.push(resolved - called);
      reloadWindows.push([called, resolved + TAIL_MS]);
      for (const id of report.changed) rebuilt.add(id);
      lostInRetiredSinks += report.lostInRetiredSinks;
      failures += report.failed.length;
      if (!report.applied) notApplied += 1;
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    const runMs = performance.now() - runStarted;
    clearInterval(ticker);
    // Baseline: windows as long as each reload's, in the middle of the quiet time after it.
    const baselineWindows = reloadWindows.map(([from, to]): [number, number] => {
      const start = to + (GAP_MS - TAIL_MS) / 2 - (to - from) / 2;
      return [start, start + (to - from)];
    });
    const pausesDuring = reloadWindows.map(([from, to]) => longestPause(arrivals, from, to));
    const pausesBaseline = baselineWindows.map(([from, to]) => longestPause(arrivals, from, to));
    const loopStallDuring = reloadWindows.map(([from, to]) => longestPause(ticks, from, to));
    const loopStallBaseline = baselineWindows.map(([from, to]) => longestPause(ticks, from, to));
    const datagramsDuringRun = arrivals.filter((t) => t >= runStarted && t <= runStarted + runMs).length;

    const before = runtime.snapshot();
    const report = await runtime.stop();
    const nodes: readonly NodeMetricsSnapshot[] = runtime.snapshot();
    const node = (id: string) => nodes.find((n) => n.id === id);
    const out = (id: string, port = '') => node(id)?.eventsOut[port] ?? 0;
    const pgUrl = storage.resources.postgres?.url;
    const storedChat = pgUrl ? await chatRows(pgUrl) : undefined;
    const unintentional = Object.fromEntries(
      nodes
        .map((n) => [n.id, Object.fromEntries(Object.entries(n.dropped).filter(([, d]) => !d.intentional).map(([r, d]) => [r, d.count]))] as const)
        .filter(([, reasons]) => Object.keys(reasons).length > 0),
    );
    const intentional = Object.fromEntries(
      nodes
        .map((n) => [n.id, Object.fromEntries(Object.entries(n.dropped).filter(([, d]) => d.intentional).map(([r, d]) => [r, d.count]))] as const)
        .filter(([, reasons]) => Object.keys(reasons).length > 0),
    );
    const emitted = out('demo');
    const stages = {
      sourceEmitted: emitted,
      normalizeIn: node('clean')?.eventsIn ?? 0,
      dedupeIn: node('once')?.eventsIn ?? 0,
      dedupeOut: out('once'),
      parseCommandIn: node('cmds')?.eventsIn ?? 0,
      postgresIn: node('history')?.eventsIn ?? 0,
      chatRowsInPostgres: storedChat,
    };
    const unintentionalTotal = Object.values(unintentional).reduce(
      (sum, reasons) => sum + Object.values(reasons).reduce((a, b) => a + b, 0),
      0,
    );
    // Along the unbranched chain source → normalize → dedupe → parse_command nothing may go
    // missing but dedupe's intentional drops; postgres must store each deduplicated chat line.
    const dedupeDropped = Object.values(node('once')?.dropped ?? {}).reduce((a, d) => a + d.count, 0);
    const missingAlongChain =
      emitted - stages.normalizeIn + (out('clean') - stages.dedupeIn) + (stages.dedupeIn - dedupeDropped - stages.dedupeOut) + (stages.dedupeOut - stages.parseCommandIn);
    const missingInPostgres = storedChat === undefined ? 0 : stages.dedupeOut - storedChat;
    const eventsLost = missingAlongChain + Math.max(0, missingInPostgres) + unintentionalTotal + lostInRetiredSinks + report.lostAtShutdown;
    const pauseP99 = percentile(pausesDuring, 99);
    const figures = {
      method:
        'pipeline.yaml (every sink on; redis/postgres embedded) with simulate at 1000/s (mix chat 20 / command 80, 100000 users); osc sink → a UDP socket in this process. Reloads alternate two variants (fair.rate 1/2s ↔ 1/3s, cv.variables.wobble.range [0,1] ↔ [0,2]), each a fresh loadPipeline 50 ms before the reload (outside the windows). applyMs: runtime.reload(next) call → resolve. Pause: the longest gap between consecutive OSC datagram arrivals overlapping [call, resolve + 10 ms]; baseline: the same over windows of the same length in the middle of the quiet time after each reload. eventLoopStall: the same measure over the ticks of a 1 ms setInterval (a stall of the whole process, GC or the shared machine, against events held back by the pipeline). Lost: events missing along source→normalize→dedupe→parse_command (dedupe drops excepted), deduplicated chat lines missing from postgres chat_messages, unintentional drops on every node, events lost in retired sinks and at shutdown.',
      reloads: RELOADS,
      chatPerSec: RATE,
      quietMsBetweenReloads: GAP_MS,
      storage: { redis: storage.resources.redis !== undefined, postgres: pgUrl !== undefined },
      rebuiltNodes: [...rebuilt].sort(),
      reloadFailures: failures,
      reloadsNotApplied: notApplied,
      applyMs: stats(applyMs),
      oscPauseDuringReload: stats(pausesDuring),
      oscPauseBaseline: stats(pausesBaseline),
      eventLoopStallDuringReload: stats(loopStallDuring),
      eventLoopStallBaseline: stats(loopStallBaseline),
      oscPauseP99OverBaselineMs: round3(pauseP99 - percentile(pausesBaseline, 99)),
      oscDatagramsPerSec: Math.round((datagramsDuringRun / runMs) * 1000),
      events: {
        ...stages,
        missingAlongChain,
        missingInPostgres,
        unintentionalDrops: unintentional,
        intentionalDrops: intentional,
        lostInRetiredSinks,
        lostAtShutdown: report.lostAtShutdown,
        lost: eventsLost,
      },
      sinkStatusBeforeStop: Object.fromEntries(before.filter((n) => n.kind === 'sink').map((n) => [n.id, n.status])),
      goals: { oscPauseP99MsAtMost: GOAL_MS, oscPauseP99OverBaselineMsAtMost: GOAL_MS, eventsLost: 0 },
      // The absolute pause includes the ordinary gap between datagrams (see oscPauseBaseline).
      pass: {
        oscPause: pauseP99 <= GOAL_MS,
        oscPauseOverBaseline: pauseP99 - percentile(pausesBaseline, 99) <= GOAL_MS,
        eventsLost: eventsLost === 0,
      },
    };
    await writeResult('reload', figures);
    return figures;
  } finally {
    await http.close();
    await storage.close();
    receiver.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await reloadBench();
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
