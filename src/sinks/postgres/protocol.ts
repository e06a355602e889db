/**
 * What the `postgres` sink's main side and its writer thread (writerThread.ts) say to each
 * other. Plain data: every message crosses by structured clone (a slice's typed arrays are
 * transferred).
 */
import type { PostgresConfig } from './config.js';
import type { PackedSlice } from './wire.js';

/** Everything the writer thread needs to start (its `workerData`). */
export interface WriterInit {
  readonly url: string;
  readonly applicationName: string;
  readonly config: Pick<PostgresConfig, 'connections' | 'kinds' | 'question_commands'>;
  readonly instance: string;
}

export type ToWriter =
  | { readonly t: 'start' }
  /**
   * The next slice of batch `batch`'s `total` events, packed (wire.ts); a batch is posted in
   * slices between turns of the main loop, and encoded as they come. `now`: the main side's
   * wall clock (ms), the time of rows without one of their own.
   */
  | { readonly t: 'events'; readonly batch: number; readonly total: number; readonly now: number; readonly packed: PackedSlice }
  /** Every slice of batch `batch` has been posted: answer once its parts are written. */
  | { readonly t: 'batch'; readonly batch: number }
  /** Forget the slices of batch `batch` (one of them could not be posted). */
  | { readonly t: 'discard'; readonly batch: number }
  | { readonly t: 'stop' };

/** An error as plain data. */
export interface ErrorData {
  readonly message: string;
  readonly code?: string;
}

/** What encoding a batch counted: values cleaned, events of kinds not stored. */
export interface EncodeCounts {
  readonly stored: number;
  readonly cleaned: number;
  readonly notStored: number;
}

export type FromWriter =
  | { readonly t: 'started' }
  | { readonly t: 'startFailed'; readonly error: ErrorData }
  | ({ readonly t: 'written'; readonly batch: number; readonly inserted: number; readonly restaged: number } & EncodeCounts)
  /** `retryable`: reconnect and retry; otherwise PostgreSQL rejected the data. */
  | ({ readonly t: 'failed'; readonly batch: number; readonly retryable: boolean; readonly error: ErrorData } & EncodeCounts)
  | { readonly t: 'log'; readonly level: 'info' | 'warn'; readonly details: Record<string, unknown>; readonly message: string }
  | { readonly t: 'stopped' };
