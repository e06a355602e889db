/**
 * The disk buffer (issue 17, docs/storage.md "Disk buffer"): how fast events are written to it
 * (serialized, checksummed, appended to segment files) and drained from it (read, checked,
 * parsed, acknowledged), in MB/s and events/s, against a raw sequential `write` of the same
 * bytes to a file on the same disk, in the same run. Goal: both at least 50% of raw.
 * fsync is off for the comparison (raw does not sync either); the default policy (`1s`) is
 * measured too, and so is JSON alone (stringify, parse of the same events), which bounds what
 * the disk tier can reach in its format.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import type { ChatEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { NodeMetrics } from '../src/core/metrics.js';
import type { FsyncPolicy } from '../src/core/sinkDriverConfig.js';
import { DiskBuffer } from '../src/pipelines/sinkDriver/diskBuffer/diskBuffer.js';
import { encodeRecord } from '../src/pipelines/sinkDriver/diskBuffer/records.js';
import { writeResult } from './results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Events appended per turn of the event loop, as a flood arrives (tmi.js parses a frame at a time). */
const PER_TURN = 1000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function chat(n: number): ChatEvent {
  return {
    kind: 'chat',
    id: `b1e3c0de-0000-4000-8000-${String(n).padStart(12, '0')}`,
    platform: 'twitch',
    channel: 'somestreamer',
    author: { id: String(40_000_000 + (n % 5000)), login: `viewer${n % 5000}`, displayName: `Viewer${n % 5000}`, roles: [] },
    text: `message ${n}: !cv cutoff 0.${n % 10} and some chat around it PogChamp`,
    emotes: [],
    ts: 1_700_000_000_000 + n,
    receivedAt: n / 10,
  } as unknown as ChatEvent;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Raw: the same record bytes written sequentially with `write`, in 1 MiB chunks. */
async function rawWrite(dir: string, bytes: Buffer): Promise<number> {
  const fd = await open(join(dir, 'raw.bin'), 'w');
  const started = performance.now();
  const CHUNK = 2 ** 20;
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const end = Math.min(bytes.length, at + CHUNK);
    await fd.write(bytes, at, end - at, at);
  }
  const seconds = (performance.now() - started) / 1000;
  await fd.close();
  return seconds;
}

async function diskRound(dir: string, events: readonly ChatEvent[], fsync: FsyncPolicy) {
  const buffer = new DiskBuffer<ChatEvent>({
    dir,
    maxBytes: 8 * 2 ** 30,
    fsync,
    whenFull: 'drop_newest',
    metrics: new NodeMetrics('history', 'sink', 'postgres'),
    logger: silentLogger(),
    scheduler: asyncScheduler,
    clock: () => performance.now(),
  });
  const started = performance.now();
  for (let i = 0; i < events.length; i += PER_TURN) {
    const end = Math.min(events.length, i + PER_TURN);
    for (let j = i; j < end; j++) buffer.append(events[j] as ChatEvent);
    await turn();
  }
  await buffer.flushed();
  const writeSeconds = (performance.now() - started) / 1000;
  const bytes = buffer.bytes;
  const drainStarted = performance.now();
  let drained = 0;
  for (;;) {
    const { events: got, end } = await buffer.read(10_000);
    if (end) buffer.ack(end);
    drained += got.length;
    if (got.length === 0) break;
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  await buffer.close();
  return { bytes, writeSeconds, drainSeconds, drained };
}

export async function diskBufferBench(): Promise<Record<string, unknown>> {
  const loadBefore = os.loadavg().map(round2);
  const events = Array.from({ length: EVENTS }, (_, n) => chat(n));
  const recordBytes = Buffer.concat(events.map((e) => encodeRecord(Buffer.from(JSON.stringify(e)))));
  const raw: number[] = [];
  const write: number[] = [];
  const drain: number[] = [];
  const writeDefault: number[] = [];
  const serialize: number[] = [];
  const parse: number[] = [];
  const jsons = events.map((e) => JSON.stringify(e));
  let drainedOk = true;
  for (let round = 0; round < ROUNDS; round++) {
    const dir = await mkdtemp(join(os.tmpdir(), 'chatflow-bench-disk-'));
    try {
      raw.push(await rawWrite(dir, recordBytes));
      // What JSON alone costs (no framing, no I/O): the ceiling of the disk tier in this format.
      let t = performance.now();
      for (const e of events) JSON.stringify(e);
      serialize.push((performance.now() - t) / 1000);
      t = performance.now();
      for (const j of jsons) JSON.parse(j);
      parse.push((performance.now() - t) / 1000);
      const r = await diskRound(join(dir, 'never'), events, 'never');
      if (r.bytes !== recordBytes.length || r.drained !== EVENTS) drainedOk = false;
      write.push(r.writeSeconds);
      drain.push(r.drainSeconds);
      writeDefault.push((await diskRound(join(dir, 'default'), events, 1000)).writeSeconds);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const mb = recordBytes.length / 1e6;
  const rate = (seconds: number) => ({ mbPerSecond: round2(mb / seconds), eventsPerSecond: Math.round(EVENTS / seconds) });
  const rawRate = rate(median(raw));
  const writeRate = rate(median(write));
  const drainRate = rate(median(drain));
  const writeVsRaw = round2(writeRate.mbPerSecond / rawRate.mbPerSecond);
  const drainVsRaw = round2(drainRate.mbPerSecond / rawRate.mbPerSecond);
  const figures = {
    events: EVENTS,
    megabytes: round2(mb),
    bytesPerEvent: Math.round(recordBytes.length / EVENTS),
    rounds: ROUNDS,
    rawWrite: rawRate,
    diskBufferWrite: writeRate,
    diskBufferDrain: drainRate,
    diskBufferWriteFsync1s: rate(median(writeDefault)),
    jsonStringifyOnly: rate(median(serialize)),
    jsonParseOnly: rate(median(parse)),
    writeVsRaw,
    drainVsRaw,
    goal: 'disk buffer write and drain each at least 50% of the raw write MB/s',
    everythingDrained: drainedOk,
    pass: drainedOk && writeVsRaw >= 0.5 && drainVsRaw >= 0.5,
    loadavgBefore: loadBefore,
    loadavgAfter: os.loadavg().map(round2),
  };
  await writeResult('disk-buffer', figures);
  return figures;
}
