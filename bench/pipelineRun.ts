/** Runs a pipeline file to completion (its sources are finite) and reports events/s. */
import { tmpdir } from 'node:os';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';

export interface PipelineRunResult {
  readonly eventsPerSec: number;
  readonly elapsedMs: number;
  readonly nodes: readonly NodeMetricsSnapshot[];
}

/**
 * @param file A pipeline whose sources end by themselves (`simulate` with `count`).
 * @param events How many events the source emits, for the rate.
 */
export async function runPipelineFile(file: string, events: number): Promise<PipelineRunResult> {
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
  const started = performance.now();
  const running = await startPipeline(graph, {
    logger: silentLogger(),
    resources: { baseDir: tmpdir(), instance: 'bench' },
  });
  await running.finished;
  const elapsedMs = performance.now() - started;
  await running.stop();
  return { eventsPerSec: (events / elapsedMs) * 1000, elapsedMs, nodes: running.snapshot() };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
