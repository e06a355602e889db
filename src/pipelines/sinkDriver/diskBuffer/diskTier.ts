/**
 * The disk tier as the sink driver sees it: decides when an event goes to disk (the memory
 * buffer is full, or events already wait on disk and must go first), refills the memory buffer
 * from disk when it is at most half full, and acknowledges what the sink wrote, so the
 * segments can go. writeBatches.ts calls it at five points and knows nothing else of it.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { toError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { NodeMetrics } from '../../../core/metrics.js';
import type { SinkDriverSettings } from '../../../core/sinkDriverConfig.js';
import type { EventQueue } from '../queue.js';
import { DiskBuffer } from './diskBuffer.js';
import type { Position } from './segmentFiles.js';

/** How long after a failed read from disk it is tried again (also when nothing else happens). */
const READ_RETRY_MS = 1000;

export interface DiskTierDeps<E> {
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  readonly scheduler: SchedulerLike;
  readonly clock: () => number;
  /** Settles when the previous driver of the node (rebuilt by a reload) has closed the directory. */
  readonly after?: Promise<unknown> | undefined;
  /** The driver's memory buffer, refilled from disk. */
  readonly queue: EventQueue<E>;
  /** Events the driver holds: the batch in flight plus the memory buffer. */
  readonly held: () => number;
  /** Asks the driver to write what was read back. */
  readonly pump: () => void;
}

/** Events read back from disk: once the driver has finished `upTo` events, `end` is acknowledged. */
interface Mark {
  readonly upTo: number;
  readonly count: number;
  readonly end: Position;
}

export class DiskTier<E> {
  #buffer: DiskBuffer<E> | undefined;
  readonly #d: DiskTierDeps<E>;
  readonly #max: number;
  readonly #open: () => DiskBuffer<E>;
  /** Events taken while the previous driver still had the directory: appended once it is ours. */
  #early: E[] | undefined;
  #reading: Promise<void> | undefined;
  /** Events the driver finished (written or dropped) since it started. */
  #done = 0;
  readonly #marks: Mark[] = [];
  #closing: Promise<void> | undefined;
  #readFailed = false;
  /** The next try after a failed read. */
  #retry: Subscription | undefined;

  constructor(settings: SinkDriverSettings, dir: string, deps: DiskTierDeps<E>) {
    this.#d = deps;
    this.#max = settings.bufferMax;
    this.#open = () => new DiskBuffer<E>({
      dir,
      maxBytes: settings.diskMaxBytes,
      fsync: settings.diskFsync,
      whenFull: settings.whenFull,
      metrics: deps.metrics,
      logger: deps.logger,
      scheduler: deps.scheduler,
      clock: deps.clock,
    });
  }

  /** Opens the directory (once the previous driver let go of it); replays what is left. */
  start(): void {
    if (this.#d.after === undefined) {
      this.#begin();
      return;
    }
    // Until then everything waits here, so what the previous driver left still goes first.
    this.#early = [];
    const go = () => {
      if (this.#closing === undefined) this.#begin();
    };
    this.#d.after.then(go, go);
  }

  #begin(): void {
    const buffer = this.#open();
    this.#buffer = buffer;
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const event of early) buffer.append(event);
    void buffer.opened().then(() => this.#d.pump());
  }

  /** Events wait on disk (or are being read back): new ones must go behind them. */
  get busy(): boolean {
    return this.#early !== undefined || this.#reading !== undefined || (this.#buffer?.holding ?? false);
  }

  /** Takes `event` to disk when memory is full (`queued` events) or disk already holds some. */
  takes(event: E, queued: number): boolean {
    if (queued < this.#max && !this.busy) return false;
    if (this.#early !== undefined) this.#early.push(event);
    else this.#buffer?.append(event);
    return true;
  }

  /** Reads back from disk when memory is at most half full (not once the driver stopped). */
  refill(stopped: boolean): void {
    const buffer = this.#buffer;
    if (stopped || buffer === undefined || this.#reading !== undefined || this.#closing !== undefined || !buffer.holding) return;
    const room = this.#max - this.#d.queue.length;
    if (room * 2 < this.#max) return;
    this.#reading = buffer.read(room).then(
      ({ events, end }) => {
        this.#reading = undefined;
        this.#readFailed = false;
        if (this.#closing !== undefined) return; // not acknowledged: replayed at the next start
        const queue = this.#d.queue;
        for (const event of events) queue.push(event, undefined);
        this.#d.metrics.bufferDepth = queue.length;
        if (end !== undefined) this.#marks.push({ upTo: this.#done + this.#d.held(), count: events.length, end });
        this.#acknowledge();
        this.#d.pump();
      },
      (err: unknown) => {
        this.#reading = undefined;
        const error = toError(err);
        this.#d.metrics.error(error);
        // Tried again at the next write; said once, not once per batch.
        if (this.#readFailed) this.#d.logger.debug({ err: error }, 'Disk buffer read failed; what is on disk is kept for the next start.');
        else this.#d.logger.error({ err: error }, 'Disk buffer read failed; what is on disk is kept for the next start.');
        this.#readFailed = true;
        // Tried again after a while even if nothing else happens (no write, no new event).
        if (this.#closing !== undefined) return;
        this.#retry ??= this.#d.scheduler.schedule(() => {
          this.#retry = undefined;
          this.#d.pump();
        }, READ_RETRY_MS);
      },
    );
  }

  /** The driver finished `n` more events (written, or dropped and counted). */
  done(n: number): void {
    this.#done += n;
    this.#acknowledge();
  }

  /**
   * At the drain deadline: `held` (the batch in flight, then the memory buffer) goes to disk,
   * except the events read back from it and not yet acknowledged, which are there already.
   */
  park(held: readonly E[]): void {
    const early = this.#early;
    if (early !== undefined) {
      // Never opened (the previous driver still drains): these wait in memory, so they go.
      early.unshift(...held);
      return;
    }
    const buffer = this.#buffer;
    if (buffer === undefined) return;
    let parked = 0;
    let m = 0;
    for (let i = 0; i < held.length; i++) {
      const seq = this.#done + 1 + i;
      while (m < this.#marks.length && (this.#marks[m] as Mark).upTo < seq) m += 1;
      const mark = this.#marks[m];
      if (mark !== undefined && seq > mark.upTo - mark.count) continue;
      buffer.append(held[i] as E);
      parked += 1;
    }
    this.#d.logger.info(
      { parked, onDisk: buffer.unread + held.length - parked },
      'Sink stopped before it caught up; the events held are kept on disk for the next start.',
    );
  }

  /** Writes what is pending and keeps what the sink did not write for the next start. */
  close(): Promise<void> {
    this.#retry?.unsubscribe();
    this.#retry = undefined;
    this.#closing ??= (async () => {
      const early = this.#early;
      if (early !== undefined && early.length > 0) {
        // Stopped before the directory was ours: these never reached disk.
        this.#d.metrics.drop('shutdown', false, early.length);
        this.#d.logger.warn({ events: early.length }, 'Sink stopped before its disk buffer opened; held events dropped.');
      }
      this.#early = undefined;
      await this.#reading;
      const buffer = this.#buffer;
      if (buffer === undefined) return;
      await buffer.close();
      if (buffer.bytes > 0) {
        this.#d.logger.info({ bytes: buffer.bytes }, 'Disk buffer kept for the next start.');
      }
    })();
    return this.#closing;
  }

  #acknowledge(): void {
    let last: Mark | undefined;
    while (this.#marks.length > 0 && (this.#marks[0] as Mark).upTo <= this.#done) last = this.#marks.shift();
    if (last !== undefined) this.#buffer?.ack(last.end);
  }
}
