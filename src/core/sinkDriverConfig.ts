/**
 * Settings every sink node accepts besides its own: the bounded buffer, batching, retry and
 * the flush deadline of the generic sink driver (`src/pipelines/sinkDriver/writeBatches.ts`).
 */
import { z } from 'zod';
import { duration } from './units.js';

export const WHEN_FULL = ['drop_oldest', 'drop_newest', 'latest_per_key', 'block'] as const;
export type WhenFull = (typeof WHEN_FULL)[number];

export const SinkDriverConfig = z.strictObject({
  buffer: z
    .strictObject({
      max_events: z
        .number()
        .int()
        .positive()
        .describe('Events held while the sink is busy or disconnected; beyond it `when_full` applies.'),
      when_full: z
        .enum(WHEN_FULL)
        .describe(
          'What to do when the buffer is full: drop the oldest event, the newest (incoming) one, or, with `latest_per_key`, every older event of the same key (variable, metric) so only the newest value per key waits. `block` drops nothing from sources that can wait: the sink is congested and every pausable source feeding it (simulate, replay) pauses until the buffer has drained to half; events that still arrive (live chat) are held up to twice `max_events`, and only beyond that dropped as `buffer_full`.',
        ),
    })
    .partial()
    .optional()
    .describe(
      'The bounded buffer in front of the sink: `max_events`, and `when_full`, what happens when it is full (`drop_oldest`, `drop_newest`, `latest_per_key`, or `block`: pause the sources that can wait, such as simulate and replay, instead of dropping; see docs/storage.md#backpressure).',
    ),
  batch: z
    .strictObject({
      max_events: z.number().int().positive().describe('Most events handed to one write.'),
      timeout: duration().describe(
        'How long a partial batch may wait for more events; `0ms` writes as soon as the sink is idle.',
      ),
    })
    .partial()
    .optional()
    .describe('Batching of writes.'),
  retry: z
    .strictObject({
      attempts: z
        .number()
        .int()
        .nonnegative()
        .describe('Retries of a failed batch before it is dropped (and counted).'),
      initial_backoff: duration().describe('Wait before the first retry; doubles each time.'),
      max_backoff: duration().describe('Longest wait between retries.'),
    })
    .partial()
    .optional()
    .describe('Retry of failed writes, with capped exponential backoff.'),
  flush_timeout: duration()
    .optional()
    .describe('At shutdown, how long the sink may take to write what it holds before it is dropped.'),
});
export type SinkDriverConfig = z.output<typeof SinkDriverConfig>;

/**
 * With `when_full: block`, how far past `max_events` the buffer holds what arrives while the
 * sink is congested (live sources cannot be paused) before it drops the newest as `buffer_full`.
 */
export const BLOCK_HARD_CAP_FACTOR = 2;

/** The driver settings with every field filled in. */
export interface SinkDriverSettings {
  readonly bufferMax: number;
  readonly whenFull: WhenFull;
  readonly batchMax: number;
  readonly batchTimeoutMs: number;
  readonly retryAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly flushTimeoutMs: number;
}

export const DEFAULT_SINK_DRIVER: SinkDriverSettings = {
  bufferMax: 10_000,
  whenFull: 'drop_oldest',
  batchMax: 100,
  batchTimeoutMs: 0,
  retryAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 10_000,
  flushTimeoutMs: 5_000,
};

/** Fills a node's driver settings from the component's defaults, then chatflow's. */
export function resolveSinkDriver(
  config: SinkDriverConfig,
  componentDefaults: Partial<SinkDriverSettings> = {},
): SinkDriverSettings {
  const d = { ...DEFAULT_SINK_DRIVER, ...componentDefaults };
  return {
    bufferMax: config.buffer?.max_events ?? d.bufferMax,
    whenFull: config.buffer?.when_full ?? d.whenFull,
    batchMax: config.batch?.max_events ?? d.batchMax,
    batchTimeoutMs: config.batch?.timeout ?? d.batchTimeoutMs,
    retryAttempts: config.retry?.attempts ?? d.retryAttempts,
    initialBackoffMs: config.retry?.initial_backoff ?? d.initialBackoffMs,
    maxBackoffMs: config.retry?.max_backoff ?? d.maxBackoffMs,
    flushTimeoutMs: config.flush_timeout ?? d.flushTimeoutMs,
  };
}
