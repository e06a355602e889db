/**
 * What the `postgres` sink's main side and its writer thread (writerThread.ts) say to each
 * other. Plain data; a part's table buffers are transferred, not copied.
 */
import type { TableText } from './rows.js';

/** Everything the writer thread needs to start (its `workerData`). */
export interface WriterInit {
  readonly url: string;
  readonly applicationName: string;
  readonly connections: number;
}

export type ToWriter =
  | { readonly t: 'start' }
  /** Part `index` of batch `batch`: written at once, on connection `index`. */
  | { readonly t: 'part'; readonly batch: number; readonly index: number; readonly tables: readonly TableText[] }
  /** Every part of batch `batch` has been sent: answer `written` or `failed` once they settle. */
  | { readonly t: 'batch'; readonly batch: number }
  | { readonly t: 'stop' };

/** An error as plain data. */
export interface ErrorData {
  readonly message: string;
  readonly code?: string;
}

export type FromWriter =
  | { readonly t: 'started' }
  | { readonly t: 'startFailed'; readonly error: ErrorData }
  | { readonly t: 'written'; readonly batch: number; readonly inserted: number; readonly restaged: number }
  /** `retryable`: reconnect and retry; otherwise PostgreSQL rejected the data. */
  | { readonly t: 'failed'; readonly batch: number; readonly retryable: boolean; readonly error: ErrorData }
  | { readonly t: 'log'; readonly level: 'info' | 'warn'; readonly details: Record<string, unknown>; readonly message: string }
  | { readonly t: 'stopped' };
