/**
 * What `sample_metrics` reads of the process itself (memory, CPU, event-loop lag, GC pauses),
 * behind a {@link ProcessProbe} so marble tests pass a fake and stay deterministic.
 */
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { HistogramSummary } from '../../core/events.js';
import { Histogram } from '../../core/histogram.js';
import type { ProcessProbe, ProcessSample } from '../../core/processProbe.js';

export type { ProcessProbe, ProcessProbeFactory, ProcessSample } from '../../core/processProbe.js';

const EMPTY_SUMMARY: HistogramSummary = { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };

/** Event-loop delay histogram resolution, ms: the lag is sampled this often. */
const LOOP_RESOLUTION_MS = 10;

/**
 * A summary of Node's event-loop delay histogram (nanoseconds) in milliseconds. Its readings
 * include the sampling interval itself (an idle loop reads about `resolution`), so that is
 * taken off, as Elastic's and OpenTelemetry's Node agents do.
 */
function loopSummary(h: IntervalHistogram): HistogramSummary {
  const count = h.count;
  if (!count) return EMPTY_SUMMARY;
  const ms = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  return {
    count,
    sum: ms(h.mean) * count,
    p50: ms(h.percentile(50)),
    p95: ms(h.percentile(95)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
  };
}

/**
 * The real probe: `process.memoryUsage()`, `process.cpuUsage()` against `performance.now()`,
 * `perf_hooks.monitorEventLoopDelay` and a `PerformanceObserver` on `gc` entries.
 */
export function realProcessProbe(): ProcessProbe {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const gc = new Histogram();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gc.record(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  let wall = performance.now();
  let closed = false;
  return {
    sample(): ProcessSample {
      const memory = process.memoryUsage();
      const nowCpu = process.cpuUsage();
      const nowWall = performance.now();
      const usedUs = nowCpu.user - cpu.user + (nowCpu.system - cpu.system);
      const wallMs = nowWall - wall;
      cpu = nowCpu;
      wall = nowWall;
      const sample: ProcessSample = {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        cpuPercent: wallMs > 0 ? (usedUs / 1000 / wallMs) * 100 : 0,
        eventLoopLagMs: loopSummary(loop),
        gcPauseMs: gc.count === 0 ? EMPTY_SUMMARY : gc.summary(),
      };
      loop.reset();
      gc.reset();
      return sample;
    },
    close(): void {
      if (closed) return;
      closed = true;
      loop.disable();
      observer.disconnect();
    },
  };
}
