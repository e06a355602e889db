/**
 * What held this process's main thread back over a bench window: its event-loop delay
 * (`monitorEventLoopDelay`, 1 ms resolution) and its garbage collections (`gc` performance
 * entries, durations in ms). Started at the window's start, stopped at its end.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface MainThreadWindow {
  /** Event-loop delay percentiles and maximum, ms. */
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Each collection's pause, ms. */
  readonly gcPauses: readonly number[];
}

export function watchMainThread(): { stop(): MainThreadWindow } {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const gcPauses: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  loop.enable();
  return {
    stop: () => {
      loop.disable();
      gc.disconnect();
      return { loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 }, gcPauses };
    },
  };
}
