/**
 * The congestion signal of a sink driver with `when_full: block` (rule 1 of docs/storage.md,
 * "Backpressure"): congested when its memory buffer reaches `max_events`, clear again once it
 * has drained to half, so pausable sources upstream resume in long strides, not per event.
 */

import type { SinkDriverSettings } from '../../core/sinkDriverConfig.js';

/**
 * Whether a driver with these settings reports congestion: `when_full: block`, or a disk tier
 * behind the memory buffer (pausable sources pause at memory-full, before anything spills; only
 * live sources make the disk buffer grow).
 */
export function reportsCongestion(settings: SinkDriverSettings): boolean {
  return settings.whenFull === 'block' || settings.bufferType === 'disk';
}

/** Receives each change of a sink's congestion, from the driver's call stack. */
export type CongestionListener = (congested: boolean) => void;

export class Congestion {
  #congested = false;
  readonly #high: number;
  readonly #low: number;
  readonly #listener: CongestionListener;

  /**
   * @param bufferMax The buffer's `max_events`: congested at this depth.
   * @param listener Told `true` when it becomes congested, `false` when it clears.
   */
  constructor(bufferMax: number, listener: CongestionListener) {
    this.#high = bufferMax;
    this.#low = Math.floor(bufferMax / 2);
    this.#listener = listener;
  }

  get congested(): boolean {
    return this.#congested;
  }

  /** The buffer's depth after a push or a take. */
  update(depth: number): void {
    if (this.#congested ? depth > this.#low : depth < this.#high) return;
    this.#congested = !this.#congested;
    this.#listener(this.#congested);
  }

  /** The driver stopped taking input (drained, timed out, unsubscribed): never congested again. */
  clear(): void {
    if (!this.#congested) return;
    this.#congested = false;
    this.#listener(false);
  }
}
