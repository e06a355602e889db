/**
 * The `postgres` sink's encoding side, on the main thread in both `thread` modes: a batch's
 * events into COPY text parts (rows.ts), one part per connection, with what it counts (values
 * cleaned, events of kinds not stored). In `thread: worker` mode the parts' buffers are what
 * crosses to the writer thread: transferred, not copied, and about half the main thread's cost
 * of cloning the events themselves (bench/postgresThread.ts).
 */
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { DropCounter } from '../../core/metrics.js';
import { CopyEncoder, CopyText, encodeRows, type RowOptions } from './rows.js';

/** Events encoded per turn of the event loop (about 0.1 ms of work). */
const ENCODE_SLICE = 100;
const nextTurn = () => new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
/** The fewest events worth a part (and a transaction) of their own. */
const MIN_PART = 200;

export interface BatchEncoderDeps {
  readonly drops?: DropCounter | undefined;
  /** Where `cleaned_text` is counted (values cleaned, not dropped); the node's metrics. */
  readonly counts?: { count(name: string, n: number): void } | undefined;
  readonly logger?: Logger | undefined;
}

/** Encodes batches into parts; one per sink (it counts what it cleaned since creation). */
export class BatchEncoder {
  readonly #kinds: ReadonlySet<string>;
  readonly #rows: RowOptions;
  readonly #deps: BatchEncoderDeps;
  readonly #log: Logger;
  readonly #encoder = new CopyEncoder();
  #warnedCleaned = false;

  constructor(kinds: readonly string[], rows: RowOptions, deps: BatchEncoderDeps) {
    this.#kinds = new Set(kinds);
    this.#rows = rows;
    this.#deps = deps;
    this.#log = deps.logger ?? silentLogger();
  }

  /** Text values cleaned (NUL removed, lone surrogates replaced) so PostgreSQL could hold them. */
  get cleaned(): number {
    return this.#encoder.cleaned;
  }

  /**
   * Encodes `batch` in up to `connections` parts (of at least 200 events each), giving each to
   * `part` as soon as it is made, so it is written while the next one is encoded. Counts the
   * values cleaned and the events not stored; resolves to the events that gave rows.
   */
  async encode(batch: readonly ChatflowEvent[], connections: number, part: (index: number, text: CopyText) => void): Promise<number> {
    const cleanedBefore = this.#encoder.cleaned;
    const parts = Math.max(1, Math.min(connections, Math.floor(batch.length / MIN_PART)));
    const size = Math.ceil(batch.length / parts);
    let stored = 0;
    for (let p = 0; p < parts; p++) {
      const text = new CopyText();
      const end = Math.min(batch.length, (p + 1) * size);
      // Encoding a whole batch at once would hold the event loop for milliseconds; the OSC
      // path shares it.
      for (let from = p * size; from < end; from += ENCODE_SLICE) {
        if (from > p * size) await nextTurn();
        encodeRows(batch, from, Math.min(end, from + ENCODE_SLICE), this.#kinds, this.#encoder, this.#rows, text);
      }
      stored += text.stored;
      if (!text.empty) part(p, text);
    }
    const cleaned = this.#encoder.cleaned - cleanedBefore;
    if (cleaned > 0) {
      this.#deps.counts?.count('cleaned_text', cleaned);
      if (!this.#warnedCleaned) {
        this.#warnedCleaned = true;
        this.#log.warn({}, 'Cleaned text PostgreSQL cannot hold (NUL, lone surrogates); counted as cleaned_text.');
      }
    }
    if (batch.length > stored) this.#deps.drops?.drop('kind_not_stored', true, batch.length - stored);
    return stored;
  }
}
