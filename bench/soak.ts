/**
 * `npm run bench soak` (issue 21): memory over a long show. pipeline.yaml with every sink on
 * (redis_state and postgres on private servers, osc to a listening receiver, overlay and
 * metrics on a real HTTP server), its simulate source at 10,000 messages/s, for
 * CHATFLOW_SOAK_SECONDS (default 600: ten minutes); this process's RSS every 10 s.
 *
 * Fails on growth: when the least-squares slope of RSS over the second half of the run (the
 * last 5 minutes by default) is above 1 MiB/min, or when any sample of that half is above
 * 160 MiB. The first half is the graph filling its windows (dedupe's 5 minutes of ids, the
 * buffers), which is growth by design.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGraphText, losses, readDefaultPipeline, startBenchStorage, startGraph, sumOf } from './defaultGraph.js';
import { startReceiver } from './oscLatency.js';
import { writeResult } from './results.js';
import { slope } from './stats.js';

const SECONDS = Number(process.env.CHATFLOW_SOAK_SECONDS ?? 600);
const RATE = 10_000;
const SAMPLE_SECONDS = 10;
const MAX_SLOPE_MIB_PER_MIN = 1;
const MAX_RSS_MIB = 160;

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * The rule, on samples `{ x: minutes, y: MiB }`: the slope of the second half and its highest
 * sample against the limits.
 */
export function judgeSoak(samples: readonly { readonly x: number; readonly y: number }[]): {
  slopeMiBPerMin: number;
  maxMiBLastHalf: number;
  failures: string[];
} {
  const half = samples.slice(Math.floor(samples.length / 2));
  const slopeMiBPerMin = Math.round(slope(half) * 100) / 100;
  const maxMiBLastHalf = Math.max(0, ...half.map((s) => s.y));
  const failures: string[] = [];
  if (half.length < 2) failures.push('fewer than 2 samples in the second half: run longer');
  if (slopeMiBPerMin > MAX_SLOPE_MIB_PER_MIN) failures.push(`RSS grew ${slopeMiBPerMin} MiB/min over the second half`);
  if (maxMiBLastHalf > MAX_RSS_MIB) failures.push(`RSS reached ${maxMiBLastHalf} MiB`);
  return { slopeMiBPerMin, maxMiBLastHalf, failures };
}

export async function soak(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-soak-'));
  await chmod(root, 0o711);
  const storage = await startBenchStorage(root);
  const receiver = await startReceiver();
  const samples: { seconds: number; rssMiB: number; heapUsedMiB: number }[] = [];
  let figuresOfRun: Record<string, unknown>;
  try {
    const text = defaultGraphText(await readDefaultPipeline(), {
      rate: RATE,
      seed: 4000,
      oscTarget: `127.0.0.1:${receiver.port}`,
      metrics: true,
      postgres: 'on',
    });
    const running = await startGraph(text, { root, name: 'soak', storage });
    const started = performance.now();
    for (let k = 1; k * SAMPLE_SECONDS <= SECONDS; k++) {
      await new Promise((resolve) => setTimeout(resolve, started + k * SAMPLE_SECONDS * 1000 - performance.now()));
      const memory = process.memoryUsage();
      samples.push({ seconds: k * SAMPLE_SECONDS, rssMiB: mib(memory.rss), heapUsedMiB: mib(memory.heapUsed) });
    }
    const ranMs = performance.now() - started;
    const stop = await running.stop();
    const nodes = running.snapshot();
    figuresOfRun = {
      emitted: nodes.get('demo')?.eventsOut[''] ?? 0,
      emittedPerSec: Math.round(((nodes.get('demo')?.eventsOut[''] ?? 0) / ranMs) * 1000),
      sourcePausedMs: Math.round(nodes.get('demo')?.flow?.pausedMs ?? 0),
      sinkLosses: Object.fromEntries([...nodes.values()].filter((n) => n.kind === 'sink').map((n) => [n.id, sumOf(losses(n))])),
      lostAtShutdown: stop.lostAtShutdown,
    };
  } finally {
    await receiver.exit();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
  const verdict = judgeSoak(samples.map((s) => ({ x: s.seconds / 60, y: s.rssMiB })));
  const figures = {
    method: `pipeline.yaml, every sink on, simulate at ${RATE} messages/s for ${SECONDS} s (CHATFLOW_SOAK_SECONDS); this process's RSS (redis-server and PostgreSQL are other processes) every ${SAMPLE_SECONDS} s`,
    rule: `fails when the RSS slope over the second half of the run is above ${MAX_SLOPE_MIB_PER_MIN} MiB/min or a sample of that half is above ${MAX_RSS_MIB} MiB`,
    seconds: SECONDS,
    chatPerSec: RATE,
    ...verdict,
    endRssMiB: samples.at(-1)?.rssMiB ?? null,
    pass: verdict.failures.length === 0,
    ...figuresOfRun,
    samples,
  };
  await writeResult('soak', figures);
  return figures;
}
