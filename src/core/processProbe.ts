/**
 * What `sample_metrics` reads of the process (memory, CPU, event-loop lag, GC pauses), as an
 * interface in core so that a run can hand it another probe through `resources.services`:
 * the virtual-time harness (src/testing/) gives a fixed one, so its results are the same
 * on every machine and every run.
 */
import type { HistogramSummary } from './events.js';
import { serviceKey } from './services.js';

/** One reading of the process, covering the interval since the previous reading. */
export interface ProcessSample {
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** V8 heap in use, bytes. */
  readonly heapUsedBytes: number;
  /** CPU time (user + system) over wall time since the last reading, in percent of one core. */
  readonly cpuPercent: number;
  /** Event-loop delay over the interval, ms. */
  readonly eventLoopLagMs: HistogramSummary;
  /** Garbage-collection pauses over the interval, ms. */
  readonly gcPauseMs: HistogramSummary;
}

/** Reads the process; one per `sample_metrics` subscription. */
export interface ProcessProbe {
  /** Reads the process and starts a new interval. */
  sample(): ProcessSample;
  /** Stops the monitors; idempotent. */
  close(): void;
}

/** Makes a probe when a `sample_metrics` subscription starts. */
export type ProcessProbeFactory = () => ProcessProbe;

/** A probe factory in `resources.services` replaces the real probe of every `sample_metrics`. */
export const PROCESS_PROBE = serviceKey<ProcessProbeFactory>('process_probe');
