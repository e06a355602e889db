/**
 * `npm run bench redis-outage` (issue 14): what a Redis outage costs the show. These figures
 * used to be ceilings in test/integration/redis.int.test.ts; the tests now check by counting
 * that state resyncs and OSC keeps arriving, and this bench measures how well:
 * - resync: the event loop's longest stall while `redis_state` (its sink driver, control
 *   changes every 5 ms) writes through an outage of 1.5 s and resyncs after Redis is back.
 *   Goal: under 200 ms.
 * - osc: OSC messages per second from simulate → parse_command → control → osc, with a
 *   `redis_state` sink beside it, before, during and after a 1.5 s outage. Goal: during at least
 *   half of before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import { defaultRegistry } from '../src/components.js';
import type { ChatflowEvent, ControlEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { NodeMetrics } from '../src/core/metrics.js';
import { DEFAULT_SINK_DRIVER } from '../src/core/sinkDriverConfig.js';
import { buildGraph } from '../src/pipelines/graph.js';
import { loadText } from '../src/pipelines/load.js';
import { startPipeline } from '../src/pipelines/run.js';
import { writeBatches } from '../src/pipelines/sinkDriver/writeBatches.js';
import { freePort, startEmbeddedRedis } from '../src/resources/embedded.js';
import { createRedis } from '../src/resources/redisClient.js';
import { RedisStateConfig, RedisStateSink, redisStateComponent } from '../src/sinks/redisState.js';
import { redisOutagePipeline } from '../test/fixtures/redisOutage.js';
import { udpReceiver } from '../test/integration/oscSupport.js';
import { writeResult } from './results.js';

const OUTAGE_MS = 1500;
const PHASE_MS = 1000;
const MAX_STALL_GOAL_MS = 200;
const OSC_PACE_GOAL = 0.5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(10);
  }
}

function cv(variable: string, value: number): ControlEvent {
  return {
    kind: 'control',
    variable,
    value,
    previous: 0,
    origin: 'command',
    ts: Date.now(),
    receivedAt: performance.now(),
    by: { login: 'ann', platform: 'twitch' },
  };
}

/** The event loop's longest stall (ms) while `redis_state` writes through an outage and resyncs. */
async function resync(dir: string): Promise<Record<string, unknown>> {
  const own = await startEmbeddedRedis(join(dir, 'resync'), { persist: false, port: await freePort() });
  const sink = new RedisStateSink('state', RedisStateConfig.parse({}), {
    client: () => createRedis(own.url, 'chatflow-bench-state'),
    instance: 'bench',
    clock: () => performance.now(),
    now: Date.now,
  });
  const metrics = new NodeMetrics('state', 'sink', 'redis_state');
  const settings = { ...DEFAULT_SINK_DRIVER, ...redisStateComponent.driver };
  const input = new Subject<ChatflowEvent>();
  const done = writeBatches(sink, settings, { metrics, keyOf: (e) => sink.keyOf(e) }).run(input);
  let i = 0;
  const flow = setInterval(() => {
    i += 1;
    input.next(cv(`v${i % 5}`, i));
  }, 5);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let restarted: Awaited<ReturnType<typeof startEmbeddedRedis>> | undefined;
  try {
    await until(() => metrics.out('').value > 20, 'the first writes');
    delay.enable();
    await own.stop();
    await sleep(OUTAGE_MS);
    restarted = await startEmbeddedRedis(join(dir, 'resync'), { persist: false, port: own.port });
    const writtenBefore = metrics.out('').value;
    await until(() => metrics.out('').value > writtenBefore + 20, 'writes after the restart');
    await sleep(300);
    delay.disable();
  } finally {
    clearInterval(flow);
    input.complete();
    await done;
    await restarted?.stop();
  }
  const maxStallMs = Math.round(delay.max / 1e4) / 100;
  return {
    writeErrors: metrics.errors,
    maxStallMs,
    p99StallMs: Math.round(delay.percentile(99) / 1e4) / 100,
    goal: `longest event-loop stall under ${MAX_STALL_GOAL_MS} ms`,
    pass: maxStallMs < MAX_STALL_GOAL_MS,
  };
}

/** OSC messages per second before, during and after a Redis outage. */
async function osc(dir: string): Promise<Record<string, unknown>> {
  const own = await startEmbeddedRedis(join(dir, 'osc'), { persist: false, port: await freePort() });
  const synth = await udpReceiver();
  const yaml = redisOutagePipeline(own.url, synth.port);
  const built = buildGraph(loadText(yaml, { file: 'bench.yaml', env: {} }), defaultRegistry());
  if (!built.graph) throw new Error(built.issues.map((issue) => issue.message).join('; '));
  const runtime = await startPipeline(built.graph, {
    logger: silentLogger(),
    resources: { baseDir: dir, instance: 'bench', redis: { url: own.url } },
  });
  const perSecond = async (ms: number) => {
    const before = synth.datagrams.length;
    const t0 = performance.now();
    await sleep(ms);
    return Math.round(((synth.datagrams.length - before) * 1000) / (performance.now() - t0));
  };
  let restarted: Awaited<ReturnType<typeof startEmbeddedRedis>> | undefined;
  try {
    await until(() => synth.datagrams.length > 20, 'the first OSC messages');
    const before = await perSecond(PHASE_MS);
    await own.stop();
    const during = await perSecond(OUTAGE_MS);
    const stateErrors = runtime.metrics.get('state')?.errors ?? 0;
    restarted = await startEmbeddedRedis(join(dir, 'osc'), { persist: false, port: own.port });
    const after = await perSecond(PHASE_MS);
    return {
      oscPerSec: { before, during, after },
      stateWriteErrors: stateErrors,
      goal: `OSC messages per second during the outage at least ${OSC_PACE_GOAL * 100}% of before`,
      pass: during >= before * OSC_PACE_GOAL,
    };
  } finally {
    await runtime.stop();
    await synth.close();
    await restarted?.stop();
  }
}

export async function redisOutage(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'chatflow-bench-redis-outage-'));
  try {
    const figures = {
      method: `outage of ${OUTAGE_MS} ms of an embedded redis-server (stopped, then restarted on the same port)`,
      resync: await resync(dir),
      osc: await osc(dir),
    };
    await writeResult('redis-outage', figures);
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
