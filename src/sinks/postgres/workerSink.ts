/**
 * The `postgres` sink with its encoding and writing off the main event loop (`thread: worker`,
 * the default): this side posts each batch's events, in slices, as many per turn of the event
 * loop as its {@link TurnBudget} allows,
 * to a writer thread (writerThread.ts), which encodes them into COPY parts, owns the
 * connections, runs the transactions and restages a part that meets stored rows. Posting a
 * chat event, packed (wire.ts), costs the main loop about a third of encoding it
 * (bench/postgresThread.ts). A write resolves when the thread says the batch committed, so the
 * driver's guarantees hold as they are: one batch at a time, retried with backoff,
 * dead-lettered when PostgreSQL rejects it, drained at shutdown.
 * If the thread dies (a bug, out of memory, `terminate()`), the batch it held fails with
 * `NotConnectedError`; the driver's retry starts a new thread and sends the batch again, and
 * the restaging makes that safe when the old thread's commit did land.
 */
import type { Worker } from 'node:worker_threads';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, SinkWriteError } from '../../core/errors.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { startWorker, type WorkerScript, workerScript } from '../shared/workerScript.js';
import type { PostgresConfig } from './config.js';
import { EncodeTally } from './batchEncoder.js';
import { appendDeadLetters } from './deadLetter.js';
import { outcomeError, type PostgresDeps } from './postgres.js';
import type { ErrorData, FromWriter, ToWriter, WriterInit } from './protocol.js';
import { TurnBudget } from './turnBudget.js';
import { packEvents, transferables } from './wire.js';

/**
 * Events packed and posted at once (about 0.1 ms, 0.45 µs per event: bench/postgresThread.ts);
 * as many slices go per turn of the event loop as its {@link TurnBudget} allows.
 */
const POST_SLICE = 250;
const nextTurn = () => new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
/** How long `stop` waits for the thread to close its connections, ms. */
const STOP_TIMEOUT_MS = 5000;
/** Packages pg may `require` that are not bundled (optional add-ons chatflow does not use). */
const EXTERNAL = ['pg-native', 'pg-cloudflare'];
/**
 * The writer's isolate: V8's default young generation grows to 32 MiB of resident memory under
 * load (a tenth of a show's RSS); batches are short-lived, so a small one scavenges them as
 * well. No old-generation limit: a thread out of memory would lose its batch.
 */
const WRITER_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;

/** Collaborators of {@link PostgresWorkerSink}: the main-thread sink's, with a URL instead of a connect function. */
export interface PostgresWorkerDeps extends Omit<PostgresDeps, 'connect'> {
  /** `resources.postgres.url`. */
  readonly url: string;
  /** The connections' `application_name`. */
  readonly applicationName: string;
  /** A monotonic clock (ms) timing the turns of the event loop spent posting. Default `performance.now`. */
  readonly clock?: () => number;
}

interface Waiting {
  readonly resolve: (value: FromWriter) => void;
  readonly reject: (err: Error) => void;
}

/**
 * The `postgres` sink whose connections live in a worker thread. Same config, counts, drops,
 * logs, dead letters and idempotency as {@link PostgresSink}.
 */
export class PostgresWorkerSink implements Sink<ChatflowEvent> {
  readonly #id: string;
  readonly #deps: PostgresWorkerDeps;
  readonly #log: Logger;
  readonly #init: Omit<WriterInit, 'url' | 'applicationName'>;
  #script: Promise<WorkerScript> | undefined;
  #worker: Worker | undefined;
  #connected = false;
  #stopping = false;
  #nextBatch = 0;
  /** Answers awaited from the thread: `start` (key 0) and each batch (its id). */
  readonly #waiting = new Map<number, Waiting>();
  /** Rows inserted (not counting rows that were already there). */
  inserted = 0;
  /** Events whose rows were written (whether or not they were new). */
  written = 0;
  /** Batch parts that met rows already stored and were written again through staging. */
  restaged = 0;
  /** Writer threads started, the first included. */
  threadsStarted = 0;
  readonly #tally: EncodeTally;
  readonly #clock: () => number;

  constructor(id: string, config: PostgresConfig, deps: PostgresWorkerDeps) {
    this.#id = id;
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => performance.now());
    this.#log = deps.logger ?? silentLogger();
    this.#init = {
      config: { connections: config.connections, kinds: config.kinds, question_commands: config.question_commands },
      instance: deps.instance,
    };
    this.#tally = new EncodeTally({ ...deps, logger: this.#log });
  }

  /** Text values cleaned (NUL removed, lone surrogates replaced) so PostgreSQL could hold them. */
  get cleaned(): number {
    return this.#tally.cleaned;
  }

  /** The writer thread, while one runs. */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  /** Starts the writer thread when none runs, and has it connect. */
  async start(): Promise<void> {
    if (this.#connected && this.#worker) return;
    this.#stopping = false;
    let answer: FromWriter;
    try {
      const worker = this.#worker ?? (await this.#spawn());
      answer = await this.#ask(worker, 0, { t: 'start' });
    } catch (err) {
      throw new NotConnectedError(this.#id, { cause: err });
    }
    if (answer.t === 'startFailed') throw new NotConnectedError(this.#id, { cause: fromData(answer.error) });
    this.#connected = true;
  }

  async write(batch: readonly ChatflowEvent[]): Promise<void> {
    const worker = this.#worker;
    if (!this.#connected || worker === undefined) throw new NotConnectedError(this.#id);
    const id = ++this.#nextBatch;
    // Asked before the events go: a thread that dies meanwhile fails this batch.
    const answered = this.#ask(worker, id);
    answered.catch(() => {});
    const budget = TurnBudget.forBatch(this.#clock, batch.length);
    for (let from = 0; from < batch.length && this.#worker === worker; from += POST_SLICE) {
      // Posting a whole batch at once would hold the event loop for milliseconds.
      if (from > 0 && budget.spent) await budget.next(nextTurn);
      try {
        const packed = packEvents(batch, from, Math.min(batch.length, from + POST_SLICE));
        worker.postMessage({ t: 'events', batch: id, total: batch.length, now: this.#deps.now(), packed } satisfies ToWriter, transferables(packed));
      } catch (err) {
        // An event structured clone cannot copy (a function, a symbol in it): the data's fault.
        this.#waiting.delete(id);
        worker.postMessage({ t: 'discard', batch: id } satisfies ToWriter);
        throw new SinkWriteError(this.#id, `An event cannot be passed to the PostgreSQL writer thread: ${(err as Error).message}`, { cause: err });
      }
    }
    worker.postMessage({ t: 'batch', batch: id } satisfies ToWriter);
    let answer: FromWriter;
    try {
      answer = await answered;
    } catch (err) {
      throw new NotConnectedError(this.#id, { cause: err });
    }
    if (answer.t !== 'written' && answer.t !== 'failed') return;
    this.#tally.add(answer);
    if (answer.t === 'failed') {
      if (answer.retryable) this.#connected = false;
      throw outcomeError(this.#id, { ok: false, retryable: answer.retryable, error: fromData(answer.error) });
    }
    this.inserted += answer.inserted;
    this.written += answer.stored;
    if (answer.restaged > 0) {
      this.restaged += answer.restaged;
      this.#deps.counts?.count('batches_restaged', answer.restaged);
    }
  }

  /** The dead-letter hook: the batch the driver gave up on, appended to the JSONL file. */
  async deadLetter(batch: readonly ChatflowEvent[], err: Error): Promise<void> {
    const path = this.#deps.deadLetterPath;
    await appendDeadLetters(path, batch);
    this.#log.error({ err, events: batch.length, path }, 'Batch written to the dead-letter file.');
  }

  /** Has the thread close its connections, then ends it. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#stopping = true;
    this.#connected = false;
    if (worker !== undefined) {
      const closed = this.#ask(worker, -1, { t: 'stop' });
      const timer = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
      await Promise.race([closed.catch(() => {}), timer]);
      this.#worker = undefined;
      await worker.terminate();
      // A batch abandoned by the driver's deadline never gets its answer now.
      this.#failWaiting(new Error('The PostgreSQL writer thread was stopped.'));
    }
    if (this.#tally.cleaned > 0) this.#log.info({ cleaned: this.#tally.cleaned }, 'Cleaned text values.');
  }

  async #spawn(): Promise<Worker> {
    this.#script ??= workerScript(import.meta.url, 'writerThread', EXTERNAL);
    const script = await this.#script.catch((err: unknown) => {
      this.#script = undefined; // bundle again on the next start
      throw err;
    });
    const init: WriterInit = { ...this.#init, url: this.#deps.url, applicationName: this.#deps.applicationName };
    const worker = startWorker(script, { workerData: init, resourceLimits: WRITER_LIMITS });
    this.threadsStarted += 1;
    worker.on('message', (m: FromWriter) => this.#onMessage(m));
    worker.on('error', (err) => this.#onGone(worker, err));
    worker.on('exit', (code) => this.#onGone(worker, new Error(`The PostgreSQL writer thread exited (code ${code}).`)));
    this.#worker = worker;
    return worker;
  }

  /** Waits for the answer keyed `key` (0: start, -1: stop, else a batch id), posting `message` if given. */
  #ask(worker: Worker, key: number, message?: ToWriter): Promise<FromWriter> {
    return new Promise<FromWriter>((resolve, reject) => {
      this.#waiting.set(key, { resolve, reject });
      if (message) worker.postMessage(message);
    });
  }

  #answer(key: number, message: FromWriter): void {
    const waiting = this.#waiting.get(key);
    this.#waiting.delete(key);
    waiting?.resolve(message);
  }

  #failWaiting(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(err);
  }

  #onMessage(m: FromWriter): void {
    switch (m.t) {
      case 'started':
      case 'startFailed':
        this.#answer(0, m);
        return;
      case 'written':
      case 'failed':
        this.#answer(m.batch, m);
        return;
      case 'stopped':
        this.#answer(-1, m);
        return;
      case 'log':
        if (m.level === 'warn') this.#log.warn(m.details, m.message);
        else this.#log.info(m.details, m.message);
        return;
    }
  }

  /**
   * The thread is gone (an exception, out of memory, terminated): what it held fails, so the
   * driver retries it through a new thread.
   */
  #onGone(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#connected = false;
    this.#failWaiting(err);
    if (!this.#stopping) this.#log.error({ err }, 'PostgreSQL writer thread failed; restarting it.');
  }
}

/** An error the thread reported, with its code (a SQLSTATE or a socket error). */
function fromData(data: ErrorData): Error {
  return Object.assign(new Error(data.message), data.code === undefined ? {} : { code: data.code });
}
