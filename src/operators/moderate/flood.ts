/**
 * Stricter limits for `moderate`: for first-time chatters, and for everyone while a spike of
 * first-time chatters (a follow-bot or hate raid) puts the node in strict mode.
 *
 * Strictness is a multiplier on every limit: 1 is normal, 0.5 halves every maximum (caps and
 * symbol ratios, emote and length limits, repeat and copy counts, escalation thresholds). When
 * both apply, the stricter (smaller) one is used.
 */
import { z } from 'zod';
import { duration } from '../../core/units.js';

export const FirstTimeConfig = z
  .strictObject({
    multiplier: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe('Every limit is multiplied by this for a first-time chatter (0.5: half as much caps, emotes, …).'),
    unseen: z
      .boolean()
      .default(false)
      .describe(
        "Also treat as first-time an author this node has not seen since it started (besides the platform's own first-message flag), once `warmup` has passed.",
      ),
    warmup: duration()
      .prefault('5m')
      .describe('With `unseen`: how long after start every author is treated as known, while the node learns who chats.'),
  })
  .describe("Stricter limits for first-time chatters (the platform's first-message flag).");
export type FirstTimeConfig = z.output<typeof FirstTimeConfig>;

export const FloodConfig = z
  .strictObject({
    first_timers: z
      .number()
      .int()
      .min(2)
      .default(10)
      .describe('This many first-time chatters within `window` switch strict mode on.'),
    window: duration().prefault('30s').describe('The window `first_timers` are counted in.'),
    duration: duration()
      .prefault('5m')
      .describe('How long strict mode stays on after the last spike (a new spike extends it).'),
    multiplier: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe('Every limit is multiplied by this for everyone while strict mode is on.'),
  })
  .describe('Flood protection: a spike of first-time chatters turns on strict mode for a while.');
export type FloodConfig = z.output<typeof FloodConfig>;

/**
 * Counts first-time chatters in a sliding window with a ring of their last `threshold` arrival
 * times: a spike is `threshold` arrivals with the oldest of them inside the window.
 */
export class SpikeDetector {
  readonly #times: number[];
  #next = 0;
  #seen = 0;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {
    this.#times = new Array<number>(threshold).fill(0);
  }

  /** Records an arrival at `now`; true when it completes a spike. */
  arrive(now: number): boolean {
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.threshold;
    this.#seen++;
    if (this.#seen < this.threshold) return false;
    const oldest = this.#times[this.#next] as number;
    return now - oldest < this.windowMs;
  }
}
