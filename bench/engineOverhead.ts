/**
 * Engine overhead: events/s through `simulate → 5 pass-through filters → blackhole` run by the
 * chatflow runtime, against the same chain in plain RxJS, in the same process and run.
 * Goal (issue 2): runtime overhead under 30%.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, type MonoTypeOperatorFunction, count as rxCount } from 'rxjs';
import { defaultRegistry } from '../src/components.js';
import type { ChatflowEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { filter, FilterConfig } from '../src/operators/filter.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { SimulateConfig, simulate } from '../src/sources/simulate/index.js';
import { writeResult } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const STAGES = 5;

async function plainRxjs(): Promise<number> {
  const source$ = simulate(SimulateConfig.parse({ rate: 'max', count: EVENTS, seed: 7 }));
  const pass = filter<ChatflowEvent>(FilterConfig.parse({ match: {} }));
  const stages: MonoTypeOperatorFunction<ChatflowEvent>[] = Array.from({ length: STAGES }, () => pass);
  const started = performance.now();
  const seen = await lastValueFrom(
    (source$ as import('rxjs').Observable<ChatflowEvent>).pipe(
      stages[0]!,
      stages[1]!,
      stages[2]!,
      stages[3]!,
      stages[4]!,
      rxCount(),
    ),
  );
  const elapsed = performance.now() - started;
  if (seen !== EVENTS) throw new Error(`plain RxJS saw ${seen} of ${EVENTS}`);
  return (EVENTS / elapsed) * 1000;
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
  // Warm-up: JIT every path before measuring.
  await plainRxjs();
  await runtime(file, true);
  await runtime(file, false);
  for (let round = 0; round < ROUNDS; round++) {
    // Back to back, so a noisy neighbour hits both sides of each pair alike.
    const p = await plainRxjs();
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
    method: 'median over rounds of (1 - runtime/plain), each round running both back to back',
    goal: 'overheadPercent < 30',
    pass: overheadPct < 30,
    samples: { plain: plain.map(Math.round), runtime: engine.map(Math.round), unfused: unfused.map(Math.round) },
  };
  await writeResult('engine-overhead', figures);
  return figures;
}
