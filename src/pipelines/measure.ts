/**
 * The metrics contract applied from outside: wraps a node's input so every event is counted and
 * a sample of them timed, without the component writing any code for it.
 */
import type { ChatflowEvent } from '../core/events.js';
import type { NodeMetrics } from '../core/metrics.js';
import type { InputWrapper } from './ports.js';

/** Time one event in this many (a power of two): two clock reads per event would cost ~10%. */
const SAMPLE_MASK = 63;

/**
 * Measures self time: from an event entering the node to the node's first output (or to the
 * end of its synchronous handling when it emits nothing), excluding what downstream does.
 */
export class ProcessingTimer {
  #start = -1;

  constructor(
    private readonly metrics: NodeMetrics,
    private readonly clock: () => number,
  ) {}

  /** An input wrapper that counts every event in and times a sample of them. */
  readonly wrapInput: InputWrapper = (downstream) => {
    const metrics = this.metrics;
    return (event) => {
      const n = ++metrics.eventsIn;
      if ((n & SAMPLE_MASK) !== 0) {
        downstream.next(event);
        return;
      }
      this.#start = this.clock();
      downstream.next(event);
      this.outputSeen();
    };
  };

  /** Called before an output is dispatched: closes a running sample. */
  outputSeen(): void {
    if (this.#start < 0) return;
    this.metrics.processing.record(this.clock() - this.#start);
    this.#start = -1;
  }
}

/** Record the end-to-end latency of one event in this many at a sink (a power of two). */
const LATENCY_MASK = 3;

/** A sink's input wrapper: counts every event and records the latency of a sample of them. */
export function sinkInput(metrics: NodeMetrics, clock: () => number): InputWrapper {
  return (downstream) => (event: ChatflowEvent) => {
    if ((++metrics.eventsIn & LATENCY_MASK) === 1) metrics.latency.record(clock() - event.receivedAt);
    downstream.next(event);
  };
}
