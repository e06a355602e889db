/**
 * Twitch throughput: PRIVMSG lines from the fake Twitch server (in a worker thread, at full
 * speed, 100 lines per frame) → normalized chat events per second through the `twitch` source,
 * against a bare tmi.js client counting its `message` events, in the same run and alternating.
 * Goal (issue 5): normalization costs under 10% on top of tmi.js.
 *
 * The source hands tmi.js only the session lines and normalizes chat lines itself, so it can
 * be faster than tmi.js alone; `perLineMicros` therefore also measures, without the network,
 * what the normalization costs next to tmi.js's own handling of the same lines.
 */
import { Worker } from 'node:worker_threads';
import tmi from 'tmi.js';
import { silentLogger } from '../src/core/logger.js';
import { NodeMetrics } from '../src/core/metrics.js';
import { TwitchConfig, twitchChat } from '../src/sources/twitch/index.js';
import { parseIrcLine } from '../src/sources/twitch/client.js';
import { createTwitchNodeState, gateTwitchEvent } from '../src/sources/twitch/session.js';
import { normalizeTwitchLine } from '../src/sources/twitch/normalize.js';
import type { IrcMessage } from '../src/sources/twitch/tags.js';
import { writeResult } from './results.js';
import { benchLine } from './twitchLines.js';

const LINES = Number(process.env.BENCH_TWITCH_LINES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHANNEL = 'bench';

/** The fake server in a worker thread (tsx registered there too, so it can load TypeScript). */
class ServerWorker {
  readonly #worker: Worker;
  readonly #waiting: { resolve: (message: Record<string, unknown>) => void; reject: (err: unknown) => void }[] = [];

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: Record<string, unknown>) => this.#waiting.shift()?.resolve(message));
    worker.on('error', (err) => {
      for (const waiting of this.#waiting.splice(0)) waiting.reject(err);
    });
  }

  static async start(): Promise<{ worker: ServerWorker; url: string }> {
    const api = import.meta.resolve('tsx/esm/api');
    const file = new URL('./twitchServerWorker.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`;
    const worker = new ServerWorker(new Worker(code, { eval: true }));
    const { url } = (await worker.#next()) as { url: string };
    return { worker, url };
  }

  #next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
  }

  /** Asks for `count` lines to the newest client joined to the channel; resolves once all are written. */
  async pump(run: number): Promise<void> {
    const done = this.#next();
    this.#worker.postMessage({ pump: { channel: CHANNEL, count: LINES, run } });
    const answer = await done;
    if (typeof answer.error === 'string') throw new Error(answer.error);
  }

  async close(): Promise<void> {
    this.#worker.postMessage({ close: true });
    await new Promise((resolve) => this.#worker.once('exit', resolve));
  }
}

async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: timed out`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** tmi.js alone: `message` events per second. */
async function tmiAlone(server: ServerWorker, url: URL, run: number): Promise<number> {
  const client = new tmi.Client({
    options: { skipUpdatingEmotesets: true },
    connection: { server: url.hostname, port: Number(url.port), secure: false, reconnect: false },
    channels: [CHANNEL],
  });
  let joined = false;
  let seen = 0;
  client.on('roomstate', () => {
    joined = true;
  });
  client.on('message', () => {
    seen += 1;
  });
  await client.connect();
  await waitFor(() => joined, 'tmi.js join');
  const started = performance.now();
  await server.pump(run);
  await waitFor(() => seen >= LINES, 'tmi.js messages');
  const elapsed = performance.now() - started;
  await client.disconnect().catch(() => undefined);
  return (LINES / elapsed) * 1000;
}

/** The `twitch` source: normalized chat events per second. */
async function twitchSource(server: ServerWorker, url: string, run: number): Promise<{ rate: number; drops: number }> {
  const metrics = new NodeMetrics('twitch', 'source', 'twitch');
  let live = false;
  let seen = 0;
  const sub = twitchChat(TwitchConfig.parse({ channels: [CHANNEL], server: url, ping_interval: '60s' }), {
    id: 'twitch',
    now: Date.now,
    logger: silentLogger(),
    metrics,
    setHealth: (health) => {
      if (health === 'live') live = true;
    },
  }).subscribe((event) => {
    if (event.kind === 'chat') seen += 1;
  });
  await waitFor(() => live, 'twitch source live');
  const started = performance.now();
  await server.pump(run);
  await waitFor(() => seen >= LINES, 'twitch source events');
  const elapsed = performance.now() - started;
  sub.unsubscribe();
  return { rate: (LINES / elapsed) * 1000, drops: metrics.totalDropped() };
}

/**
 * Without the network, on the same lines: µs per line for tmi.js's parser, for tmi.js's own
 * handling of a PRIVMSG (what it does before emitting `message`), and for the source's
 * normalization plus duplicate check. The last over the first two is what normalizing would
 * cost if tmi.js still handled chat lines itself (the source skips that work).
 */
function perLine(): { parseMicros: number; tmiHandleMicros: number; normalizeMicros: number } {
  const count = 50_000;
  const make = benchLine(CHANNEL, 0);
  const raw = Array.from({ length: count }, (_, n) => make(n));
  const parse = (): IrcMessage[] => raw.map((line) => parseIrcLine(line) as IrcMessage);
  const parseRuns: number[] = [];
  const tmiRuns: number[] = [];
  const normalizeRuns: number[] = [];
  for (let round = 0; round < 7; round++) {
    let started = performance.now();
    const messages = parse();
    parseRuns.push(((performance.now() - started) * 1000) / count);

    const state = createTwitchNodeState();
    let emitted = 0;
    started = performance.now();
    for (const message of messages) {
      normalizeTwitchLine(message, 0, Date.now, (event, sharedId) => {
        if (gateTwitchEvent(event, sharedId, state, 'all', metricsSink) !== undefined) emitted += 1;
      }, state.badges);
    }
    normalizeRuns.push(((performance.now() - started) * 1000) / count);
    if (emitted !== count) throw new Error(`normalized ${emitted} of ${count}`);

    const client = new tmi.Client({ options: { skipUpdatingEmotesets: true } });
    const handle = (client as unknown as { handleMessage(m: IrcMessage): void }).handleMessage.bind(client);
    let seen = 0;
    client.on('message', () => {
      seen += 1;
    });
    const fresh = parse();
    started = performance.now();
    for (const message of fresh) handle(message);
    tmiRuns.push(((performance.now() - started) * 1000) / count);
    if (seen !== count) throw new Error(`tmi.js handled ${seen} of ${count}`);
  }
  const hundredth = (n: number) => Math.round(n * 100) / 100;
  return {
    parseMicros: hundredth(median(parseRuns)),
    tmiHandleMicros: hundredth(median(tmiRuns)),
    normalizeMicros: hundredth(median(normalizeRuns)),
  };
}

const metricsSink = new NodeMetrics('twitch', 'source', 'twitch');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function twitchThroughput(): Promise<Record<string, unknown>> {
  const { worker, url } = await ServerWorker.start();
  const tmiRates: number[] = [];
  const sourceRates: number[] = [];
  let drops = 0;
  let run = 0;
  try {
    // Warm-up of both paths (JIT), not counted.
    await tmiAlone(worker, new URL(url), run++);
    await twitchSource(worker, url, run++);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so drift on a shared machine hits both alike.
      const order = round % 2 === 0 ? (['tmi', 'source'] as const) : (['source', 'tmi'] as const);
      for (const which of order) {
        if (which === 'tmi') tmiRates.push(await tmiAlone(worker, new URL(url), run++));
        else {
          const result = await twitchSource(worker, url, run++);
          sourceRates.push(result.rate);
          drops += result.drops;
        }
      }
    }
  } finally {
    await worker.close();
  }
  const micros = perLine();
  const tmiMedian = median(tmiRates);
  const sourceMedian = median(sourceRates);
  const round = (n: number) => Math.round(n);
  const figures = {
    lines: LINES,
    rounds: ROUNDS,
    linesPerFrame: 100,
    tmiAloneMessagesPerSec: round(tmiMedian),
    twitchSourceEventsPerSec: round(sourceMedian),
    normalizationCostPercent: Math.round((1 - sourceMedian / tmiMedian) * 1000) / 10,
    goalPercent: 10,
    tmiAloneRuns: tmiRates.map(round),
    twitchSourceRuns: sourceRates.map(round),
    dropsInSource: drops,
    perLineMicros: micros,
    normalizationVsTmiPerLinePercent: Math.round((micros.normalizeMicros / (micros.parseMicros + micros.tmiHandleMicros)) * 1000) / 10,
  };
  await writeResult('twitch-throughput', figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await twitchThroughput())}\n`);
}
