import { pino } from 'pino';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ChatflowEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { DEFAULT_SINK_DRIVER } from '../core/sinkDriverConfig.js';
import { chat } from '../../test/support/events.js';
import { BlackholeConfig, BlackholeSink, blackholeComponent } from './blackhole.js';
import { writeBatches } from '../pipelines/sinkDriver/writeBatches.js';

describe('BlackholeSink', () => {
  it('counts every event and batch, synchronously, and keeps nothing', () => {
    const sink = new BlackholeSink(BlackholeConfig.parse({}));
    const metrics = new NodeMetrics('void', 'sink', 'blackhole');
    const input = new Subject<ChatflowEvent>();
    input.pipe(writeBatches(sink, DEFAULT_SINK_DRIVER, { metrics })).subscribe();

    for (let i = 0; i < 5; i++) input.next(chat(`m${i}`));
    expect(sink.events).toBe(5);
    expect(sink.batches).toBe(5);
    expect(metrics.totalOut()).toBe(5);
  });

  it('logs the count at most every print_every, and once at stop', async () => {
    const logged: Array<{ msg: string; events: number; perSecond: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    let now = 0;
    const sink = new BlackholeSink(BlackholeConfig.parse({ print_every: '1s' }), { now: () => now, logger });

    sink.write([chat('a'), chat('b')]);
    now = 999;
    sink.write([chat('c')]);
    expect(logged).toEqual([]);
    now = 1000;
    sink.write([chat('d')]);
    now = 1500;
    sink.write([chat('e')]);
    await sink.stop();

    expect(logged.map((l) => [l.msg, l.events, l.perSecond])).toEqual([
      ['Blackhole count.', 4, 4],
      ['Blackhole count.', 5, 2],
    ]);
  });

  it('does not log without print_every', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
    const sink = new BlackholeSink(BlackholeConfig.parse({}), { logger });
    sink.write([chat('a')]);
    await sink.stop();
    expect(logged).toEqual([]);
  });
});

describe('blackholeComponent', () => {
  it('parses every example through its schema and rejects unknown keys', () => {
    for (const example of blackholeComponent.examples) {
      expect(() => blackholeComponent.config.parse(parse(example))).not.toThrow();
    }
    expect(BlackholeConfig.parse({ print_every: '10s' })).toEqual({ print_every: 10_000 });
    expect(BlackholeConfig.safeParse({ print_every: 10 }).success).toBe(false);
    expect(BlackholeConfig.safeParse({ rate: '1/s' }).success).toBe(false);
  });
});
