/**
 * The sink driver's disk tier (docs/storage.md, "Disk buffer"): a write-ahead log of events in
 * segment files of checksummed records (records.ts), read back in order, deleted once every
 * record in them was acknowledged (written by the sink), with the acknowledged position kept in
 * a small checkpoint so a restart replays only what was not written.
 *
 * Appends never wait: each event is serialized into a pending chunk and the chunks are written
 * in one `write` per turn of the event loop (one at a time; what arrives meanwhile goes in the
 * next), fsynced per policy. Reads parse in slices, giving the event loop a turn between them.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Logger } from '../../../core/logger.js';
import type { DropCounter } from '../../../core/metrics.js';
import type { FsyncPolicy, WhenFull } from '../../../core/sinkDriverConfig.js';
import { decodeRecord, HEADER_BYTES, maxRecordBytes, resync, walkRecords, writeRecord } from './records.js';
import {
  CHECKPOINT_FILE,
  comparePositions,
  type Position,
  readCheckpoint,
  segmentPath,
  writeCheckpoint,
} from './segmentFiles.js';

/** Where the disk buffer reports: a node's `NodeMetrics` fits. */
export interface DiskMetrics extends DropCounter {
  count(name: string, n?: number): void;
  gauge(name: string, value: number): void;
}

export interface DiskBufferOptions {
  /** The node's directory, `.chatflow/buffers/<node id>/` under the pipeline's base dir. */
  readonly dir: string;
  /** The most bytes of segment files (`buffer.max_size`). */
  readonly maxBytes: number;
  readonly fsync: FsyncPolicy;
  /** `drop_oldest` discards the oldest whole segment not being read; anything else the newest event. */
  readonly whenFull: WhenFull;
  /** A segment file is closed and the next one begun beyond this size. Default 16 MiB. */
  readonly segmentBytes?: number;
  readonly metrics: DiskMetrics;
  readonly logger: Logger;
  /** Time for the fsync interval and the drain rate. */
  readonly scheduler: SchedulerLike;
  /** The runtime's monotonic clock: a replayed event from an earlier run is stamped with it. */
  readonly clock: () => number;
}

/** Events read back, and the position just after the last record read (to acknowledge). */
export interface DiskRead<E> {
  readonly events: E[];
  readonly end: Position | undefined;
}

interface Segment {
  /** Bytes written to the file. */
  size: number;
  /** Bytes appended but not yet written. */
  pending: number;
  /** Intact records in it (from the checkpoint on, for the first one left by an earlier run). */
  events: number;
  /** Left by an earlier run (scanned at open; its bad records are counted then). */
  readonly leftover: boolean;
}

interface PendingGroup {
  readonly segment: number;
  readonly chunks: Buffer[];
  bytes: number;
  events: number;
}

export const DEFAULT_SEGMENT_BYTES = 16 * 2 ** 20;
/** Records parsed per turn of the event loop when reading back (~1 ms of work). */
const PARSE_SLICE = 512;
/** Records are serialized straight into buffers of this size, written out as slices of them. */
const POOL_BYTES = 2 ** 20;
/** The drain rate is the events read back over windows of this length. */
const RATE_WINDOW_MS = 2000;
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const nextTurn = () => new Promise<void>((resolveTurn) => setImmediate(resolveTurn));

/**
 * One node's disk tier. Create it when the sink starts; `close()` at stop keeps what was not
 * written for the next start.
 */
export class DiskBuffer<E> {
  readonly #o: DiskBufferOptions;
  readonly #segmentBytes: number;
  readonly #log: Logger;
  /** Segment number → what is known of it, oldest first. */
  readonly #segments = new Map<number, Segment>();
  readonly #pending: PendingGroup[] = [];
  /** The segment appends go to, and its size including pending bytes. */
  #appendSeg = 1;
  #appendSize = 0;
  /** Bytes of every segment file, written and pending. */
  #bytes = 0;
  /** Events appended (or left over) and not yet read back. */
  #unread = 0;
  /** The earlier run's segments are still being scanned: they are unread, count unknown. */
  #scanning = false;
  readonly #opened: Promise<void>;
  /** The directory cannot be used: every event is dropped (`disk_error`). */
  #broken: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  // writer
  #fd: FileHandle | undefined;
  #fdSeg = -1;
  #flushing = false;
  #flushQueued = false;
  #flushWaiters: (() => void)[] = [];
  #lastSync = Number.NEGATIVE_INFINITY;
  #syncTimer: Subscription | undefined;
  #unsynced = false;
  #full = false;
  #spilled = 0;
  /** The buffer records are serialized into; `[#sealFrom, #poolAt)` belongs to the last pending group. */
  #pool = Buffer.allocUnsafe(0);
  #poolAt = 0;
  #sealFrom = 0;

  // reader
  #rseg = 1;
  #roff = 0;
  #rfd: FileHandle | undefined;
  #rfdSeg = -1;
  #rbuf: Buffer | undefined;
  #rbufStart = 0;
  #rpos = 0;
  #rlimit = 0;
  #reading = false;
  #rateStart = Number.NaN;
  #rateCount = 0;

  // acknowledgement
  #acked: Position | undefined;
  #checkpointing = false;
  #checkpointDirty = false;
  #checkpointDone: Promise<void> = Promise.resolve();
  #warnedCorrupt = false;
  /** The earlier run's segments could not be read: they are kept, so the checkpoint is too. */
  #keepCheckpoint = false;

  constructor(options: DiskBufferOptions) {
    this.#o = options;
    // At least 8 segments fit in max_size, so acknowledged ones can go while others fill.
    this.#segmentBytes = options.segmentBytes ?? Math.max(4096, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(options.maxBytes / 8)));
    this.#log = options.logger;
    let leftovers: number[] = [];
    try {
      mkdirSync(options.dir, { recursive: true });
      leftovers = this.#listSync();
    } catch (err) {
      this.#broken = err as Error;
      this.#log.error({ err, dir: options.dir }, 'Disk buffer directory cannot be used; events that do not fit in memory are dropped.');
    }
    for (const seq of leftovers) {
      const size = statSync(segmentPath(options.dir, seq)).size;
      this.#segments.set(seq, { size, pending: 0, events: 0, leftover: true });
      this.#bytes += size;
    }
    // After every segment and after the checkpoint: a new segment numbered below the checkpoint
    // would be taken for written at the next start.
    this.#appendSeg = Math.max(leftovers.at(-1) ?? 0, this.#checkpointedSegment()) + 1;
    this.#rseg = leftovers[0] ?? this.#appendSeg;
    this.#scanning = leftovers.length > 0;
    this.#opened = this.#scan().catch((err: unknown) => {
      this.#log.error({ err, dir: options.dir }, 'Disk buffer could not read what an earlier run left; it is kept for the next start.');
      // Set aside, not deleted; and the checkpoint stays where the earlier run left it, or the
      // next start would take these segments (numbered below this run's) for written.
      this.#keepCheckpoint = true;
      for (const seq of leftovers) {
        const segment = this.#segments.get(seq);
        if (segment === undefined) continue;
        this.#segments.delete(seq);
        this.#bytes -= segment.size;
      }
      this.#scanning = false;
      this.#rseg = this.#appendSeg;
      this.#publish();
    });
    this.#publish();
  }

  /** Whether anything waits on disk: new events must go behind it to keep the order. */
  get holding(): boolean {
    return this.#unread > 0 || this.#scanning;
  }

  /** Events waiting on disk (not yet read back). */
  get unread(): number {
    return this.#unread;
  }

  /** Bytes of segment files, written or about to be. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Resolves once the segments an earlier run left are scanned (and counted). */
  opened(): Promise<void> {
    return this.#opened;
  }

  /** Appends an event; it is written in the background. Counted as a drop when it cannot be. */
  append(event: E): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(event);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      this.#o.metrics.drop('unserializable', false);
      return;
    }
    if (this.#broken) {
      this.#o.metrics.drop('disk_error', false);
      return;
    }
    // Serialized in place at the pool's end; it only counts once the pool's end moves past it.
    const most = maxRecordBytes(json);
    let own: Buffer | undefined;
    let length: number;
    if (most > POOL_BYTES) {
      own = Buffer.allocUnsafe(most);
      length = writeRecord(own, 0, json);
      own = own.subarray(0, length);
    } else {
      if (this.#poolAt + most > this.#pool.length) {
        this.#seal();
        this.#pool = Buffer.allocUnsafe(POOL_BYTES);
        this.#poolAt = 0;
        this.#sealFrom = 0;
      }
      length = writeRecord(this.#pool, this.#poolAt, json);
    }
    if (this.#bytes + length > this.#o.maxBytes && !this.#makeRoom(length)) {
      this.#dropFull(1, undefined);
      return;
    }
    if (this.#full) this.#roomAgain();
    if (this.#appendSize > 0 && this.#appendSize + length > this.#segmentBytes) {
      this.#seal();
      this.#appendSeg += 1;
      this.#appendSize = 0;
    }
    const seq = this.#appendSeg;
    let segment = this.#segments.get(seq);
    if (!segment) {
      segment = { size: 0, pending: 0, events: 0, leftover: false };
      this.#segments.set(seq, segment);
    }
    let group = this.#pending.at(-1);
    if (!group || group.segment !== seq) {
      this.#seal();
      group = { segment: seq, chunks: [], bytes: 0, events: 0 };
      this.#pending.push(group);
    }
    if (own) {
      this.#seal();
      group.chunks.push(own);
    } else {
      this.#poolAt += length;
    }
    group.bytes += length;
    group.events += 1;
    segment.pending += length;
    segment.events += 1;
    this.#appendSize += length;
    this.#bytes += length;
    this.#unread += 1;
    this.#spilled += 1;
    this.#queueFlush();
  }

  /**
   * Reads back up to `max` events in the order they were appended. Resolves with fewer (or none)
   * when that is all there is; one read at a time.
   */
  async read(max: number): Promise<DiskRead<E>> {
    if (this.#reading) throw new Error('DiskBuffer.read is already running.');
    this.#reading = true;
    try {
      await this.#opened;
      const events: E[] = [];
      let end: Position | undefined;
      let slices = 0;
      const starts: number[] = [];
      const ends: number[] = [];
      while (events.length < max) {
        if (this.#rbuf === undefined || this.#rpos >= this.#rlimit) {
          if (!(await this.#load())) break;
          continue;
        }
        if (slices++ > 0) await nextTurn();
        const buf = this.#rbuf;
        const want = Math.min(PARSE_SLICE, max - events.length);
        starts.length = 0;
        ends.length = 0;
        while (starts.length < want && this.#rpos < this.#rlimit) {
          const decoded = decodeRecord(buf, this.#rpos, this.#rlimit);
          if (decoded.kind === 'record') {
            starts.push(decoded.start);
            ends.push(decoded.end);
            this.#rpos = decoded.end;
            continue;
          }
          const next = resync(buf, this.#rpos, this.#rlimit);
          const segment = this.#segments.get(this.#rseg);
          // An earlier run's bad records were counted by the scan at open.
          if (segment !== undefined && !segment.leftover) {
            this.#corrupt(this.#rseg, this.#rbufStart + this.#rpos);
            this.#unread = Math.max(0, this.#unread - 1);
          }
          this.#rpos = next;
        }
        this.#parse(buf, starts, ends, events);
        this.#unread = Math.max(0, this.#unread - starts.length);
        this.#roff = this.#rbufStart + this.#rpos;
        end = { segment: this.#rseg, offset: this.#roff };
      }
      this.#drained(events.length);
      return { events, end };
    } catch (err) {
      // The next read opens the segment again rather than reusing a handle that failed.
      await this.#closeReader();
      throw err;
    } finally {
      this.#reading = false;
      this.#publish();
    }
  }

  /** Everything up to `position` was written by the sink: its segments can go. */
  ack(position: Position): void {
    if (this.#acked !== undefined && comparePositions(position, this.#acked) <= 0) return;
    this.#acked = position;
    this.#collect();
    this.#saveCheckpoint();
  }

  /** Resolves when every event appended so far is written to its segment file. */
  flushed(): Promise<void> {
    if (this.#pending.length === 0 && !this.#flushing) return Promise.resolve();
    return new Promise((resolveFlushed) => this.#flushWaiters.push(resolveFlushed));
  }

  /**
   * Writes what is pending, syncs (unless `fsync: never`), saves the checkpoint and deletes the
   * segments every record of which was written by the sink. What is left is replayed at the
   * next start.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#opened;
    await this.flushed();
    this.#closed = true;
    this.#syncTimer?.unsubscribe();
    this.#syncTimer = undefined;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#fdSeg = -1;
    if (fd) {
      if (this.#o.fsync !== 'never' && this.#unsynced) await fd.sync().catch(() => {});
      await fd.close().catch(() => {});
    }
    await this.#closeReader();
    this.#collect();
    this.#saveCheckpoint();
    while (this.#checkpointing) await this.#checkpointDone;
    this.#publish();
  }

  // --- writing -------------------------------------------------------------------------------

  #queueFlush(): void {
    if (this.#flushQueued || this.#flushing) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      void this.#flush();
    });
  }

  /** Moves the pool's unwritten records into the last pending group, as one slice. */
  #seal(): void {
    if (this.#poolAt === this.#sealFrom) return;
    this.#pending.at(-1)?.chunks.push(this.#pool.subarray(this.#sealFrom, this.#poolAt));
    this.#sealFrom = this.#poolAt;
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      this.#seal();
      for (let group = this.#pending.shift(); group; group = this.#pending.shift()) {
        await this.#writeGroup(group);
        this.#seal();
      }
    } finally {
      this.#flushing = false;
      this.#o.metrics.count('disk_buffer_spilled', this.#spilled);
      this.#spilled = 0;
      this.#publish();
      const waiters = this.#flushWaiters;
      this.#flushWaiters = [];
      for (const resolveWaiter of waiters) resolveWaiter();
    }
  }

  async #writeGroup(group: PendingGroup): Promise<void> {
    const segment = this.#segments.get(group.segment);
    if (!segment) return; // dropped whole to make room (drop_oldest)
    try {
      const fd = await this.#writerFor(group.segment);
      let written = (await fd.writev(group.chunks, segment.size)).bytesWritten;
      if (written < group.bytes) {
        const data = Buffer.concat(group.chunks, group.bytes);
        while (written < data.length) written += (await fd.write(data, written, data.length - written, segment.size + written)).bytesWritten;
      }
      segment.size += group.bytes;
      segment.pending -= group.bytes;
      this.#unsynced = true;
      await this.#maybeSync(fd);
    } catch (err) {
      segment.pending -= group.bytes;
      segment.events -= group.events;
      this.#bytes -= group.bytes;
      this.#unread = Math.max(0, this.#unread - group.events);
      // Cut off whatever part of the write landed, so the file ends on a whole record.
      await this.#fd?.truncate(segment.size).catch(() => {});
      this.#dropFull(group.events, err);
    }
  }

  /** The open handle of `seq`, closing (and syncing, unless `never`) the previous segment. */
  async #writerFor(seq: number): Promise<FileHandle> {
    if (this.#fd && this.#fdSeg === seq) return this.#fd;
    const previous = this.#fd;
    this.#fd = undefined;
    if (previous) {
      if (this.#o.fsync !== 'never' && this.#unsynced) await previous.sync();
      this.#unsynced = false;
      await previous.close();
    }
    const fd = await open(segmentPath(this.#o.dir, seq), 'w');
    this.#fd = fd;
    this.#fdSeg = seq;
    return fd;
  }

  async #maybeSync(fd: FileHandle): Promise<void> {
    const policy = this.#o.fsync;
    if (policy === 'always') {
      await fd.sync();
      this.#unsynced = false;
      return;
    }
    if (typeof policy !== 'number') return;
    const now = this.#o.scheduler.now();
    if (now - this.#lastSync >= policy) {
      this.#lastSync = now;
      await fd.sync();
      this.#unsynced = false;
    } else if (this.#syncTimer === undefined) {
      this.#syncTimer = this.#o.scheduler.schedule(() => {
        this.#syncTimer = undefined;
        const current = this.#fd;
        if (!current || !this.#unsynced || this.#closed) return;
        this.#lastSync = this.#o.scheduler.now();
        this.#unsynced = false;
        current.sync().catch((err: unknown) => this.#log.warn({ err }, 'Disk buffer fsync failed.'));
      }, policy - (now - this.#lastSync));
    }
  }

  /** `drop_oldest`: discards whole segments nobody reads yet until `need` bytes fit. */
  #makeRoom(need: number): boolean {
    if (this.#o.whenFull !== 'drop_oldest') return false;
    for (const [seq, segment] of this.#segments) {
      if (this.#bytes + need <= this.#o.maxBytes) break;
      if (seq <= this.#rseg || seq >= this.#appendSeg || seq === this.#fdSeg) continue;
      this.#o.metrics.drop('disk_full', false, segment.events);
      this.#unread = Math.max(0, this.#unread - segment.events);
      this.#warnFull(undefined);
      this.#forget(seq);
    }
    return this.#bytes + need <= this.#o.maxBytes;
  }

  #dropFull(events: number, err: unknown): void {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const reason = err === undefined || (code !== undefined && DISK_FULL_CODES.has(code)) ? 'disk_full' : 'disk_error';
    this.#o.metrics.drop(reason, false, events);
    this.#warnFull(err);
  }

  #warnFull(err: unknown): void {
    if (this.#full) return;
    this.#full = true;
    this.#o.metrics.gauge('disk_buffer_full', 1);
    this.#log.error(
      { err, dir: this.#o.dir, bytes: this.#bytes, maxBytes: this.#o.maxBytes },
      'Disk buffer full; events are dropped.',
    );
  }

  #roomAgain(): void {
    this.#full = false;
    this.#o.metrics.gauge('disk_buffer_full', 0);
    this.#log.info({ bytes: this.#bytes }, 'Disk buffer has room again.');
  }

  // --- reading -------------------------------------------------------------------------------

  /** Loads the next stretch of written data into the read buffer; false when there is none. */
  async #load(): Promise<boolean> {
    for (;;) {
      const segment = this.#segments.get(this.#rseg);
      if (segment === undefined) {
        const next = this.#nextSegment(this.#rseg);
        if (next === undefined) return this.#caughtUp();
        await this.#moveReader(next);
        continue;
      }
      if (this.#roff < segment.size) {
        const fd = await this.#readerFor(this.#rseg);
        const length = segment.size - this.#roff;
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fd.read(buf, got, length - got, this.#roff + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        this.#rbuf = buf;
        this.#rbufStart = this.#roff;
        this.#rpos = 0;
        this.#rlimit = got;
        if (got === 0) return this.#caughtUp();
        return true;
      }
      if (this.#rseg < this.#appendSeg && segment.pending === 0) {
        const next = this.#nextSegment(this.#rseg);
        if (next === undefined) return this.#caughtUp();
        await this.#moveReader(next);
        continue;
      }
      if (segment.pending > 0 || this.#pending.length > 0) {
        this.#queueFlush();
        await this.flushed();
        continue;
      }
      return this.#caughtUp();
    }
  }

  /** Nothing more is written than what was read: whatever the count said, nothing is unread. */
  #caughtUp(): false {
    // A damaged stretch is counted once where the reader resynced, however many records it
    // held: the ones the count still expects are gone with it, and are lost all the same.
    if (this.#unread > 0) this.#o.metrics.drop('corrupt_record', false, this.#unread);
    this.#unread = 0;
    this.#rbuf = undefined;
    this.#o.metrics.gauge('disk_buffer_drain_events_per_s', 0);
    this.#rateStart = Number.NaN;
    return false;
  }

  #nextSegment(after: number): number | undefined {
    let best: number | undefined;
    for (const seq of this.#segments.keys()) if (seq > after && (best === undefined || seq < best)) best = seq;
    return best;
  }

  async #moveReader(seq: number): Promise<void> {
    await this.#closeReader();
    this.#rseg = seq;
    this.#roff = 0;
    this.#rbuf = undefined;
  }

  async #readerFor(seq: number): Promise<FileHandle> {
    if (this.#rfd && this.#rfdSeg === seq) return this.#rfd;
    await this.#closeReader();
    const fd = await open(segmentPath(this.#o.dir, seq), 'r');
    this.#rfd = fd;
    this.#rfdSeg = seq;
    return fd;
  }

  async #closeReader(): Promise<void> {
    const fd = this.#rfd;
    this.#rfd = undefined;
    this.#rfdSeg = -1;
    await fd?.close().catch(() => {});
  }

  /**
   * Parses the payloads `buf[starts[i], ends[i])` into `out` (one `JSON.parse` each: measured
   * faster than one parse of them joined as an array). An earlier run's `receivedAt` (its own
   * monotonic clock) becomes now.
   */
  #parse(buf: Buffer, starts: readonly number[], ends: readonly number[], out: E[]): void {
    const leftover = this.#segments.get(this.#rseg)?.leftover === true;
    const now = leftover ? this.#o.clock() : 0;
    for (let i = 0; i < starts.length; i++) {
      let event: unknown;
      try {
        event = JSON.parse(buf.toString('utf8', starts[i] as number, ends[i] as number));
      } catch {
        // A record with a valid checksum that is not JSON: counted like a bad checksum.
        this.#corrupt(this.#rseg, this.#rbufStart + (starts[i] as number) - HEADER_BYTES);
        continue;
      }
      if (leftover && typeof event === 'object' && event !== null && 'receivedAt' in event) {
        (event as { receivedAt: number }).receivedAt = now;
      }
      out.push(event as E);
    }
  }

  #drained(n: number): void {
    if (n === 0) return;
    this.#o.metrics.count('disk_buffer_drained', n);
    const now = this.#o.scheduler.now();
    if (Number.isNaN(this.#rateStart)) {
      this.#rateStart = now;
      this.#rateCount = 0;
    }
    this.#rateCount += n;
    if (now - this.#rateStart >= RATE_WINDOW_MS) {
      this.#o.metrics.gauge('disk_buffer_drain_events_per_s', Math.round((this.#rateCount * 1000) / (now - this.#rateStart)));
      this.#rateStart = now;
      this.#rateCount = 0;
    }
  }

  /** Counts a bad record (`corrupt_record`); the first one is logged with where it is. */
  #corrupt(seq: number, offset: number): void {
    this.#o.metrics.drop('corrupt_record', false);
    const details = { segment: segmentPath(this.#o.dir, seq), offset };
    if (this.#warnedCorrupt) {
      this.#log.debug(details, 'Disk buffer record failed its checksum; skipped.');
      return;
    }
    this.#warnedCorrupt = true;
    this.#log.warn(details, 'Disk buffer record failed its checksum; skipped.');
  }

  // --- open and acknowledgement --------------------------------------------------------------

  /** The checkpoint's segment number, 0 when there is none (read once, at construction). */
  #checkpointedSegment(): number {
    try {
      const value = JSON.parse(readFileSync(join(this.#o.dir, CHECKPOINT_FILE), 'utf8')) as { segment?: unknown };
      return Number.isSafeInteger(value.segment) ? (value.segment as number) : 0;
    } catch {
      return 0;
    }
  }

  #listSync(): number[] {
    const out: number[] = [];
    for (const name of readdirSync(this.#o.dir)) {
      const m = /^(\d{20})\.seg$/.exec(name);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** Reads the checkpoint, deletes what it says was written, counts (and checks) the rest. */
  async #scan(): Promise<void> {
    if (!this.#scanning) return;
    const { position, problem } = await readCheckpoint(this.#o.dir);
    if (problem !== undefined) this.#log.warn({ dir: this.#o.dir, problem }, 'Disk buffer checkpoint unreadable; replaying every segment.');
    let events = 0;
    for (const [seq, segment] of [...this.#segments]) {
      if (!segment.leftover) continue;
      if (position !== undefined && seq < position.segment) {
        this.#forget(seq);
        continue;
      }
      const from = position !== undefined && seq === position.segment && position.offset <= segment.size ? position.offset : 0;
      const buf = await readFile(segmentPath(this.#o.dir, seq));
      walkRecords(buf, from, buf.length, true, {
        record: () => {
          segment.events += 1;
        },
        corrupt: (at) => this.#corrupt(seq, at),
      });
      events += segment.events;
      if (seq === this.#rseg || this.#segments.get(this.#rseg) === undefined) {
        this.#rseg = seq;
        this.#roff = from;
      }
      await nextTurn();
    }
    if (position !== undefined) this.#acked = position;
    this.#unread += events;
    this.#scanning = false;
    if (events > 0) {
      this.#log.info({ events, bytes: this.#bytes, dir: this.#o.dir }, 'Disk buffer replays what an earlier run left.');
    }
    this.#publish();
  }

  /** Deletes the segments every record of which is acknowledged (never the one being written). */
  #collect(): void {
    const acked = this.#acked;
    if (acked === undefined) return;
    this.#retireWriter(acked);
    for (const [seq, segment] of [...this.#segments]) {
      if (seq > acked.segment) break;
      if (seq === this.#fdSeg || segment.pending > 0) continue;
      const whole = seq < acked.segment || (acked.offset >= segment.size && (seq < this.#appendSeg || this.#closed));
      if (!whole) continue;
      if (seq === this.#rfdSeg) void this.#closeReader();
      this.#forget(seq);
    }
  }

  /**
   * The segment being written is wholly acknowledged and nothing waits: appends move on to a
   * new segment, and this one is closed and deleted, so a drained buffer takes no room.
   */
  #retireWriter(acked: Position): void {
    const seq = this.#fdSeg;
    const segment = this.#segments.get(seq);
    const fd = this.#fd;
    if (fd === undefined || segment === undefined || this.#flushing || this.#pending.length > 0) return;
    if (acked.segment !== seq || acked.offset < segment.size || segment.pending > 0) return;
    if (this.#appendSeg === seq) {
      this.#appendSeg += 1;
      this.#appendSize = 0;
    }
    this.#fd = undefined;
    this.#fdSeg = -1;
    this.#unsynced = false;
    if (seq === this.#rfdSeg) void this.#closeReader();
    void fd.close().catch(() => {}).then(() => this.#forget(seq));
  }

  #forget(seq: number): void {
    const segment = this.#segments.get(seq);
    if (!segment) return;
    this.#segments.delete(seq);
    this.#bytes -= segment.size + segment.pending;
    if (segment.pending > 0) {
      if (this.#pending.at(-1)?.segment === seq) this.#sealFrom = this.#poolAt;
      const kept = this.#pending.filter((group) => group.segment !== seq);
      this.#pending.splice(0, this.#pending.length, ...kept);
    }
    unlink(segmentPath(this.#o.dir, seq)).catch((err: unknown) => {
      this.#log.debug({ err, segment: seq }, 'Disk buffer segment could not be deleted; the next start does.');
    });
    this.#publish();
  }

  #saveCheckpoint(): void {
    if (this.#keepCheckpoint) return;
    if (this.#checkpointing) {
      this.#checkpointDirty = true;
      return;
    }
    const position = this.#acked;
    if (position === undefined) return;
    this.#checkpointing = true;
    this.#checkpointDone = writeCheckpoint(this.#o.dir, position)
      .catch((err: unknown) => this.#log.warn({ err }, 'Disk buffer checkpoint could not be written; more is replayed after a restart.'))
      .finally(() => {
        this.#checkpointing = false;
        if (this.#checkpointDirty) {
          this.#checkpointDirty = false;
          this.#saveCheckpoint();
        }
      });
  }

  #publish(): void {
    const metrics = this.#o.metrics;
    metrics.gauge('disk_buffer_bytes', this.#bytes);
    metrics.gauge('disk_buffer_events', this.#unread);
  }
}
