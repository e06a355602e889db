/**
 * Settings every sink node accepts besides its own: the bounded buffer, batching, retry and
 * the flush deadline of the generic sink driver (`src/pipelines/sinkDriver/writeBatches.ts`).
 */
import { z } from 'zod';
import { byteSize, duration } from './units.js';

export const WHEN_FULL = ['drop_oldest', 'drop_newest', 'latest_per_key', 'block'] as const;
export type WhenFull = (typeof WHEN_FULL)[number];

export const BUFFER_TYPES = ['memory', 'disk'] as const;
export type BufferType = (typeof BUFFER_TYPES)[number];

export const FSYNC_POLICIES = ['always', 'batch', 'never'] as const;
/** When the disk buffer calls fsync: a policy, or at most once per this many milliseconds. */
export type FsyncPolicy = (typeof FSYNC_POLICIES)[number] | number;

export const SinkDriverConfig = z.strictObject({
  buffer: z
    .strictObject({
      type: z
        .enum(BUFFER_TYPES)
        .describe(
          '`memory`: events wait in memory only. `disk`: when the memory buffer (`max_events`) is full, events spill to checksummed segment files under `.chatflow/buffers/<node id>/` (next to the pipeline file), are written to the sink in order when it catches up, and survive a crash or restart (replayed at the next start). Default `memory`; `disk` for `postgres`. See docs/storage.md, "Disk buffer".',
        ),
      max_events: z
        .number()
        .int()
        .positive()
        .describe('Events held in memory while the sink is busy or disconnected; beyond it `when_full` applies (with `type: disk`, events spill to disk first).'),
      when_full: z
        .enum(WHEN_FULL)
        .describe(
          'What to do when the buffer is full: drop the oldest event, the newest (incoming) one, or, with `latest_per_key`, every older event of the same key (variable, metric) so only the newest value per key waits. `block` drops nothing from sources that can wait: the sink is congested and every pausable source feeding it (simulate, replay) pauses until the buffer has drained to half; events that still arrive (live chat) are held up to twice `max_events`, and only beyond that dropped as `buffer_full`. With `type: disk` it applies only when the disk buffer is full too (`drop_oldest` then drops the oldest whole segment file, `block` and `drop_newest` the newest event); the pausable sources pause at memory-full whatever it says; `latest_per_key` cannot be combined with `disk`.',
        ),
      max_size: byteSize().describe(
        'With `type: disk`: the most the segment files may take on disk, such as `1GiB` or `500MB`. Beyond it (or when the disk itself is full) `when_full` applies and the drops are counted as `disk_full`. Default `1GiB`.',
      ),
      fsync: z
        .union([z.enum(FSYNC_POLICIES), duration()])
        .describe(
          'With `type: disk`: when written segments are forced to the disk (`fsync`). `always`: after every write (events arriving meanwhile are written together next); `batch`: when a segment file is full and at stop; `never`: left to the operating system; a duration such as `1s` (the default): at most once per interval. A crash of chatflow loses nothing the operating system was handed in any case; fsync protects against a crash of the machine.',
        ),
    })
    .partial()
    .superRefine((buffer, ctx) => {
      if (buffer.type === 'disk' && buffer.when_full === 'latest_per_key') {
        ctx.addIssue({
          code: 'custom',
          path: ['when_full'],
          message: '`latest_per_key` keeps only the newest value per key in memory; it cannot be combined with `type: disk`.',
        });
      }
    })
    .optional()
    .describe(
      'The bounded buffer in front of the sink, in memory or in memory then on disk (`type`): `max_events`, and `when_full`, what happens when it is full (`drop_oldest`, `drop_newest`, `latest_per_key`, or `block`: pause the sources that can wait, such as simulate and replay, instead of dropping; see docs/storage.md#backpressure and #disk-buffer).',
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
    .describe(
      'At shutdown, how long the sink may take to write what it holds before it is dropped (with `buffer.type: disk`, kept on disk for the next start instead).',
    ),
});
export type SinkDriverConfig = z.output<typeof SinkDriverConfig>;

/**
 * With `when_full: block`, how far past `max_events` the buffer holds what arrives while the
 * sink is congested (live sources cannot be paused) before it drops the newest as `buffer_full`.
 */
export const BLOCK_HARD_CAP_FACTOR = 2;

/** The driver settings with every field filled in. */
export interface SinkDriverSettings {
  readonly bufferType: BufferType;
  readonly bufferMax: number;
  readonly whenFull: WhenFull;
  /** `type: disk`: the most bytes of segment files. */
  readonly diskMaxBytes: number;
  readonly diskFsync: FsyncPolicy;
  readonly batchMax: number;
  readonly batchTimeoutMs: number;
  readonly retryAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly flushTimeoutMs: number;
}

export const DEFAULT_SINK_DRIVER: SinkDriverSettings = {
  bufferType: 'memory',
  bufferMax: 10_000,
  whenFull: 'drop_oldest',
  diskMaxBytes: 2 ** 30,
  diskFsync: 1000,
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
  const whenFull = config.buffer?.when_full ?? d.whenFull;
  // A component's disk default meeting a user's `latest_per_key` (refused only when both are
  // written on the node): conflation wins and the buffer stays in memory.
  const bufferType = config.buffer?.type ?? (whenFull === 'latest_per_key' ? 'memory' : d.bufferType);
  return {
    bufferType,
    bufferMax: config.buffer?.max_events ?? d.bufferMax,
    whenFull,
    diskMaxBytes: config.buffer?.max_size ?? d.diskMaxBytes,
    diskFsync: config.buffer?.fsync ?? d.diskFsync,
    batchMax: config.batch?.max_events ?? d.batchMax,
    batchTimeoutMs: config.batch?.timeout ?? d.batchTimeoutMs,
    retryAttempts: config.retry?.attempts ?? d.retryAttempts,
    initialBackoffMs: config.retry?.initial_backoff ?? d.initialBackoffMs,
    maxBackoffMs: config.retry?.max_backoff ?? d.maxBackoffMs,
    flushTimeoutMs: config.flush_timeout ?? d.flushTimeoutMs,
  };
}
