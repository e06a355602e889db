/**
 * Engine overhead: events/s through `simulate → 5 pass-through filters → blackhole` run by the
 * chatflow runtime, against five RxJS `filter(() => true)` over the same events made beforehand
 * (no generator, no chatflow filter), in the same process and run, back to back per round.
 * The overhead is therefore everything chatflow adds: the runtime, its filter, the generator.
 * Goal (issue 2): runtime overhead under 30%.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, count as rxCount, filter as rxFilter } from 'rxjs';
import { defaultRegistry } from '../src/components.js';
import type { ChatflowEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { createChatGenerator, SimulateConfig } from '../src/sources/simulate/index.js';
import { writeResult } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const STAGES = 5;

/**
 * The plain-RxJS baseline: the events (made beforehand, outside the timing) through five
 * RxJS `filter`s that keep everything, counted. No generator, no chatflow code: what the
 * same chain costs in RxJS itself, so the percentage is everything the runtime adds.
 */
function plainRxjs(events: readonly ChatflowEvent[]): number {
  const pass = rxFilter<ChatflowEvent>(() => true);
  let seen = 0;
  const started = performance.now();
  from(events)
    .pipe(pass, pass, pass, pass, pass, rxCount())
    .subscribe((n) => {
      seen = n;
    });
  const elapsed = performance.now() - started;
  if (seen !== events.length) throw new Error(`plain RxJS saw ${seen} of ${events.length}`);
  return (events.length / elapsed) * 1000;
}

async function runtime(file: string, fuse: boolean): Promise<number> {
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
  const started = performance.now();
  const running = await startPipeline(graph, {
    logger: silentLogger(),
    resources: { baseDir: tmpdir(), instance: 'bench' },
    fuse,
  });
  await running.finished;
  const elapsed = performance.now() - started;
  const seen = running.metrics.get('out')?.eventsIn;
  await running.stop();
  if (seen !== EVENTS) throw new Error(`runtime delivered ${seen} of ${EVENTS}`);
  return (EVENTS / elapsed) * 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function engineOverhead(): Promise<Record<string, unknown>> {
  const file = join(tmpdir(), `chatflow-bench-${process.pid}.yaml`);
  const stages = Array.from(
    { length: STAGES },
    (_, i) => `  p${i}: { type: filter, inputs: [${i === 0 ? 'sim' : `p${i - 1}`}], match: {} }`,
  );
  await writeFile(
    file,
    [
      'version: 1',
      'sources:',
      `  sim: { type: simulate, rate: max, count: ${EVENTS}, seed: 7 }`,
      'operators:',
      ...stages,
      'sinks:',
      `  out: { type: blackhole, inputs: [p${STAGES - 1}] }`,
      '',
    ].join('\n'),
  );
  const plain: number[] = [];
  const engine: number[] = [];
  const unfused: number[] = [];
  const overheads: number[] = [];
  const next = createChatGenerator(SimulateConfig.parse({ rate: 'max', count: EVENTS, seed: 7 }), { now: Date.now });
  const events = Array.from({ length: EVENTS }, () => next() as ChatflowEvent);
  // Warm-up: JIT every path before measuring.
  plainRxjs(events);
  await runtime(file, true);
  await runtime(file, false);
  for (let round = 0; round < ROUNDS; round++) {
    // Back to back, so a noisy neighbour hits both sides of each pair alike.
    const p = plainRxjs(events);
    const e = await runtime(file, true);
    plain.push(p);
    engine.push(e);
    overheads.push((1 - e / p) * 100);
    unfused.push(await runtime(file, false));
  }
  const overheadPct = median(overheads);
  const figures = {
    events: EVENTS,
    rounds: ROUNDS,
    stages: STAGES,
    plainRxjsEventsPerSec: Math.round(median(plain)),
    runtimeEventsPerSec: Math.round(median(engine)),
    runtimeUnfusedEventsPerSec: Math.round(median(unfused)),
    overheadPercent: Math.round(overheadPct * 10) / 10,
    method: 'median over rounds of (1 - runtime/plain), each round running both back to back after one warm-up each; plain = from(prebuilt events) → 5 × rxjs filter(() => true) → count',
    goal: 'overheadPercent < 30',
    pass: overheadPct < 30,
    samples: { plain: plain.map(Math.round), runtime: engine.map(Math.round), unfused: unfused.map(Math.round) },
  };
  await writeResult('engine-overhead', figures);
  return figures;
}
