/**
 * `blackhole`: counts events and discards them, for benchmarks and tests.
 */
import { asyncScheduler } from 'rxjs';
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { duration } from '../core/units.js';

export const BlackholeConfig = z
  .strictObject({
    print_every: duration()
      .optional()
      .describe('Log the running count and rate (at `info`) at most this often, and once at stop. Unset: never.'),
  })
  .describe('Counts events and discards them.');
export type BlackholeConfig = z.output<typeof BlackholeConfig>;

/** Collaborators of {@link BlackholeSink}. */
export interface BlackholeDeps {
  /** Clock (ms) for `print_every`; default `asyncScheduler.now()`, the node's scheduler in a pipeline. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/**
 * Accepts every batch synchronously and only counts it: the cheapest possible sink, so a
 * benchmark measures the pipeline, not the output.
 */
export class BlackholeSink implements Sink<ChatflowEvent> {
  readonly #every: number | undefined;
  readonly #now: () => number;
  readonly #log: Logger;
  #events = 0;
  #batches = 0;
  #lastPrintAt: number;
  #lastPrintEvents = 0;

  constructor(config: BlackholeConfig, deps: BlackholeDeps = {}) {
    this.#every = config.print_every;
    this.#now = deps.now ?? (() => asyncScheduler.now());
    this.#log = deps.logger ?? silentLogger();
    this.#lastPrintAt = this.#now();
  }

  /** Events received so far. */
  get events(): number {
    return this.#events;
  }

  /** Writes (batches) received so far. */
  get batches(): number {
    return this.#batches;
  }

  write(batch: readonly ChatflowEvent[]): void {
    this.#events += batch.length;
    this.#batches += 1;
    if (this.#every !== undefined && this.#now() - this.#lastPrintAt >= this.#every) this.#print();
  }

  async stop(): Promise<void> {
    if (this.#every !== undefined) this.#print();
  }

  #print(): void {
    const now = this.#now();
    const seconds = (now - this.#lastPrintAt) / 1000;
    const recent = this.#events - this.#lastPrintEvents;
    const perSecond = seconds > 0 ? Math.round(recent / seconds) : 0;
    this.#log.info({ events: this.#events, batches: this.#batches, perSecond }, 'Blackhole count.');
    this.#lastPrintAt = now;
    this.#lastPrintEvents = this.#events;
  }
}

export const blackholeComponent = defineSink({
  type: 'blackhole',
  summary: 'Counts events and discards them, for benchmarks and tests.',
  config: BlackholeConfig,
  examples: ['print_every: 10s', 'print_every: 1s'],
  create: (config, ctx) =>
    new BlackholeSink(config, { now: () => ctx.scheduler.now(), logger: ctx.logger }),
  // Sends nothing anywhere.
  preview: () => ({ write: () => {} }),
});
