import { mkdir, readdir, readFile, rmdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { asyncScheduler, type SchedulerLike, Subscription } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../../core/metrics.js';
import type { FsyncPolicy, WhenFull } from '../../../core/sinkDriverConfig.js';
import { until } from '../../../../test/support/poll.js';
import { tempDirs } from '../../../../test/support/tempDirs.js';
import { DiskBuffer } from './diskBuffer.js';
import { CHECKPOINT_FILE, listSegments, segmentPath } from './segmentFiles.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

interface Ev {
  readonly kind: 'chat';
  readonly id: string;
  readonly text: string;
  receivedAt: number;
}
const ev = (n: number): Ev => ({ kind: 'chat', id: `m${n}`, text: `message number ${n}`, receivedAt: 1000 + n });
const ids = (events: readonly Ev[]) => events.map((e) => e.id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function open(
  dir: string,
  options: { segmentBytes?: number; maxBytes?: number; whenFull?: WhenFull; fsync?: FsyncPolicy; clock?: () => number } = {},
) {
  const metrics = new NodeMetrics('history', 'sink', 'postgres');
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const buffer = new DiskBuffer<Ev>({
    dir,
    maxBytes: options.maxBytes ?? 2 ** 30,
    fsync: options.fsync ?? 'never',
    whenFull: options.whenFull ?? 'drop_newest',
    segmentBytes: options.segmentBytes ?? 1024,
    metrics,
    logger,
    scheduler: asyncScheduler,
    clock: options.clock ?? (() => 5),
  });
  return { buffer, metrics, lines };
}

async function readAll(buffer: DiskBuffer<Ev>, max = 1000) {
  const events: Ev[] = [];
  let end: { segment: number; offset: number } | undefined;
  for (;;) {
    const got = await buffer.read(max);
    events.push(...got.events);
    end = got.end ?? end;
    if (got.events.length === 0) return { events, end };
  }
}

describe('DiskBuffer', () => {
  it('reads back what was appended, in order, across rotated segments', async () => {
    const dir = await temp.make('disk-buffer-');
    const { buffer, metrics } = open(dir, { segmentBytes: 1024 });
    for (const n of range(0, 100)) buffer.append(ev(n));
    expect(buffer.holding).toBe(true);
    expect(buffer.unread).toBe(100);
    const { events } = await readAll(buffer, 30);
    expect(ids(events)).toEqual(range(0, 100).map((n) => `m${n}`));
    expect(events[7]).toEqual(ev(7));
    expect(buffer.holding).toBe(false);
    // ~80 bytes a record, 1 KiB segments: several files.
    expect((await listSegments(dir)).length).toBeGreaterThan(5);
    const snap = metrics.snapshot();
    expect(snap.counts).toMatchObject({ disk_buffer_spilled: 100, disk_buffer_drained: 100 });
    expect(snap.gauges?.disk_buffer_events).toBe(0);
    expect(snap.gauges?.disk_buffer_bytes).toBe(buffer.bytes);
    await buffer.close();
  });

  it('reads what arrives while it reads, after what was there', async () => {
    const dir = await temp.make('disk-buffer-');
    const { buffer } = open(dir);
    for (const n of range(0, 10)) buffer.append(ev(n));
    const first = await buffer.read(4);
    for (const n of range(10, 20)) buffer.append(ev(n));
    const rest = await readAll(buffer);
    expect(ids([...first.events, ...rest.events])).toEqual(range(0, 20).map((n) => `m${n}`));
    await buffer.close();
  });

  it('deletes segments once every record in them is acknowledged, and keeps the checkpoint', async () => {
    const dir = await temp.make('disk-buffer-');
    const { buffer, metrics } = open(dir, { segmentBytes: 1024 });
    for (const n of range(0, 100)) buffer.append(ev(n));
    const half = await buffer.read(50);
    const before = await listSegments(dir);
    buffer.ack(half.end as { segment: number; offset: number });
    await buffer.flushed();
    await new Promise((r) => setTimeout(r, 20));
    const after = await listSegments(dir);
    expect(after.length).toBeLessThan(before.length);
    expect(after[0]).toBe(half.end?.segment);
    const checkpoint = JSON.parse(await readFile(join(dir, CHECKPOINT_FILE), 'utf8'));
    expect(checkpoint).toEqual(half.end);
    const rest = await readAll(buffer);
    buffer.ack(rest.end as { segment: number; offset: number });
    await buffer.close();
    // Everything written: nothing left on disk but the checkpoint.
    expect(await listSegments(dir)).toEqual([]);
    expect(buffer.bytes).toBe(0);
    expect(metrics.snapshot().gauges?.disk_buffer_bytes).toBe(0);
  });

  it('replays after a restart from the checkpoint on, stamping receivedAt with the new clock', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir, { segmentBytes: 1024 });
    for (const n of range(0, 60)) first.buffer.append(ev(n));
    const read = await first.buffer.read(25);
    first.buffer.ack(read.end as { segment: number; offset: number });
    // Read but not acknowledged: these come back too.
    await first.buffer.read(10);
    await first.buffer.close();

    const second = open(dir, { segmentBytes: 1024, clock: () => 42 });
    expect(second.buffer.holding).toBe(true); // before the scan ends: new events must wait behind
    await second.buffer.opened();
    expect(second.buffer.unread).toBe(35);
    second.buffer.append(ev(60));
    const { events } = await readAll(second.buffer);
    expect(ids(events)).toEqual(range(25, 61).map((n) => `m${n}`));
    expect(events[0]?.receivedAt).toBe(42);
    // This run's own event keeps its stamp.
    expect(events.at(-1)?.receivedAt).toBe(1060);
    expect(second.lines.some((l) => l.msg === 'Disk buffer replays what an earlier run left.')).toBe(true);
    await second.buffer.close();
  });

  it('an earlier run\'s segments it cannot read at start are kept, as it says, and replayed once they can be', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir, { segmentBytes: 1024 });
    for (const n of range(0, 60)) first.buffer.append(ev(n));
    await first.buffer.close();
    const left = await listSegments(dir);
    // Something the scan cannot read, after the real segments (EISDIR here; EACCES or EIO elsewhere).
    const blocker = segmentPath(dir, (left.at(-1) as number) + 1);
    await mkdir(blocker);

    const second = open(dir, { segmentBytes: 1024 });
    await second.buffer.opened();
    expect(second.lines.some((l) => l.msg === 'Disk buffer could not read what an earlier run left; it is kept for the next start.')).toBe(true);
    // This run goes on with its own events, read and acknowledged as usual.
    second.buffer.append(ev(100));
    const mine = await readAll(second.buffer);
    expect(ids(mine.events)).toEqual(['m100']);
    second.buffer.ack(mine.end as { segment: number; offset: number });
    await second.buffer.close();
    // Nothing of the earlier run was deleted…
    expect(await listSegments(dir)).toEqual(expect.arrayContaining(left));

    // …so once the problem is gone, the next start replays all of it.
    await rmdir(blocker);
    const third = open(dir, { segmentBytes: 1024 });
    await third.buffer.opened();
    const { events } = await readAll(third.buffer);
    expect(ids(events)).toEqual(range(0, 60).map((n) => `m${n}`));
    await third.buffer.close();
  });

  it('replays what was written before a crash (no close), from the last checkpoint', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir);
    for (const n of range(0, 40)) first.buffer.append(ev(n));
    await first.buffer.flushed();
    // kill -9: nothing more happens to `first`.
    const second = open(dir);
    await second.buffer.opened();
    expect(ids((await readAll(second.buffer)).events)).toEqual(range(0, 40).map((n) => `m${n}`));
    await second.buffer.close();
  });

  it('numbers new segments after the checkpoint, so a drained buffer reopened and crashed loses nothing', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir);
    for (const n of range(0, 40)) first.buffer.append(ev(n));
    const all = await readAll(first.buffer);
    first.buffer.ack(all.end as { segment: number; offset: number });
    await first.buffer.close();
    expect(await listSegments(dir)).toEqual([]);
    // The next run writes a few and crashes; the one after must still find them.
    const second = open(dir);
    await second.buffer.opened();
    for (const n of range(40, 45)) second.buffer.append(ev(n));
    await second.buffer.flushed();
    const third = open(dir);
    await third.buffer.opened();
    expect(ids((await readAll(third.buffer)).events)).toEqual(range(40, 45).map((n) => `m${n}`));
    await third.buffer.close();
  });

  it('skips a bit-flipped record, counts it as corrupt_record, logs where once, and replays the rest', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir, { segmentBytes: 1 << 20 });
    for (const n of range(0, 20)) first.buffer.append(ev(n));
    for (const n of range(20, 30)) first.buffer.append(ev(n));
    await first.buffer.flushed();
    const [seg] = await listSegments(dir);
    const path = segmentPath(dir, seg as number);
    const bytes = await readFile(path);
    const sizes = range(0, 30).map((n) => 8 + Buffer.byteLength(JSON.stringify(ev(n))));
    const offsetOf = (n: number) => sizes.slice(0, n).reduce((a, b) => a + b, 0);
    expect(offsetOf(30)).toBe(bytes.length);
    // Flip one bit inside record 5 and another inside record 17.
    for (const n of [5, 17]) {
      const at = offsetOf(n) + 20;
      bytes[at] = (bytes[at] as number) ^ 0x10;
    }
    await writeFile(path, bytes);

    const second = open(dir, { segmentBytes: 1 << 20 });
    await second.buffer.opened();
    const { events } = await readAll(second.buffer);
    expect(ids(events)).toEqual(range(0, 30).filter((n) => n !== 5 && n !== 17).map((n) => `m${n}`));
    expect(second.metrics.snapshot().dropped.corrupt_record).toEqual({ count: 2, intentional: false });
    const warnings = second.lines.filter((l) => l.msg === 'Disk buffer record failed its checksum; skipped.' && l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ segment: path, offset: offsetOf(5) });
    await second.buffer.close();
  });

  it('skips a record cut short at the end of a segment (a crash mid-write)', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir, { segmentBytes: 1 << 20 });
    for (const n of range(0, 10)) first.buffer.append(ev(n));
    await first.buffer.flushed();
    const [seg] = await listSegments(dir);
    const path = segmentPath(dir, seg as number);
    await truncate(path, (await stat(path)).size - 7);

    const second = open(dir, { segmentBytes: 1 << 20 });
    await second.buffer.opened();
    expect(ids((await readAll(second.buffer)).events)).toEqual(range(0, 9).map((n) => `m${n}`));
    expect(second.metrics.snapshot().dropped.corrupt_record?.count).toBe(1);
    await second.buffer.close();
  });

  it('an unreadable checkpoint replays every segment', async () => {
    const dir = await temp.make('disk-buffer-');
    const first = open(dir);
    for (const n of range(0, 5)) first.buffer.append(ev(n));
    const read = await first.buffer.read(3);
    first.buffer.ack(read.end as { segment: number; offset: number });
    await first.buffer.close();
    await writeFile(join(dir, CHECKPOINT_FILE), '{"segm');
    const second = open(dir);
    await second.buffer.opened();
    expect(ids((await readAll(second.buffer)).events)).toEqual(range(0, 5).map((n) => `m${n}`));
    expect(second.lines.some((l) => l.msg === 'Disk buffer checkpoint unreadable; replaying every segment.')).toBe(true);
    await second.buffer.close();
  });

  it('max_size with drop_newest: drops what does not fit as disk_full, logs once, takes events again when there is room', async () => {
    const dir = await temp.make('disk-buffer-');
    const recordBytes = 8 + JSON.stringify(ev(10)).length;
    const { buffer, metrics, lines } = open(dir, { maxBytes: recordBytes * 20, segmentBytes: recordBytes * 5 });
    for (const n of range(10, 40)) buffer.append(ev(n));
    expect(buffer.unread).toBe(20);
    expect(buffer.bytes).toBeLessThanOrEqual(recordBytes * 20);
    expect(metrics.snapshot().dropped.disk_full).toEqual({ count: 10, intentional: false });
    expect(metrics.snapshot().gauges?.disk_buffer_full).toBe(1);
    expect(lines.filter((l) => l.msg === 'Disk buffer full; events are dropped.' && l.level === 50)).toHaveLength(1);
    // The sink writes the first 10: their two segments go, and there is room again.
    const read = await buffer.read(10);
    buffer.ack(read.end as { segment: number; offset: number });
    buffer.append(ev(40));
    expect(metrics.snapshot().dropped.disk_full?.count).toBe(10);
    expect(metrics.snapshot().gauges?.disk_buffer_full).toBe(0);
    const rest = await readAll(buffer);
    expect(ids(rest.events)).toEqual([...range(20, 30), 40].map((n) => `m${n}`));
    await buffer.close();
  });

  it('a drained buffer takes no room: the segment being written goes once all of it is acknowledged', async () => {
    const dir = await temp.make('disk-buffer-');
    const recordBytes = 8 + JSON.stringify(ev(10)).length;
    // One segment holds everything: without retiring it, the buffer would stay full forever.
    const { buffer, metrics } = open(dir, { maxBytes: recordBytes * 10, segmentBytes: recordBytes * 100 });
    for (const n of range(10, 20)) buffer.append(ev(n));
    const read = await readAll(buffer);
    buffer.ack(read.end as { segment: number; offset: number });
    await until('the segment is deleted', () => buffer.bytes === 0);
    for (const n of range(20, 30)) buffer.append(ev(n));
    expect(metrics.snapshot().dropped).toEqual({});
    expect(ids((await readAll(buffer)).events)).toEqual(range(20, 30).map((n) => `m${n}`));
    await buffer.close();
  });

  it('max_size with drop_oldest: drops the oldest whole segment not being read', async () => {
    const dir = await temp.make('disk-buffer-');
    const recordBytes = 8 + JSON.stringify(ev(10)).length;
    const { buffer, metrics } = open(dir, { maxBytes: recordBytes * 20, segmentBytes: recordBytes * 5, whenFull: 'drop_oldest' });
    for (const n of range(10, 35)) buffer.append(ev(n));
    // Segments of 5: [10-14] is where reading starts, so [15-19] went to make room for 30-34.
    expect(metrics.snapshot().dropped.disk_full).toEqual({ count: 5, intentional: false });
    const { events } = await readAll(buffer);
    expect(ids(events)).toEqual([...range(10, 15), ...range(20, 35)].map((n) => `m${n}`));
    await buffer.close();
  });

  it('fsync always: each write is synced; the files hold every record', async () => {
    const dir = await temp.make('disk-buffer-');
    const { buffer } = open(dir, { fsync: 'always' });
    for (const n of range(0, 10)) buffer.append(ev(n));
    await buffer.flushed();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
    let size = 0;
    for (const f of files) size += (await stat(join(dir, f))).size;
    expect(size).toBe(buffer.bytes);
    await buffer.close();
  });

  it('reports the drain rate in events per second over windows of scheduler time, 0 once drained', async () => {
    const dir = await temp.make('disk-buffer-');
    let now = 0;
    const scheduler = { now: () => now, schedule: () => Subscription.EMPTY } as unknown as SchedulerLike;
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const buffer = new DiskBuffer<Ev>({
      dir,
      maxBytes: 2 ** 20,
      fsync: 'never',
      whenFull: 'drop_newest',
      metrics,
      logger: pino({ level: 'silent' }),
      scheduler,
      clock: () => 0,
    });
    for (const n of range(0, 100)) buffer.append(ev(n));
    const rate = () => metrics.snapshot().gauges?.disk_buffer_drain_events_per_s;
    await buffer.read(10); // the window opens at 0
    now = 1000;
    await buffer.read(10);
    expect(rate()).toBeUndefined(); // not a whole window yet
    now = 2500;
    await buffer.read(30);
    expect(rate()).toBe(20); // 50 events in 2.5 s
    now = 3000;
    await readAll(buffer);
    expect(rate()).toBe(0);
    await buffer.close();
  });

  it('counts an event that cannot be serialized as unserializable', async () => {
    const dir = await temp.make('disk-buffer-');
    const { buffer, metrics } = open(dir);
    const loop: Record<string, unknown> = { kind: 'chat' };
    loop.self = loop;
    buffer.append(loop as unknown as Ev);
    expect(metrics.snapshot().dropped.unserializable?.count).toBe(1);
    expect(buffer.unread).toBe(0);
    await buffer.close();
  });
});
