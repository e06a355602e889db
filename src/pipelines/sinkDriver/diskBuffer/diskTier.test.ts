/**
 * The sink driver with `buffer.type: disk` on real files: what the memory buffer cannot hold
 * spills to disk and is written in order when the sink catches up; a drain that runs out of
 * time keeps what is held on disk (nothing dropped), and the next driver on the same directory
 * writes it; a full disk counts `disk_full` and goes on.
 */
import { mkdir, readdir, readFile, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sink } from '../../../core/component.js';
import { SinkWriteError } from '../../../core/errors.js';
import { NodeMetrics } from '../../../core/metrics.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../../../core/sinkDriverConfig.js';
import { tempDirs } from '../../../../test/support/tempDirs.js';
import { until } from '../../../../test/support/poll.js';
import { writeBatches } from '../writeBatches.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

interface Ev {
  readonly id: number;
  receivedAt: number;
}

/** A sink whose writes wait while `paused`; it records every event it wrote. */
function gatedSink() {
  const written: number[] = [];
  let paused = true;
  let release: (() => void)[] = [];
  const sink: Sink<Ev> = {
    write: (batch) => {
      const done = () => {
        for (const e of batch) written.push(e.id);
      };
      if (!paused) {
        done();
        return Promise.resolve();
      }
      return new Promise<void>((resolve) =>
        release.push(() => {
          done();
          resolve();
        }),
      );
    },
  };
  return {
    sink,
    written,
    resume: () => {
      paused = false;
      const pending = release;
      release = [];
      for (const r of pending) r();
    },
  };
}

const settings = (overrides: Partial<SinkDriverSettings> = {}): SinkDriverSettings => ({
  ...DEFAULT_SINK_DRIVER,
  bufferType: 'disk',
  bufferMax: 20,
  batchMax: 5,
  batchTimeoutMs: 0,
  flushTimeoutMs: 2000,
  diskFsync: 'never',
  ...overrides,
});

function driver(
  dir: string,
  sink: Sink<Ev>,
  overrides: Partial<SinkDriverSettings> = {},
  diskAfter?: Promise<unknown>,
  onCongestion?: (congested: boolean) => void,
) {
  const metrics = new NodeMetrics('history', 'sink', 'postgres');
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const input = new Subject<Ev>();
  const d = writeBatches(sink, settings(overrides), {
    metrics,
    logger,
    diskDir: dir,
    ...(diskAfter ? { diskAfter } : {}),
    ...(onCongestion ? { onCongestion } : {}),
  });
  const ended = d.run(input);
  return { d, input, ended, metrics, lines };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('sink driver with a disk buffer', () => {
  it('spills what memory cannot hold and writes everything in order, once, when the sink catches up', async () => {
    const dir = await temp.make('disk-tier-');
    const gated = gatedSink();
    const { input, ended, metrics, d } = driver(dir, gated.sink);
    for (const id of ids(0, 500)) input.next({ id, receivedAt: id });
    await until('events spilled to disk', () => (metrics.snapshot().counts?.disk_buffer_spilled ?? 0) > 0);
    const spilled = metrics.snapshot();
    // Memory holds 20 (plus the batch in flight); the rest waits on disk.
    expect(spilled.gauges?.disk_buffer_events).toBeGreaterThan(400);
    expect(spilled.gauges?.disk_buffer_bytes).toBeGreaterThan(0);
    gated.resume();
    // More arrive while it drains: they go behind what is on disk.
    for (const id of ids(500, 600)) input.next({ id, receivedAt: id });
    await until('every event written', () => gated.written.length >= 600);
    expect(gated.written).toEqual(ids(0, 600));
    input.complete();
    expect(await ended).toMatchObject({ dropped: 0, timedOut: false });
    await d.drain();
    const snap = metrics.snapshot();
    expect(snap.dropped).toEqual({});
    expect(snap.counts?.disk_buffer_drained).toBe(snap.counts?.disk_buffer_spilled);
    expect(snap.gauges?.disk_buffer_events).toBe(0);
    // Everything acknowledged: the segment files are gone.
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg'))).toEqual([]);
  });

  it('at the drain deadline keeps what it holds on disk (nothing dropped); the next start writes it', async () => {
    const dir = await temp.make('disk-tier-');
    const first = gatedSink();
    const run1 = driver(dir, first.sink, { flushTimeoutMs: 100 });
    for (const id of ids(0, 300)) run1.input.next({ id, receivedAt: id });
    const result = await run1.d.drain(100);
    expect(result).toMatchObject({ dropped: 0, timedOut: true });
    expect(run1.metrics.snapshot().dropped).toEqual({});
    expect(run1.lines.some((l) => l.msg === 'Sink stopped before it caught up; the events held are kept on disk for the next start.')).toBe(true);
    first.resume(); // the write in flight lands late: ignored, and replayed below (the sink's idempotency dedupes)

    const second = gatedSink();
    second.resume();
    const run2 = driver(dir, second.sink);
    await until('the earlier run replayed', () => second.written.length >= 300);
    run2.input.next({ id: 300, receivedAt: 0 });
    await until('the new event written', () => second.written.includes(300));
    expect(new Set(second.written)).toEqual(new Set(ids(0, 301)));
    expect(second.written).toHaveLength(301);
    // Replayed first, then the new one.
    expect(second.written.at(-1)).toBe(300);
    run2.input.complete();
    await run2.ended;
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg'))).toEqual([]);
  });

  it('a driver rebuilt by a reload opens the directory after the old one closed it, and writes its events after the old ones', async () => {
    const dir = await temp.make('disk-tier-');
    const old = gatedSink();
    const run1 = driver(dir, old.sink, { flushTimeoutMs: 100 });
    for (const id of ids(0, 200)) run1.input.next({ id, receivedAt: id });
    // The reload: the old driver drains (its deadline keeps what it holds on disk) while the new one starts.
    const retired = run1.d.drain(100);
    const next = gatedSink();
    next.resume();
    const run2 = driver(dir, next.sink, {}, retired);
    for (const id of ids(200, 230)) run2.input.next({ id, receivedAt: id });
    await retired;
    await until('everything written by the new driver', () => next.written.length >= 230);
    old.resume();
    // The old driver's events first, in order (what its stuck batch held comes again: idempotent sinks dedupe), then the new ones.
    expect(next.written.slice(-30)).toEqual(ids(200, 230));
    expect(new Set(next.written)).toEqual(new Set(ids(0, 230)));
    expect(run2.metrics.snapshot().dropped).toEqual({});
    run2.input.complete();
    await run2.ended;
  });

  it('when the disk buffer is full too, counts disk_full, logs an error once, and goes on', async () => {
    const dir = await temp.make('disk-tier-');
    const gated = gatedSink();
    const { input, metrics, lines, d } = driver(dir, gated.sink, { diskMaxBytes: 2000, whenFull: 'drop_newest' });
    for (const id of ids(0, 400)) input.next({ id, receivedAt: id });
    const dropped = metrics.snapshot().dropped.disk_full?.count ?? 0;
    expect(dropped).toBeGreaterThan(300);
    expect(lines.filter((l) => l.msg === 'Disk buffer full; events are dropped.' && l.level === 50)).toHaveLength(1);
    gated.resume();
    await until('what was kept is written', () => gated.written.length >= 400 - dropped);
    expect(gated.written).toHaveLength(400 - dropped);
    // Kept in order: the first ones (memory, then disk), none twice.
    expect(gated.written).toEqual(ids(0, 400 - dropped));
    await d.drain();
  });

  it('clears its congestion once the disk holds nothing more, even when the last read found only damaged records', async () => {
    const dir = await temp.make('disk-tier-');
    const gated = gatedSink();
    const states: boolean[] = [];
    const { input, metrics, d } = driver(dir, gated.sink, {}, undefined, (c) => states.push(c));
    for (const id of ids(0, 300)) input.next({ id, receivedAt: id });
    expect(states).toEqual([true]);
    await until('the spilled events are in their segment file', () => (metrics.snapshot().counts?.disk_buffer_spilled ?? 0) > 0);
    // Every record on disk damaged (a failing disk): none can be read back.
    for (const name of (await readdir(dir)).filter((f) => f.endsWith('.seg'))) {
      const bytes = await readFile(join(dir, name));
      await writeFile(join(dir, name), Buffer.alloc(bytes.length, 0x20));
    }
    gated.resume();
    const detail = () => JSON.stringify({ states, written: gated.written.length, snap: metrics.snapshot() });
    const opts = { timeoutMs: 5000, detail };
    await until('the disk tier found nothing readable', () => metrics.snapshot().gauges?.disk_buffer_events === 0, opts);
    await until('what memory held is written', () => gated.written.length >= 21, opts);
    // The sink caught up and nothing waits: pausable sources must not stay paused.
    await until('congestion cleared', () => states.at(-1) === false, opts);
    expect(states).toEqual([true, false]);
    // Every event spilled is written or counted as lost: none vanishes uncounted.
    const snap = metrics.snapshot();
    expect(snap.dropped.corrupt_record?.count).toBe((snap.counts?.disk_buffer_spilled ?? 0) - (snap.counts?.disk_buffer_drained ?? 0));
    await d.drain();
  });

  it('a sink that cannot start (a path it may not write) leaves what an earlier run kept on disk for the next start', async () => {
    const dir = await temp.make('disk-tier-');
    const first = gatedSink();
    const run1 = driver(dir, first.sink, { flushTimeoutMs: 100 });
    for (const id of ids(0, 300)) run1.input.next({ id, receivedAt: id });
    await run1.d.drain(100);

    // The next run's sink is refused for good (file sink: EACCES): nothing is written.
    const refused: Sink<Ev> = {
      start: () => {
        throw new SinkWriteError('history', 'Cannot open "out.jsonl": EACCES.');
      },
      write: () => {},
    };
    const states: boolean[] = [];
    const run2 = driver(dir, refused, { flushTimeoutMs: 100 }, undefined, (c) => states.push(c));
    for (const id of ids(300, 310)) run2.input.next({ id, receivedAt: id });
    await until('the sink refused and the earlier run scanned', () => run2.lines.some((l) => l.msg === 'Disk buffer replays what an earlier run left.') && run2.metrics.snapshot().errors > 0, {
      timeoutMs: 5000,
    });
    run2.input.complete();
    await run2.ended;
    // Nothing read back only to be dropped: the earlier run's events, and the new ones behind them, wait.
    expect(run2.metrics.snapshot().dropped).toEqual({});
    expect(states.at(-1) ?? false).toBe(false);

    const third = gatedSink();
    third.resume();
    const run3 = driver(dir, third.sink);
    await until('everything kept written', () => third.written.length >= 310, { timeoutMs: 5000, detail: () => String(third.written.length) });
    expect(new Set(third.written)).toEqual(new Set(ids(0, 310)));
    run3.input.complete();
    await run3.ended;
  });

  it('a read back from disk that failed is tried again on its own, not only when more events come', async () => {
    const dir = await temp.make('disk-tier-');
    const gated = gatedSink();
    const { input, metrics, lines, d } = driver(dir, gated.sink);
    for (const id of ids(0, 300)) input.next({ id, receivedAt: id });
    await until('the spilled events are in their segment file', () => (metrics.snapshot().counts?.disk_buffer_spilled ?? 0) > 0);
    // The segment cannot be read for a while (EISDIR here; EIO on a failing disk).
    const [name] = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
    const path = join(dir, name as string);
    const bytes = await readFile(path);
    await unlink(path);
    await mkdir(path);
    gated.resume();
    const opts = { timeoutMs: 5000, detail: () => String(gated.written.length) };
    await until('the read failed', () => lines.some((l) => l.msg === 'Disk buffer read failed; what is on disk is kept for the next start.'), opts);
    await until('what memory held is written', () => gated.written.length >= 21, opts);
    // Then the disk can be read again; nothing else arrives.
    await rmdir(path);
    await writeFile(path, bytes);
    await until('everything written', () => gated.written.length >= 300, opts);
    expect(gated.written).toEqual(ids(0, 300));
    input.complete();
    await d.drain();
  });
});
