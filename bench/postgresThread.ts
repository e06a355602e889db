/**
 * `npx tsx bench/postgresThread.ts`: what the `postgres` sink costs the main event loop with its
 * connections in the writer thread (`thread: worker`, the default) against on the main thread
 * (`thread: main`), same run, same private PostgreSQL (the embedded launcher), same table.
 *
 * 1. Feeding a thread, main-thread µs per event, in slices of 200: packing the events' stored
 *    fields into flat arrays and posting them (what `thread: worker` does; the thread then
 *    encodes), posting the event objects as they are (structured clone), and encoding them
 *    into COPY parts on the main thread (what `thread: main` does), alone and with the parts
 *    posted, their buffers transferred (the other way to feed a thread).
 * 2. The sink under its driver (its batches of 5000, two connections), 100,000 chat events per
 *    round with fresh ids, rounds alternating main/worker: rows/s, and the main event loop's
 *    busy time (`performance.eventLoopUtilization`) per 1000 rows and as a share of the round.
 *
 * Pass: the worker mode's main-loop time per row is at most 60% of the main mode's, and its
 * rows/s at least 90% of the main mode's (both medians).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import pg from 'pg';
import { Subject } from 'rxjs';
import type { ChatEvent, ChatflowEvent } from '../src/core/events.js';
import { NodeMetrics } from '../src/core/metrics.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../src/core/sinkDriverConfig.js';
import { writeBatches } from '../src/pipelines/sinkDriver/writeBatches.js';
import { startEmbeddedPostgres } from '../src/resources/embedded.js';
import { migrate } from '../src/resources/migrate.js';
import { connectPostgres, PostgresConfig, PostgresSink, PostgresWorkerSink, postgresComponent } from '../src/sinks/postgres/index.js';
import { CopyEncoder, CopyText, encodeRows } from '../src/sinks/postgres/rows.js';
import { packEvents, transferables } from '../src/sinks/postgres/wire.js';
import { writeResult } from './results.js';

const FEED_EVENTS = 100_000;
const SINK_EVENTS = 100_000;
const ROUNDS = 3;
/** Events per posted slice, as the sink posts them. */
const SLICE = 200;
const BATCH = postgresComponent.driver?.batchMax ?? 5000;

/** The storage bench's chat, a third of it with a tab and an emoji pair. */
function events(n: number, prefix: string): ChatEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'chat',
    id: `${prefix}-${i}`,
    platform: 'twitch',
    channel: `chan${i % 4}`,
    author: { id: `u${i % 500}`, login: `viewer${i % 500}`, displayName: `Viewer${i % 500}`, roles: i % 7 === 0 ? ['subscriber'] : [], badges: {} },
    text: i % 3 === 0 ? `message ${i}: !cv cutoff 0.${i % 10} with\ta tab and "quotes" 🎛️` : `plain message ${i} from chat, nothing special`,
    emotes: [],
    ts: 1_700_000_000_000 + i,
    action: false,
    firstMessage: i % 100 === 0,
    receivedAt: 0,
  }));
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Main-thread µs per event of each way to hand a batch to a thread. */
function feedCosts(): Record<string, number> {
  const list = events(FEED_EVENTS, 'feed');
  const options = { instance: 'bench', questionCommands: new Set<string>(), now: () => 0 };
  const kinds = new Set(['chat']);
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => {});
  const time = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    return ((performance.now() - t0) * 1000) / FEED_EVENTS;
  };
  const encodeAndTransfer = () => {
    const enc = new CopyEncoder();
    for (let i = 0; i < list.length; i += BATCH / 2) {
      const text = new CopyText();
      encodeRows(list, i, i + BATCH / 2, kinds, enc, options, text);
      const tables = text.tables();
      port1.postMessage(tables, tables.map((t) => t.bytes.buffer as ArrayBuffer));
    }
  };
  const cloneEvents = () => {
    for (let i = 0; i < list.length; i += SLICE) port1.postMessage(list.slice(i, i + SLICE));
  };
  const packAndPost = () => {
    for (let i = 0; i < list.length; i += SLICE) {
      const slice = packEvents(list, i, i + SLICE);
      port1.postMessage(slice, transferables(slice));
    }
  };
  const encodeOnly = () => {
    const enc = new CopyEncoder();
    for (let i = 0; i < list.length; i += BATCH / 2) encodeRows(list, i, i + BATCH / 2, kinds, enc, options, new CopyText());
  };
  const ways = { packAndPost, cloneEvents, encodeOnly, encodeAndTransfer };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
  // Warm-up, then rounds in turn.
  for (const way of Object.values(ways)) way();
  for (let r = 0; r < 5; r++) for (const [name, way] of Object.entries(ways)) samples[name]?.push(time(way));
  port1.close();
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [`${k}UsPerEvent`, round2(median(v))]));
}

interface SinkRound {
  readonly thread: 'main' | 'worker';
  readonly rowsPerSecond: number;
  readonly mainLoopUtilization: number;
  readonly mainLoopMsPer1000Rows: number;
  readonly writerThreadUtilization?: number;
  readonly stored: number;
}

async function sinkRound(url: string, thread: 'main' | 'worker', prefix: string, dir: string): Promise<SinkRound> {
  const config = PostgresConfig.parse({ thread });
  const deps = { instance: 'bench', deadLetterPath: join(dir, 'dead.jsonl'), now: Date.now };
  const sink =
    thread === 'worker'
      ? new PostgresWorkerSink('bench', config, { ...deps, url, applicationName: 'chatflow-bench' })
      : new PostgresSink('bench', config, { ...deps, connect: connectPostgres(url, 'chatflow-bench') });
  await sink.start();
  const metrics = new NodeMetrics('bench', 'sink', 'postgres');
  const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...postgresComponent.driver, bufferType: 'memory', bufferMax: SINK_EVENTS };
  const list: ChatflowEvent[] = events(SINK_EVENTS, prefix);
  const writer = sink instanceof PostgresWorkerSink ? sink.worker : undefined;
  const workerElu0 = writer?.performance.eventLoopUtilization();
  let workerElu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  // The driver stops its sink at the end of the drain: the thread is measured just before.
  const measured = {
    start: () => sink.start(),
    write: (batch: readonly ChatflowEvent[]) => sink.write(batch),
    stop: async () => {
      workerElu = workerElu0 ? writer?.performance.eventLoopUtilization(workerElu0) : undefined;
    },
  };
  const driver = writeBatches(measured, settings, { metrics });
  const input = new Subject<ChatflowEvent>();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const done = driver.run(input);
  for (const e of list) input.next(e);
  input.complete();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  await sink.stop();
  return {
    thread,
    rowsPerSecond: Math.round(SINK_EVENTS / seconds),
    mainLoopUtilization: round2(elu.utilization),
    mainLoopMsPer1000Rows: round2((elu.active / SINK_EVENTS) * 1000),
    ...(workerElu ? { writerThreadUtilization: round2(workerElu.utilization) } : {}),
    stored: sink.written,
  };
}

export async function postgresThread(): Promise<Record<string, unknown>> {
  const feed = feedCosts();
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-pgthread-'));
  await chmod(root, 0o711);
  const server = await startEmbeddedPostgres(join(root, 'pg'));
  const db = new pg.Client({ connectionString: server.url });
  const rounds: SinkRound[] = [];
  try {
    await migrate(server.url);
    await db.connect();
    // Warm-up (JIT, the thread's bundle, PostgreSQL's caches), not counted.
    for (const thread of ['main', 'worker'] as const) await sinkRound(server.url, thread, `warm-${thread}`, root);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['main', 'worker'] as const) : (['worker', 'main'] as const);
      for (const thread of order) {
        await db.query('TRUNCATE chat_messages');
        rounds.push(await sinkRound(server.url, thread, `r${r}-${thread}`, root));
      }
    }
  } finally {
    await db.end().catch(() => {});
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  const of = (thread: 'main' | 'worker', key: 'rowsPerSecond' | 'mainLoopMsPer1000Rows' | 'mainLoopUtilization') =>
    median(rounds.filter((r) => r.thread === thread).map((r) => r[key]));
  const summary = {
    main: { rowsPerSecond: of('main', 'rowsPerSecond'), mainLoopMsPer1000Rows: of('main', 'mainLoopMsPer1000Rows'), mainLoopUtilization: of('main', 'mainLoopUtilization') },
    worker: { rowsPerSecond: of('worker', 'rowsPerSecond'), mainLoopMsPer1000Rows: of('worker', 'mainLoopMsPer1000Rows'), mainLoopUtilization: of('worker', 'mainLoopUtilization') },
  };
  const mainLoopRatio = round2(summary.worker.mainLoopMsPer1000Rows / summary.main.mainLoopMsPer1000Rows);
  const rowsRatio = round2(summary.worker.rowsPerSecond / summary.main.rowsPerSecond);
  const figures = {
    feed,
    rounds,
    summary,
    workerVsMain: { mainLoopTimePerRow: mainLoopRatio, rowsPerSecond: rowsRatio },
    goals: { mainLoopTimePerRowAtMost: 0.6, rowsPerSecondAtLeast: 0.9 },
    pass: mainLoopRatio <= 0.6 && rowsRatio >= 0.9,
  };
  await writeResult('postgres-thread', figures);
  return figures;
}
