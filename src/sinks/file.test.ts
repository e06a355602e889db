import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NotConnectedError, SinkWriteError } from '../core/errors.js';
import type { ChatflowEvent, ControlEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../core/sinkDriverConfig.js';
import { chat } from '../../test/support/events.js';
import { FileConfig, FileSink, fileComponent } from './file.js';
import { writeBatches } from '../pipelines/sinkDriver/writeBatches.js';

const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...fileComponent.driver, initialBackoffMs: 1 };

const control: ControlEvent = {
  kind: 'control',
  variable: 'cutoff',
  value: 0.7,
  previous: 0.5,
  origin: 'command',
  by: { login: 'ana', platform: 'twitch' },
  ts: 12,
  receivedAt: 3.25,
};

async function readLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('FileSink', () => {
  let dir: string;
  let metrics: NodeMetrics;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chatflow-file-'));
    metrics = new NodeMetrics('history', 'sink', 'file');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sinkFor = (raw: Record<string, unknown>) =>
    new FileSink('history', FileConfig.parse(raw), { baseDir: dir, drops: metrics });

  it('writes every event as one JSON line, exactly as the pipeline has it', async () => {
    const sink = sinkFor({ path: 'events.jsonl' });
    const events: ChatflowEvent[] = [chat('hello', { id: 'm1' }), control, chat('line\nbreak "quoted"')];
    const result = await writeBatches(sink, settings, { metrics }).run(from(events));

    expect(result).toEqual({ written: 3, dropped: 0, timedOut: false });
    expect(await readLines(join(dir, 'events.jsonl'))).toEqual(events);
  });

  it('creates missing directories, resolving the path against the pipeline directory', async () => {
    const sink = sinkFor({ path: 'recordings/2024/stream.jsonl' });
    expect(sink.path).toBe(join(dir, 'recordings/2024/stream.jsonl'));
    await writeBatches(sink, settings, { metrics }).run(from([control]));
    expect(await readLines(sink.path)).toEqual([control]);
  });

  it('appends by default, and empties the file first with append: false', async () => {
    const path = join(dir, 'log.jsonl');
    await writeFile(path, `${JSON.stringify(chat('old'))}\n`);
    await writeBatches(sinkFor({ path: 'log.jsonl' }), settings, { metrics }).run(from([control]));
    expect(await readLines(path)).toEqual([chat('old'), control]);

    await writeBatches(sinkFor({ path: 'log.jsonl', append: false }), settings, { metrics }).run(from([control]));
    expect(await readLines(path)).toEqual([control]);
  });

  it('reopens in append mode after a reconnect, even with append: false', async () => {
    const sink = sinkFor({ path: 'log.jsonl', append: false });
    await sink.start();
    await sink.write([chat('a')]);
    await sink.stop();
    expect(() => sink.write([chat('lost')])).toThrow(NotConnectedError);
    await sink.start();
    await sink.write([chat('b')]);
    await sink.stop();
    await sink.stop(); // idempotent
    expect(await readLines(sink.path)).toEqual([chat('a'), chat('b')]);
  });

  it('flush with fsync: true resolves once the data is synced', async () => {
    const sink = sinkFor({ path: 'synced.jsonl', fsync: true });
    await sink.start();
    await sink.write([control]);
    await sink.flush();
    expect(await readLines(sink.path)).toEqual([control]);
    await sink.stop();
  });

  it('drops an event it cannot serialize (unserializable) and writes the rest', async () => {
    const sink = sinkFor({ path: 'events.jsonl' });
    const bad = { ...control, value: 10n } as unknown as ChatflowEvent;
    await writeBatches(sink, settings, { metrics }).run(from([control, bad, control]));
    expect(await readLines(sink.path)).toEqual([control, control]);
    expect(metrics.snapshot().dropped).toEqual({ unserializable: { count: 1, intentional: false } });
  });

  it('fails to start with a SinkWriteError naming the path when the path is a directory', async () => {
    await mkdir(join(dir, 'taken'));
    const sink = sinkFor({ path: 'taken' });
    const failure = sink.start();
    await expect(failure).rejects.toThrow(SinkWriteError);
    await expect(failure).rejects.toThrow(`"${join(dir, 'taken')}"`);
  });

  it('fails to start with a SinkWriteError when a parent of the path is a file', async () => {
    await writeFile(join(dir, 'file'), '');
    const sink = sinkFor({ path: 'file/sub/events.jsonl' });
    await expect(sink.start()).rejects.toThrow(SinkWriteError);
  });

  it('through the driver, an unwritable path drops every event as write_failed (never silently)', async () => {
    await mkdir(join(dir, 'taken'));
    const sink = sinkFor({ path: 'taken' });
    const input = new Subject<ChatflowEvent>();
    const ended = writeBatches(sink, settings, { metrics }).run(input);
    await new Promise((resolve) => setImmediate(resolve));
    input.next(control);
    input.next(control);
    input.complete();
    await ended;
    expect(metrics.snapshot().dropped).toEqual({ write_failed: { count: 2, intentional: false } });
    expect(metrics.lastError).toContain('taken');
  });
});

describe('fileComponent', () => {
  it('parses every example through its schema', () => {
    for (const example of fileComponent.examples) {
      expect(() => fileComponent.config.parse(parse(example))).not.toThrow();
    }
  });

  it('fills defaults and rejects unknown keys', () => {
    expect(FileConfig.parse({ path: 'a.jsonl' })).toEqual({ path: 'a.jsonl', append: true, fsync: false });
    expect(FileConfig.safeParse({ path: 'a.jsonl', mode: 'w' }).success).toBe(false);
    expect(FileConfig.safeParse({}).success).toBe(false);
  });
});
