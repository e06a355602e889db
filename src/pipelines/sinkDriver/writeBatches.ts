/**
 * The generic sink driver (DESIGN.md §5): gives any {@link Sink} a bounded buffer with a
 * `when_full` policy, batching by size and time, start and retry with capped exponential
 * backoff, and a drain with a deadline at shutdown. Sinks stay plain I/O objects.
 */
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subscriber,
  type Subscription,
} from 'rxjs';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, PipelineError, SinkWriteError, toError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { Counter, NodeMetrics } from '../../core/metrics.js';
import { BLOCK_HARD_CAP_FACTOR, type SinkDriverSettings } from '../../core/sinkDriverConfig.js';
import { defaultEventKey } from '../../core/eventKey.js';
import { Congestion, type CongestionListener, reportsCongestion } from './congestion.js';
import { EventQueue } from './queue.js';
import { DiskTier } from './diskBuffer/diskTier.js';
import { adaptMask, SAMPLE_MASK } from '../measure.js';


/**
 * Why the driver dropped events. `superseded` is intentional (a newer value of the same key
 * replaced it); the rest are losses.
 */
export type SinkDropReason =
  | 'buffer_full'
  | 'superseded'
  | 'write_failed'
  | 'retries_exhausted'
  | 'flush_timeout'
  | 'shutdown';

/** Reasons for which a whole batch is dropped (and reported on the driver's output). */
export type BatchDropReason = 'write_failed' | 'retries_exhausted' | 'flush_timeout';

/** One batch the sink accepted. */
export interface WrittenReport<E> {
  readonly kind: 'written';
  readonly batch: readonly E[];
  /** 1 when the first write succeeded; more after retries. */
  readonly attempts: number;
}

/** One batch the driver gave up on (already counted on the node's metrics). */
export interface DroppedReport<E> {
  readonly kind: 'dropped';
  readonly batch: readonly E[];
  readonly reason: BatchDropReason;
  readonly error: Error;
}

/** What the driver emits: one report per batch written or dropped. It never errors. */
export type WriteReport<E> = WrittenReport<E> | DroppedReport<E>;

/** The outcome of a drain, counted from the moment it began. */
export interface DrainResult {
  /** Events written during the drain. */
  readonly written: number;
  /** Events dropped during the drain (failed writes, the deadline, an unsubscribe). */
  readonly dropped: number;
  /** The deadline passed before everything was written, flushed and stopped. */
  readonly timedOut: boolean;
}

export interface WriteBatchesOptions<E> {
  /** The sink node's metrics: drops, errors, `bufferDepth`, written events (`out()`), write time. */
  readonly metrics: NodeMetrics;
  /** Time for the batch timeout, backoff and the drain deadline. Default {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /**
   * The key for `when_full: latest_per_key`; `undefined` means the event is never superseded.
   * Default: the sink's own `keyOf`, else {@link defaultEventKey}.
   */
  readonly keyOf?: (event: E) => string | undefined;
  /** The sink node's child logger. Default: silent. */
  readonly logger?: Logger;
  /** Clock (ms) for the write-duration histogram. Default `scheduler.now()`; pass `performance.now`. */
  readonly clock?: () => number;
  /**
   * Receives every batch the driver drops because the sink failed it (`write_failed`,
   * `retries_exhausted`). The drop is counted either way; a drain waits for returned promises.
   */
  readonly onDeadLetter?: (batch: readonly E[], err: Error) => void | Promise<void>;
  /**
   * With `when_full: block`: told `true` when the buffer reaches `max_events` (the sink is
   * congested) and `false` once it has drained to half or the run ended (./congestion.ts).
   * The runtime pauses the pausable sources upstream meanwhile.
   */
  readonly onCongestion?: CongestionListener;
  /**
   * The node's disk buffer directory (`.chatflow/buffers/<node id>/`), used when the settings say
   * `bufferType: 'disk'`; without it the buffer stays in memory.
   */
  readonly diskDir?: string;
  /** Settles when the previous driver of this node (rebuilt by a reload) has closed the directory. */
  readonly diskAfter?: Promise<unknown>;
}

/**
 * The driver of one sink: an operator to subscribe to the node's merged inputs, plus `drain()`
 * for shutdown. Each subscription has its own buffer, timers and sink lifecycle.
 */
export interface SinkDriver<E> extends OperatorFunction<E, WriteReport<E>> {
  /**
   * Subscribes the driver to `events$` (what the runtime does with a sink's merged inputs).
   * Resolves, never rejects, when this run has ended: after the input completed and the drain
   * finished, or after {@link SinkDriver.drain}.
   */
  run(events$: Observable<E>): Promise<DrainResult>;
  /**
   * Stops taking input, writes what is held, then calls `sink.flush()` and `sink.stop()`.
   * Whatever is not written when `deadlineMs` (scheduler time) has passed is dropped as
   * `flush_timeout`. The output completes when the drain ends. Resolves at once when nothing
   * is subscribed. Default deadline: `settings.flushTimeoutMs`.
   */
  drain(deadlineMs?: number): Promise<DrainResult>;
}

/**
 * Drives a {@link Sink}: buffers what arrives, writes it in batches, one write at a time, and
 * retries failures; reports each batch written or dropped. A sink failure never errors the
 * stream; every event not written is counted as a drop with a reason.
 *
 * ```text
 * batch: { max_events: 2, timeout: 3ms }; each write takes 2ms
 * source:   -abc-----|
 * result:   ----x---y|      x = written [a, b] (a full batch) · y = written [c] (timed out at 6)
 * ```
 *
 * With `batch.timeout: 0ms` and a sink whose `write` returns synchronously, an event that
 * arrives while the sink is idle is written in the same call stack as its arrival: no
 * microtask or timer hop (the OSC latency path). Input completion starts a drain with
 * `flush_timeout`; an input error is counted and what is held stays for the drain.
 *
 * @param sink The I/O object; `start` runs on subscribe (retried with backoff until it succeeds,
 *   unless it throws `SinkWriteError`, after which every batch is dropped as `write_failed`).
 * @param settings The node's resolved driver settings ({@link resolveSinkDriver}).
 * @param options Metrics, scheduler, logger, key and dead-letter hooks.
 * @see console, file, blackhole
 */
export function writeBatches<E>(
  sink: Sink<E>,
  settings: SinkDriverSettings,
  options: WriteBatchesOptions<E>,
): SinkDriver<E> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const resolved: ResolvedOptions<E> = {
    metrics: options.metrics,
    scheduler,
    keyOf: options.keyOf ?? (sink.keyOf ? (e) => sink.keyOf?.(e) : defaultEventKey),
    logger: options.logger ?? silentLogger(),
    clock: options.clock ?? (() => scheduler.now()),
    onDeadLetter: options.onDeadLetter,
    onCongestion: options.onCongestion,
    diskDir: options.diskDir,
    diskAfter: options.diskAfter,
  };
  const runs = new Set<DriverRun<E>>();

  // Per-subscription state: each subscriber gets its own buffer, timers and sink lifecycle.
  const subscribeRun = (source: Observable<E>, found: (run: DriverRun<E>) => void, reports = true) =>
    new Observable<WriteReport<E>>((subscriber) => {
      const run = new DriverRun(sink, settings, resolved, subscriber, reports);
      runs.add(run);
      found(run);
      run.begin(source);
      return () => {
        runs.delete(run);
        run.abort();
      };
    });

  const operator = (source: Observable<E>): Observable<WriteReport<E>> => subscribeRun(source, () => {});

  const run = (events$: Observable<E>): Promise<DrainResult> => {
    let ended: Promise<DrainResult> = Promise.resolve(NOTHING_DRAINED);
    // Nobody reads the reports of run(): skip building one per write on the hot path.
    subscribeRun(
      events$,
      (r) => {
        ended = r.ended;
      },
      false,
    ).subscribe();
    return ended;
  };

  const drain = async (deadlineMs: number = settings.flushTimeoutMs): Promise<DrainResult> => {
    const results = await Promise.all([...runs].map((r) => r.drain(deadlineMs)));
    return results.reduce<DrainResult>(
      (sum, r) => ({
        written: sum.written + r.written,
        dropped: sum.dropped + r.dropped,
        timedOut: sum.timedOut || r.timedOut,
      }),
      NOTHING_DRAINED,
    );
  };

  return Object.assign(operator, { run, drain });
}

// ---------------------------------------------------------------------------------------------

const NOTHING_DRAINED: DrainResult = { written: 0, dropped: 0, timedOut: false };

interface ResolvedOptions<E> {
  readonly metrics: NodeMetrics;
  readonly scheduler: SchedulerLike;
  readonly keyOf: (event: E) => string | undefined;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onDeadLetter: WriteBatchesOptions<E>['onDeadLetter'] | undefined;
  readonly onCongestion: CongestionListener | undefined;
  readonly diskDir: string | undefined;
  readonly diskAfter: Promise<unknown> | undefined;
}

/** `idle`: not connected (yet, or again after `NotConnectedError`); `failed`: start threw `SinkWriteError`. */
type SinkState = 'idle' | 'starting' | 'started' | 'failed';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** One subscription of a {@link SinkDriver}: the whole state machine. */
class DriverRun<E> {
  readonly #sink: Sink<E>;
  readonly #s: SinkDriverSettings;
  readonly #o: ResolvedOptions<E>;
  readonly #out: Subscriber<WriteReport<E>>;
  readonly #queue: EventQueue<E>;
  readonly #written: Counter;
  readonly #log: Logger;
  /** `when_full: block`: what arrives while congested is held up to this depth. */
  readonly #hardCap: number;
  /** `when_full: block` only. */
  readonly #congestion: Congestion | undefined;
  /** The disk tier behind the memory buffer (`buffer.type: disk`). */
  readonly #disk: DiskTier<E> | undefined;

  #phase: 'running' | 'draining' | 'done' = 'running';
  #sinkState: SinkState = 'idle';
  #fatal: Error | undefined;
  #input: Subscription | undefined;
  /** The batch being written, or waiting for a retry or a reconnect. */
  #inFlight: readonly E[] | undefined;
  #writing = false;
  /** Failed attempts of the batch in flight. */
  #failures = 0;
  #startFailures = 0;
  /** Id of the latest sink call; bumping it makes every pending callback stale. */
  #call = 0;
  #pumping = false;
  /** The batch timeout passed: write the partial batch as soon as the sink is idle. */
  #due = false;
  #batchTimer: Subscription | undefined;
  /** Backoff before a write retry or a reconnect. */
  #retryTimer: Subscription | undefined;
  #deadlineTimer: Subscription | undefined;
  #deadlineAt = Number.POSITIVE_INFINITY;
  #healthy = true;
  #deadLetters = 0;
  #finishing = false;
  #stopCalled = false;
  #drainWritten = 0;
  #drainDropped = 0;
  #writes = 0;
  /** The write whose count `& mask` is 0 is timed, one in 64 to one in 1024 (measure.ts adaptMask). */
  #timingMask = SAMPLE_MASK;
  #lastTimedAt = Number.NEGATIVE_INFINITY;
  #resolveEnded: (result: DrainResult) => void = () => {};
  /** Resolves when this run has ended (drained, timed out or unsubscribed). */
  readonly ended = new Promise<DrainResult>((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(
    sink: Sink<E>,
    settings: SinkDriverSettings,
    options: ResolvedOptions<E>,
    out: Subscriber<WriteReport<E>>,
    /** Whether to emit a report per batch written (dropped batches are always reported). */
    readonly reports = true,
  ) {
    this.#sink = sink;
    this.#s = settings;
    this.#o = options;
    this.#out = out;
    this.#log = options.logger;
    const metrics = options.metrics;
    this.#hardCap = settings.whenFull === 'block' ? settings.bufferMax * BLOCK_HARD_CAP_FACTOR : settings.bufferMax;
    this.#congestion = reportsCongestion(settings)
      ? new Congestion(settings.bufferMax, options.onCongestion ?? (() => {}))
      : undefined;
    this.#queue = new EventQueue<E>(this.#hardCap, settings.whenFull === 'latest_per_key', () =>
      metrics.drop('superseded', true),
    );
    this.#written = options.metrics.out();
    this.#disk =
      settings.bufferType === 'disk' && options.diskDir !== undefined
        ? new DiskTier<E>(settings, options.diskDir, {
            metrics,
            logger: this.#log,
            scheduler: options.scheduler,
            clock: options.clock,
            after: options.diskAfter,
            queue: this.#queue,
            held: () => (this.#inFlight?.length ?? 0) + this.#queue.length,
            // Events read back are old: write them now, whatever the batch timeout.
            pump: () => {
              this.#due = true;
              this.#pump();
            },
          })
        : undefined;
  }

  begin(source: Observable<E>): void {
    this.#disk?.start();
    this.#connect();
    const input = source.subscribe(new DriverInput(this));
    // A drain may have begun while `subscribe` was still running (a synchronous source).
    if (this.#phase === 'running') this.#input = input;
    else input.unsubscribe();
  }

  drain(deadlineMs: number): Promise<DrainResult> {
    if (this.#phase === 'done') return this.ended;
    const delay = Math.max(0, deadlineMs);
    const at = this.#o.scheduler.now() + delay;
    if (at < this.#deadlineAt) {
      this.#deadlineAt = at;
      this.#deadlineTimer?.unsubscribe();
      this.#deadlineTimer = this.#o.scheduler.schedule(() => this.#onDeadline(delay), delay);
    }
    if (this.#phase === 'running') {
      this.#phase = 'draining';
      this.#input?.unsubscribe();
      this.#input = undefined;
      this.#batchTimer?.unsubscribe();
      this.#batchTimer = undefined;
      this.#pump();
    }
    return this.ended;
  }

  /** Teardown: the output was unsubscribed (or completed). */
  abort(): void {
    this.#input?.unsubscribe();
    this.#input = undefined;
    if (this.#phase === 'done') return;
    const lost = this.#queue.length + (this.#inFlight?.length ?? 0);
    this.#queue.clear();
    this.#inFlight = undefined;
    if (lost > 0) {
      this.#o.metrics.drop('shutdown', false, lost);
      this.#drainDropped += lost;
      this.#log.warn({ events: lost }, 'Sink unsubscribed before it drained; held events dropped.');
    }
    this.#stopNow();
    void this.#disk?.close();
    this.#end(false);
  }

  // --- input ---------------------------------------------------------------------------------

  /** @internal An event from the input (see {@link DriverInput}). */
  onEvent(event: E): void {
    if (this.#phase === 'done' || this.#finishing) {
      this.#o.metrics.drop('shutdown', false);
      return;
    }
    if (
      this.#inFlight === undefined &&
      this.#queue.length === 0 &&
      this.#sinkState === 'started' &&
      this.#phase === 'running' &&
      (this.#s.batchTimeoutMs === 0 || this.#s.batchMax === 1) &&
      (this.#disk === undefined || !this.#disk.busy)
    ) {
      // Fast path: an idle sink gets the event in this call stack, without touching the buffer.
      this.#send([event]);
      return;
    }
    this.#enqueue(event);
    this.#pump();
  }

  /** @internal The input completed: drain what is held. */
  onInputComplete(): void {
    this.#input = undefined;
    void this.drain(this.#s.flushTimeoutMs);
  }

  /** @internal The input failed. */
  onInputError(err: unknown): void {
    this.#input = undefined;
    const error = toError(err);
    this.#o.metrics.error(error);
    this.#log.error({ err: error }, 'Sink input failed; keeping held events for the drain.');
  }

  #enqueue(event: E): void {
    const queue = this.#queue;
    const metrics = this.#o.metrics;
    // Memory full, or events already wait on disk (they go first): behind them on disk.
    if (this.#disk?.takes(event, queue.length)) {
      // Memory is full or events wait on disk: pausable sources must wait (design rule 3).
      this.#congestion?.update(this.#congestionDepth());
      return;
    }
    if (this.#s.whenFull === 'latest_per_key') {
      const key = this.#keyOf(event);
      // Counted as `superseded` by the queue's LatestPerKey (core/latestPerKey.ts).
      if (key !== undefined && queue.replace(key, event)) return;
      if (queue.length >= this.#s.bufferMax) {
        queue.shift();
        metrics.drop('buffer_full', false);
      }
      queue.push(event, key);
    } else if (queue.length < this.#s.bufferMax) {
      queue.push(event, undefined);
    } else if (this.#s.whenFull === 'block') {
      // `block`: the pausable sources are paused by now; what still comes (live chat, what an
      // operator held) is kept up to the hard cap, and only then the newest is dropped.
      if (queue.length >= this.#hardCap) {
        metrics.drop('buffer_full', false);
        return;
      }
      queue.push(event, undefined);
    } else if (this.#s.whenFull === 'drop_newest') {
      metrics.drop('buffer_full', false);
      return;
    } else {
      queue.shift();
      metrics.drop('buffer_full', false);
      queue.push(event, undefined);
    }
    metrics.bufferDepth = queue.length;
    this.#congestion?.update(this.#congestionDepth());
    if (
      this.#s.batchTimeoutMs > 0 &&
      this.#batchTimer === undefined &&
      !this.#due &&
      this.#phase === 'running'
    ) {
      this.#batchTimer = this.#o.scheduler.schedule(() => {
        this.#batchTimer = undefined;
        this.#due = true;
        this.#pump();
      }, this.#s.batchTimeoutMs);
    }
  }

  /**
   * The depth congestion is judged by: the memory buffer's, or a full one while events wait on
   * disk, so the pausable sources stay paused until the disk tier has drained (unless the
   * sink failed for good: what is on disk then waits for the next start).
   */
  #congestionDepth(): number {
    const depth = this.#queue.length;
    // A failed sink drops what memory holds at once: it must not hold sources back for its disk.
    return this.#disk?.busy && this.#sinkState !== 'failed' ? Math.max(depth, this.#s.bufferMax) : depth;
  }

  #keyOf(event: E): string | undefined {
    try {
      return this.#o.keyOf(event);
    } catch (err) {
      // A key that cannot be computed only costs the conflation, never the event.
      this.#o.metrics.error(err);
      return undefined;
    }
  }

  // --- writing -------------------------------------------------------------------------------

  /** Writes batches while the sink is idle and a batch is ready; iterative for sync sinks. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#phase !== 'done' && !this.#finishing) {
        const ready = this.#sinkState === 'started' || this.#sinkState === 'failed';
        if (this.#inFlight !== undefined) {
          if (this.#writing || this.#retryTimer !== undefined || !ready) break;
          this.#attemptWrite();
          continue;
        }
        const held = this.#queue.length;
        if (held === 0 || !ready) break;
        const partial = held < this.#s.batchMax && this.#s.batchTimeoutMs > 0;
        if (partial && !this.#due && this.#phase === 'running') break;
        const batch = this.#queue.take(this.#s.batchMax);
        if (this.#queue.length === 0) {
          this.#due = false;
          this.#batchTimer?.unsubscribe();
          this.#batchTimer = undefined;
        }
        this.#o.metrics.bufferDepth = this.#queue.length;
        this.#congestion?.update(this.#congestionDepth());
        this.#send(batch);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#disk) {
      // A sink that failed for good would only drop what is read back: it stays on disk.
      this.#disk.refill(this.#phase === 'done' || this.#finishing || this.#sinkState === 'failed');
      // The disk may have emptied with nothing taken here (a read that found only damaged
      // records, a spill whose write failed), or the sink failed: judge again, or pausable
      // sources stay paused. Only ever to clear: congestion is raised where events arrive
      // (#enqueue), never here, so not before the runtime has registered this driver either.
      if (this.#phase !== 'done' && this.#congestion?.congested) this.#congestion.update(this.#congestionDepth());
    }
    if (this.#phase === 'draining') this.#maybeFinish();
  }

  #send(batch: readonly E[]): void {
    this.#inFlight = batch;
    this.#failures = 0;
    this.#attemptWrite();
  }

  #attemptWrite(): void {
    const batch = this.#inFlight;
    if (batch === undefined) return;
    if (this.#sinkState === 'failed') {
      this.#dropInFlight('write_failed', this.#fatal ?? new SinkWriteError(this.#node, 'Sink failed.'));
      return;
    }
    const call = ++this.#call;
    // Time a sample of writes (the first included): two clock reads per event cost ~10% on a sync sink.
    const t0 = (this.#writes++ & this.#timingMask) === 0 ? this.#timeWrite() : -1;
    let result: unknown;
    try {
      result = this.#sink.write(batch);
    } catch (err) {
      this.#onWriteError(err);
      return;
    }
    if (!isThenable(result)) {
      this.#onWritten(t0);
      return;
    }
    this.#writing = true;
    result.then(
      () => {
        if (call !== this.#call) return;
        this.#writing = false;
        this.#onWritten(t0);
        this.#pump();
      },
      (err: unknown) => {
        if (call !== this.#call) return;
        this.#writing = false;
        this.#onWriteError(err);
        this.#pump();
      },
    );
  }

  /** The clock when a timed write starts; widens or resets the sampling (measure.ts adaptMask). */
  #timeWrite(): number {
    const now = this.#o.clock();
    this.#timingMask = adaptMask(this.#timingMask, now - this.#lastTimedAt);
    this.#lastTimedAt = now;
    return now;
  }

  #onWritten(t0: number): void {
    const batch = this.#inFlight;
    if (batch === undefined) return;
    const attempts = this.#failures + 1;
    this.#inFlight = undefined;
    this.#failures = 0;
    if (t0 >= 0) this.#o.metrics.processing.record(this.#o.clock() - t0);
    this.#written.value += batch.length;
    this.#disk?.done(batch.length);
    if (this.#phase === 'draining') this.#drainWritten += batch.length;
    if (!this.#healthy) {
      this.#healthy = true;
      this.#log.info({ attempts }, 'Sink write recovered.');
    }
    if (this.reports) this.#out.next({ kind: 'written', batch, attempts });
  }

  #onWriteError(thrown: unknown): void {
    const err = toError(thrown);
    this.#o.metrics.error(err);
    if (err instanceof SinkWriteError) {
      this.#dropInFlight('write_failed', err);
      return;
    }
    if (this.#failures >= this.#s.retryAttempts) {
      this.#dropInFlight('retries_exhausted', err);
      return;
    }
    this.#failures += 1;
    const delay = this.#backoff(this.#failures);
    if (err instanceof NotConnectedError) this.#sinkState = 'idle';
    this.#unhealthy({ err, attempt: this.#failures, retryInMs: delay }, 'Sink write failed; will retry.');
    this.#retryTimer = this.#o.scheduler.schedule(() => {
      this.#retryTimer = undefined;
      if (this.#sinkState === 'idle') this.#connect();
      else this.#pump();
    }, delay);
  }

  #dropInFlight(reason: BatchDropReason, err: Error): void {
    const batch = this.#inFlight;
    if (batch === undefined) return;
    this.#inFlight = undefined;
    this.#failures = 0;
    this.#o.metrics.drop(reason, false, batch.length);
    this.#disk?.done(batch.length);
    if (this.#phase === 'draining') this.#drainDropped += batch.length;
    if (reason === 'retries_exhausted') {
      this.#healthy = false;
      this.#log.warn({ err, events: batch.length }, 'Sink write retries exhausted; batch dropped.');
    } else {
      this.#unhealthy({ err, events: batch.length }, 'Sink write failed; batch dropped.');
    }
    this.#deadLetter(batch, err);
    this.#out.next({ kind: 'dropped', batch, reason, error: err });
  }

  #deadLetter(batch: readonly E[], err: Error): void {
    const hook = this.#o.onDeadLetter;
    if (!hook) return;
    let result: unknown;
    try {
      result = hook(batch, err);
    } catch (hookErr) {
      this.#onDeadLetterError(hookErr);
      return;
    }
    if (!isThenable(result)) return;
    this.#deadLetters += 1;
    const settle = () => {
      this.#deadLetters -= 1;
      if (this.#phase === 'draining') this.#maybeFinish();
    };
    result.then(settle, (hookErr: unknown) => {
      this.#onDeadLetterError(hookErr);
      settle();
    });
  }

  #onDeadLetterError(thrown: unknown): void {
    const err = toError(thrown);
    this.#o.metrics.error(err);
    this.#log.warn({ err }, 'Sink dead-letter handler failed.');
  }

  // --- sink lifecycle ------------------------------------------------------------------------

  #connect(): void {
    if (!this.#sink.start) {
      this.#onStarted();
      return;
    }
    this.#sinkState = 'starting';
    const call = ++this.#call;
    let result: unknown;
    try {
      result = this.#sink.start();
    } catch (err) {
      this.#onStartError(err);
      return;
    }
    if (!isThenable(result)) {
      this.#onStarted();
      return;
    }
    result.then(
      () => {
        if (call === this.#call) this.#onStarted();
      },
      (err: unknown) => {
        if (call === this.#call) this.#onStartError(err);
      },
    );
  }

  #onStarted(): void {
    this.#sinkState = 'started';
    if (this.#startFailures > 0) {
      this.#log.info({ attempts: this.#startFailures + 1 }, 'Sink connected.');
      this.#startFailures = 0;
    }
    this.#pump();
  }

  #onStartError(thrown: unknown): void {
    const err = toError(thrown);
    this.#o.metrics.error(err);
    if (err instanceof SinkWriteError) {
      this.#sinkState = 'failed';
      this.#fatal = err;
      this.#healthy = false;
      this.#log.error({ err }, 'Sink cannot start; its events will be dropped.');
      this.#pump();
      return;
    }
    this.#sinkState = 'idle';
    this.#startFailures += 1;
    const delay = this.#backoff(this.#startFailures);
    this.#unhealthy({ err, attempt: this.#startFailures, retryInMs: delay }, 'Sink failed to start; will retry.');
    this.#retryTimer = this.#o.scheduler.schedule(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delay);
  }

  /** Once everything held is written: flush (if started), stop, complete. */
  #maybeFinish(): void {
    if (
      this.#phase !== 'draining' ||
      this.#finishing ||
      this.#inFlight !== undefined ||
      this.#queue.length > 0 ||
      this.#deadLetters > 0 ||
      (this.#disk?.busy && this.#sinkState !== 'failed')
    ) {
      return;
    }
    this.#finishing = true;
    this.#retryTimer?.unsubscribe();
    this.#retryTimer = undefined;
    const call = ++this.#call;
    const stop = () => {
      this.#stopCalled = true;
      this.#lifecycle('stop', call, () => this.#afterDisk(() => this.#end(false)));
    };
    if (this.#sinkState === 'started') this.#lifecycle('flush', call, stop);
    else stop();
  }

  /** Calls `sink.flush` or `sink.stop`, then `next` (also after a failure, which is counted). */
  #lifecycle(name: 'flush' | 'stop', call: number, next: () => void): void {
    const fn = this.#sink[name];
    if (!fn) {
      next();
      return;
    }
    const failed = (thrown: unknown) => {
      const err = toError(thrown);
      this.#o.metrics.error(err);
      this.#log.warn({ err, step: name }, 'Sink failed to flush or stop.');
    };
    let result: unknown;
    try {
      result = fn.call(this.#sink);
    } catch (err) {
      failed(err);
      next();
      return;
    }
    if (!isThenable(result)) {
      next();
      return;
    }
    result.then(
      () => {
        if (call === this.#call) next();
      },
      (err: unknown) => {
        failed(err);
        if (call === this.#call) next();
      },
    );
  }

  #onDeadline(deadlineMs: number): void {
    this.#deadlineTimer = undefined;
    if (this.#phase !== 'draining') return;
    this.#call += 1; // late results of a write, flush or start in progress are ignored
    this.#writing = false;
    const held = [...(this.#inFlight ?? []), ...this.#queue.take(this.#queue.length)];
    this.#inFlight = undefined;
    this.#o.metrics.bufferDepth = 0;
    if (this.#disk) {
      // Nothing is lost: what is held is kept on disk for the next start.
      this.#disk.park(held);
      this.#stopNow();
      this.#afterDisk(() => this.#end(true));
      return;
    }
    const err = new PipelineError(
      'ERR_SINK_TIMEOUT',
      'sending',
      `Sink "${this.#node}" did not drain within its ${deadlineMs}ms deadline.`,
      { node: this.#node },
    );
    this.#o.metrics.error(err);
    if (held.length > 0) {
      this.#o.metrics.drop('flush_timeout', false, held.length);
      this.#drainDropped += held.length;
    }
    this.#log.warn({ err, events: held.length }, 'Sink drain timed out; held events dropped.');
    if (held.length > 0) this.#out.next({ kind: 'dropped', batch: held, reason: 'flush_timeout', error: err });
    this.#stopNow();
    this.#end(true);
  }

  /** Calls `sink.stop()` once, without waiting for it (deadline passed or unsubscribed). */
  #stopNow(): void {
    if (this.#stopCalled) return;
    this.#stopCalled = true;
    this.#lifecycle('stop', -1, () => {});
  }

  #end(timedOut: boolean): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#call += 1;
    this.#batchTimer?.unsubscribe();
    this.#retryTimer?.unsubscribe();
    this.#deadlineTimer?.unsubscribe();
    this.#batchTimer = this.#retryTimer = this.#deadlineTimer = undefined;
    this.#o.metrics.bufferDepth = 0;
    this.#congestion?.clear();
    this.#resolveEnded({ written: this.#drainWritten, dropped: this.#drainDropped, timedOut });
    this.#out.complete();
  }

  // --- helpers -------------------------------------------------------------------------------

  /** Closes the disk tier (if any; what is left waits for the next start), then `next`. */
  #afterDisk(next: () => void): void {
    if (!this.#disk) {
      next();
      return;
    }
    this.#disk.close().then(next, (err: unknown) => {
      this.#o.metrics.error(err);
      this.#log.error({ err: toError(err) }, 'Disk buffer failed to close.');
      next();
    });
  }

  get #node(): string {
    return this.#o.metrics.id;
  }

  #backoff(failures: number): number {
    return Math.min(this.#s.initialBackoffMs * 2 ** (failures - 1), this.#s.maxBackoffMs);
  }

  /** Warns on the healthy → failing transition only; later failures log at debug. */
  #unhealthy(details: Record<string, unknown>, message: string): void {
    if (this.#healthy) {
      this.#healthy = false;
      this.#log.warn(details, message);
    } else {
      this.#log.debug(details, message);
    }
  }
}

/**
 * The driver's subscriber to its input: a `Subscriber` subclass rather than an observer object,
 * which RxJS would wrap in two more layers on every event of the hot path.
 */
class DriverInput<E> extends Subscriber<E> {
  constructor(private readonly run: DriverRun<E>) {
    super();
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: E): void {
    if (this.isStopped) return;
    this.run.onEvent(event);
  }

  protected override _error(err: unknown): void {
    try {
      this.run.onInputError(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.run.onInputComplete();
    } finally {
      this.unsubscribe();
    }
  }
}
