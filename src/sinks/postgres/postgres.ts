/**
 * `postgres`: history and analytics in PostgreSQL (docs/storage.md), with `thread: main`: the
 * batch is encoded (batchEncoder.ts) and written (copyWriter.ts) on the main event loop. A batch
 * is split into parts, one per connection, each part one transaction of COPYs straight into the
 * tables; the next part is encoded while the first is being written. A part holding a row that
 * is already stored (a retry whose first commit did land, a reingest, a duplicate inside the
 * batch) fails on the unique key as a whole; it is then rolled back and written again through
 * TEMP staging tables and `INSERT … SELECT … ON CONFLICT DO NOTHING`, so a retried batch never
 * duplicates a row and the common case pays for nothing but the COPY. `thread: worker` (the
 * default) is workerSink.ts.
 */
import type { Sink } from '../../core/component.js';
import { NotConnectedError, SinkWriteError } from '../../core/errors.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { DropCounter } from '../../core/metrics.js';
import { BatchEncoder, EncodeTally } from './batchEncoder.js';
import type { PostgresConfig } from './config.js';
import { type BatchOutcome, CopyWriter, type PostgresClient, writtenThenReleased } from './copyWriter.js';
import { appendDeadLetters } from './deadLetter.js';

/** Events encoded per turn of the event loop (about 0.1 ms of work). */
const ENCODE_SLICE = 100;
const nextTurn = () => new Promise<void>((resolveTurn) => setImmediate(resolveTurn));

/** Collaborators of {@link PostgresSink}. */
export interface PostgresDeps {
  /** Opens a connected client (`resources.postgres.url`). */
  readonly connect: () => Promise<PostgresClient>;
  /** This process's instance id, stored on every row. */
  readonly instance: string;
  /** Absolute path of the dead-letter file. */
  readonly deadLetterPath: string;
  readonly drops?: DropCounter;
  /** Where `cleaned_text` is counted (values cleaned, not dropped); the node's metrics. */
  readonly counts?: { count(name: string, n: number): void };
  readonly logger?: Logger;
  /** Wall clock (ms) for rows without a time of their own: the context's `wallClock`. */
  readonly now: () => number;
}

/**
 * Writes batches of events to PostgreSQL with COPY and an idempotent insert; a lost connection
 * is a `NotConnectedError` (the driver reconnects through `start` and retries), a row the
 * database rejects is a `SinkWriteError` (the batch goes straight to the dead-letter file).
 */
export class PostgresSink implements Sink<ChatflowEvent> {
  readonly #id: string;
  readonly #deps: PostgresDeps;
  readonly #log: Logger;
  readonly #encoder: BatchEncoder;
  readonly #tally: EncodeTally;
  readonly #writer: CopyWriter;
  /** Rows inserted (not counting rows that were already there). */
  inserted = 0;
  /** Events whose rows were written (whether or not they were new). */
  written = 0;
  /** Batch parts that met rows already stored and were written again through staging. */
  restaged = 0;

  constructor(id: string, config: PostgresConfig, deps: PostgresDeps) {
    this.#id = id;
    this.#deps = deps;
    this.#log = deps.logger ?? silentLogger();
    const rows = { instance: deps.instance, questionCommands: new Set(config.question_commands), now: deps.now };
    this.#encoder = new BatchEncoder(config.kinds, rows);
    this.#tally = new EncodeTally({ ...deps, logger: this.#log });
    this.#writer = new CopyWriter(deps.connect, config.connections, this.#log);
  }

  /** Text values cleaned (NUL removed, lone surrogates replaced) so PostgreSQL could hold them. */
  get cleaned(): number {
    return this.#tally.cleaned;
  }

  async start(): Promise<void> {
    try {
      await this.#writer.start();
    } catch (err) {
      throw new NotConnectedError(this.#id, { cause: err });
    }
  }

  async write(batch: readonly ChatflowEvent[]): Promise<void> {
    if (!this.#writer.ready) throw new NotConnectedError(this.#id);
    const writes: ReturnType<CopyWriter['writePart']>[] = [];
    const encoding = this.#encoder.begin(batch.length, this.#writer.connections, (index, text) => {
      writes.push(writtenThenReleased(this.#writer, index, text));
    });
    for (let from = 0; from < batch.length; from += ENCODE_SLICE) {
      // Encoding a whole batch at once would hold the event loop for milliseconds; the OSC
      // path shares it. A part starts writing as soon as it is encoded.
      if (from > 0) await nextTurn();
      encoding.add(batch, from, Math.min(batch.length, from + ENCODE_SLICE));
    }
    const counts = encoding.finish();
    this.#tally.add(counts);
    const outcome = await this.#writer.settle(writes);
    this.#settled(outcome, counts.stored);
  }

  /** Counts a written batch, or throws what the driver should do with a failed one. */
  #settled(outcome: BatchOutcome, stored: number): void {
    if (!outcome.ok) throw outcomeError(this.#id, outcome);
    this.inserted += outcome.inserted;
    this.written += stored;
    if (outcome.restaged > 0) {
      this.restaged += outcome.restaged;
      this.#deps.counts?.count('batches_restaged', outcome.restaged);
    }
  }

  /**
   * The dead-letter hook: appends the batch the driver gave up on to the JSONL file, one event
   * per line, for `chatflow reingest`.
   */
  async deadLetter(batch: readonly ChatflowEvent[], err: Error): Promise<void> {
    const path = this.#deps.deadLetterPath;
    await appendDeadLetters(path, batch);
    this.#log.error({ err, events: batch.length, path }, 'Batch written to the dead-letter file.');
  }

  async stop(): Promise<void> {
    await this.#writer.stop();
    if (this.#tally.cleaned > 0) this.#log.info({ cleaned: this.#tally.cleaned }, 'Cleaned text values.');
  }
}

/** A failed batch as the driver's error: retried after a reconnect, or dead-lettered at once. */
export function outcomeError(id: string, outcome: Extract<BatchOutcome, { ok: false }>): Error {
  if (outcome.retryable) return new NotConnectedError(id, { cause: outcome.error });
  const message = (outcome.error as { message?: unknown } | undefined)?.message;
  return new SinkWriteError(id, `PostgreSQL rejected a batch: ${String(message)}`, { cause: outcome.error });
}
