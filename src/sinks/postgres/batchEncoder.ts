/**
 * The `postgres` sink's encoding side: a batch's events into COPY text parts (rows.ts), one
 * part per connection, each handed on as soon as its last event is encoded so it is written
 * while the next one is encoded; and the tally of what encoding counts (values cleaned, events
 * of kinds not stored). On the main thread with `thread: main`; in the writer thread with
 * `thread: worker`, fed slice by slice as the main side posts them.
 */
import type { ChatflowEvent } from '../../core/events.js';
import type { DropCounter } from '../../core/metrics.js';
import { BufferPool } from './bufferPool.js';
import type { EncodeCounts } from './protocol.js';
import { CopyEncoder, CopyText, encodeRows, type RowOptions } from './rows.js';
import type { PackedReader } from './wire.js';

/** The fewest events worth a part (and a transaction) of their own. */
const MIN_PART = 200;
/**
 * The most events a part holds when a batch has more than one per connection: a large batch
 * (the driver's when PostgreSQL is behind) goes out as parts of this size taken in turn by the
 * connections, so they write its first parts while its last ones are still coming and encoding.
 */
export const PART_EVENTS = 2500;

/**
 * Takes part `index` of a batch, encoded. Its text's buffers come from the encoder's pool:
 * `text.release()` once the part is written gives them back for the next part.
 */
export type OnPart = (index: number, text: CopyText) => void;

/** Encodes batches; one per sink (its time formatting is reused from batch to batch). */
export class BatchEncoder {
  readonly #kinds: ReadonlySet<string>;
  readonly #rows: RowOptions;
  readonly #encoder = new CopyEncoder();
  readonly #pool = new BufferPool();

  constructor(kinds: readonly string[], rows: RowOptions) {
    this.#kinds = new Set(kinds);
    this.#rows = rows;
  }

  /**
   * Starts a batch of `total` events, split in parts of at least 200 events each: up to one per
   * connection, or more of up to {@link PART_EVENTS} when the batch is larger than that per
   * connection (part `i` goes to connection `i % connections`); give it the events in order
   * with {@link BatchEncoding.add}.
   */
  begin(total: number, connections: number, onPart: OnPart): BatchEncoding {
    const parts = Math.max(1, Math.min(Math.floor(total / MIN_PART), Math.max(connections, Math.ceil(total / PART_EVENTS))));
    return new BatchEncoding(
      total,
      Math.ceil(total / parts),
      onPart,
      (events, from, to, text) => encodeRows(events, from, to, this.#kinds, this.#encoder, this.#rows, text),
      () => this.#encoder.cleaned,
      this.#pool,
      (reader, n, text) => reader.encode(n, this.#kinds, this.#encoder, this.#rows, text),
    );
  }

  /** Values cleaned since creation (the encoder's count). */
  get cleaned(): number {
    return this.#encoder.cleaned;
  }
}

type Encode = (events: readonly ChatflowEvent[], from: number, to: number, text: CopyText) => number;
/** Encodes the reader's next `n` events. */
type EncodePacked = (reader: PackedReader, n: number, text: CopyText) => number;

/** One batch being encoded, part after part. */
export class BatchEncoding {
  readonly #total: number;
  readonly #size: number;
  readonly #onPart: OnPart;
  readonly #encode: Encode;
  #index = 0;
  readonly #pool: BufferPool | undefined;
  #text: CopyText;
  #seen = 0;
  #stored = 0;
  readonly #cleanedBefore: number;
  readonly #cleaned: () => number;
  readonly #encodePacked: EncodePacked | undefined;

  constructor(
    total: number,
    size: number,
    onPart: OnPart,
    encode: Encode,
    cleaned: () => number = () => 0,
    pool?: BufferPool,
    encodePacked?: EncodePacked,
  ) {
    this.#total = total;
    this.#pool = pool;
    this.#text = new CopyText(pool);
    this.#size = size;
    this.#onPart = onPart;
    this.#encode = encode;
    this.#cleaned = cleaned;
    this.#cleanedBefore = cleaned();
    this.#encodePacked = encodePacked;
  }

  /** Encodes `events[from, to)`, the batch's next events; a part whose last event this was is handed on. */
  add(events: readonly ChatflowEvent[], from = 0, to = events.length): void {
    let i = from;
    this.#feed(to - from, (n) => {
      this.#encode(events, i, i + n, this.#text);
      i += n;
    });
  }

  /** Encodes the events of a packed slice (wire.ts), the batch's next events, as {@link add} does. */
  addPacked(reader: PackedReader): void {
    const encode = this.#encodePacked;
    if (encode === undefined) throw new Error('This batch encoding takes no packed slices.');
    this.#feed(reader.length, (n) => encode(reader, n, this.#text));
  }

  /** Gives `count` events to `encode` part by part, handing on each part whose last event it gave. */
  #feed(count: number, encode: (n: number) => void): void {
    let left = count;
    while (left > 0) {
      const partEnd = Math.min(this.#total, (this.#index + 1) * this.#size);
      // More events than announced go into the last part rather than nowhere.
      const take = partEnd > this.#seen ? Math.min(left, partEnd - this.#seen) : left;
      encode(take);
      left -= take;
      this.#seen += take;
      if (this.#seen === partEnd) this.#closePart();
    }
  }

  /** Hands on what is left, and says what the batch counted. */
  finish(): EncodeCounts {
    if (!this.#text.empty || this.#text.stored > 0) this.#closePart();
    return { stored: this.#stored, cleaned: this.#cleaned() - this.#cleanedBefore, notStored: this.#seen - this.#stored };
  }

  #closePart(): void {
    const text = this.#text;
    this.#stored += text.stored;
    if (!text.empty) this.#onPart(this.#index, text);
    this.#index += 1;
    this.#text = new CopyText(this.#pool);
  }
}

export interface TallyDeps {
  readonly drops?: DropCounter | undefined;
  /** Where `cleaned_text` is counted (values cleaned, not dropped); the node's metrics. */
  readonly counts?: { count(name: string, n: number): void } | undefined;
  readonly logger?: { warn(details: Record<string, unknown>, message: string): void } | undefined;
}

/** Counts what encoding batches counted on the node: `cleaned_text`, `kind_not_stored`; warns once. */
export class EncodeTally {
  readonly #deps: TallyDeps;
  #warned = false;
  /** Text values cleaned (NUL removed, lone surrogates replaced) so PostgreSQL could hold them. */
  cleaned = 0;

  constructor(deps: TallyDeps) {
    this.#deps = deps;
  }

  add(counts: EncodeCounts): void {
    if (counts.cleaned > 0) {
      this.cleaned += counts.cleaned;
      this.#deps.counts?.count('cleaned_text', counts.cleaned);
      if (!this.#warned) {
        this.#warned = true;
        this.#deps.logger?.warn({}, 'Cleaned text PostgreSQL cannot hold (NUL, lone surrogates); counted as cleaned_text.');
      }
    }
    if (counts.notStored > 0) this.#deps.drops?.drop('kind_not_stored', true, counts.notStored);
  }
}
