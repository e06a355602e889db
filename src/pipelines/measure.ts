/**
 * The metrics contract applied from outside: wraps a node's input so every event is counted and
 * a sample of them timed, without the component writing any code for it.
 */
import type { ChatflowEvent } from '../core/events.js';
import type { NodeMetrics } from '../core/metrics.js';
import type { InputWrapper } from './ports.js';

/**
 * Time one event in `mask + 1` (a power of two) at least: two clock reads per event would cost
 * ~10% on a desktop, and more where reading the clock is a system call (a clock read cost about
 * 200 ns on the VM the benches run on, more than a filter node's whole per-event work).
 */
export const SAMPLE_MASK = 63;

/** The widest sampling: one event in this many + 1, at a million events a second and up. */
export const MAX_SAMPLE_MASK = 1023;

/** Samples closer than this (ms of the clock) widen the sampling; 4 × this apart reset it. */
export const SAMPLE_SPACING_MS = 1;

/**
 * The next mask of a count-based sampler that has just started a sample `gapMs` after its
 * previous one: twice as wide while samples come less than {@link SAMPLE_SPACING_MS} apart (up
 * to `max`, {@link MAX_SAMPLE_MASK}), back to `min` ({@link SAMPLE_MASK}) once they come 4 × that
 * apart.
 * So a node timing a million events a second takes about a thousand samples a second (not
 * 15,000, each two clock reads), and one at chat rates still times one event in 64; after a burst
 * at most `MAX_SAMPLE_MASK` events pass before it does again.
 */
export function adaptMask(mask: number, gapMs: number, min = SAMPLE_MASK, max = MAX_SAMPLE_MASK): number {
  if (gapMs < SAMPLE_SPACING_MS) return mask < max ? mask * 2 + 1 : mask;
  return gapMs >= 4 * SAMPLE_SPACING_MS ? min : mask;
}

/**
 * Measures self time: from an event entering the node to the node's first output (or to the
 * end of its synchronous handling when it emits nothing), excluding what downstream does.
 */
export class ProcessingTimer {
  /** When the running sample started; -1 when none is running. Read inline on the hot path. */
  start = -1;
  /** The event whose count `& mask` is 0 is timed ({@link adaptMask}). Read inline on the hot path. */
  mask = SAMPLE_MASK;
  #lastStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly metrics: NodeMetrics,
    private readonly clock: () => number,
  ) {}

  /** An input wrapper that counts every event in and times a sample of them. */
  readonly wrapInput: InputWrapper = (downstream) => {
    const metrics = this.metrics;
    return (event) => {
      const n = ++metrics.eventsIn;
      if ((n & this.mask) !== 0) {
        downstream.next(event);
        return;
      }
      this.begin();
      downstream.next(event);
      this.outputSeen();
    };
  };

  /** Starts a sample now (the caller counted the event and found it due). */
  begin(): void {
    const now = this.clock();
    this.mask = adaptMask(this.mask, now - this.#lastStart);
    this.#lastStart = now;
    this.start = now;
  }

  /** Called before an output is dispatched: closes a running sample. */
  outputSeen(): void {
    if (this.start < 0) return;
    this.metrics.processing.record(this.clock() - this.start);
    this.start = -1;
  }
}

/**
 * Samples end-to-end latency at a sink without reading the clock for every event (and the
 * intended delay, `heldMs`, of those that carry one, apart from it): an event is
 * measured when its `receivedAt` is at least {@link LATENCY_SPACING_MS} after the last measured
 * one. At chat rates that is every event; at a million a second, about a thousand a second.
 *
 * Nor does it look at every event in a burst: reading the clock costs ~200 ns on some machines,
 * and `receivedAt` sits at a different offset in each event shape, so reading it is a megamorphic
 * load (a cache miss too, for an event not touched since it was made); together they cost more
 * than the rest of the runtime's per-event work (bench/engineOverhead.ts). It looks at one event
 * in `mask + 1`: every event while the events it looks at arrive 4 ms or more apart (by the
 * clock, not by `receivedAt`, which slew steps share), one in up to {@link LATENCY_MAX_MASK} + 1
 * while they arrive less than 1 ms apart ({@link adaptMask}); after a burst at most that many
 * go by before it looks at every event again.
 */
export const LATENCY_SPACING_MS = 1;

/** The widest latency sampling: one event in this many + 1. */
export const LATENCY_MAX_MASK = 255;

export class LatencySampler {
  /**
   * Events until the next one to look at: a caller on the hot path counts it down itself and
   * calls {@link look} at zero, so the per-event cost is a decrement, without a call.
   */
  skip = 1;
  #mask = 0;
  /** The clock when it last looked. */
  #lookedAt = Number.NEGATIVE_INFINITY;
  /** `receivedAt` of the last event measured. */
  #last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly metrics: NodeMetrics,
    private readonly clock: () => number,
  ) {}

  observe(event: ChatflowEvent): void {
    if (--this.skip === 0) this.look(event);
  }

  /** Looks at `event` (the one {@link skip} counted down to) and measures it if it is due. */
  look(event: ChatflowEvent): void {
    const now = this.clock();
    this.#mask = adaptMask(this.#mask, now - this.#lookedAt, 0, LATENCY_MAX_MASK);
    this.#lookedAt = now;
    this.skip = this.#mask + 1;
    const at = event.receivedAt;
    if (!(at - this.#last >= LATENCY_SPACING_MS)) return;
    this.#last = at;
    const held = event.heldMs;
    if (held === undefined) {
      this.metrics.latency.record(now - at);
      return;
    }
    // Time the pipeline held the event on purpose (a slew step, a vote window) is not latency.
    this.metrics.held.record(held);
    this.metrics.latency.record(Math.max(0, now - at - held));
  }
}

/** A sink's input wrapper: counts every event and samples its end-to-end latency. */
export function sinkInput(metrics: NodeMetrics, clock: () => number): InputWrapper {
  return (downstream) => {
    const latency = new LatencySampler(metrics, clock);
    return (event: ChatflowEvent) => {
      metrics.eventsIn += 1;
      latency.observe(event);
      downstream.next(event);
    };
  };
}
