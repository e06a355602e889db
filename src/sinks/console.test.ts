import { Writable } from 'node:stream';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SinkWriteError } from '../core/errors.js';
import type {
  ChatflowEvent,
  CommandEvent,
  ControlEvent,
  MetricEvent,
  ModerationEvent,
  PlatformEvent,
  ReplyEvent,
} from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { DEFAULT_SINK_DRIVER } from '../core/sinkDriverConfig.js';
import { chat } from '../../test/support/events.js';
import { ConsoleConfig, ConsoleSink, consoleComponent, formatLine, sanitize } from './console.js';
import { writeBatches } from '../pipelines/sinkDriver/writeBatches.js';

/** A writable that keeps what it is given. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

const config = (raw: Record<string, unknown> = {}) => ConsoleConfig.parse(raw);

describe('formatLine', () => {
  const viewer = chat('hello there', { user: 'ana', channel: 'synthwave' });

  it('prints chat as [platform] #channel name: text, and /me as * name text', () => {
    expect(formatLine(viewer)).toBe('[twitch] #synthwave ana: hello there');
    expect(formatLine({ ...viewer, action: true })).toBe('[twitch] #synthwave * ana hello there');
  });

  it('prints a control change with who moved it and how', () => {
    const control: ControlEvent = {
      kind: 'control',
      variable: 'cutoff',
      value: 0.7,
      previous: 0.5,
      origin: 'command',
      by: { login: 'ana', platform: 'twitch' },
      ts: 0,
      receivedAt: 0,
    };
    expect(formatLine(control)).toBe('cutoff = 0.70 (← ana via command)');
    const { by: _by, ...slewed } = control;
    expect(formatLine({ ...slewed, origin: 'slew', value: 0.65 })).toBe('cutoff = 0.65 (via slew)');
  });

  it('prints commands, moderation, platform events, replies and metrics', () => {
    const command: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { name: 'cutoff', value: 0.7 },
      chat: viewer,
      receivedAt: 0,
    };
    const moderation: ModerationEvent = {
      kind: 'moderation',
      verdict: 'flag',
      reasons: ['links', 'caps'],
      points: 3,
      chat: viewer,
      receivedAt: 0,
    };
    const raid: PlatformEvent = {
      kind: 'platform',
      type: 'raid',
      id: 'r1',
      platform: 'twitch',
      channel: 'synthwave',
      author: viewer.author,
      ts: 0,
      data: { viewers: 12 },
      receivedAt: 0,
    };
    const reply: ReplyEvent = { kind: 'reply', platform: 'kick', channel: 'synthwave', text: 'cutoff set', receivedAt: 0 };
    const metric: MetricEvent = {
      kind: 'metric',
      name: 'chat_events_total',
      labels: { platform: 'twitch' },
      value: 1234,
      instance: 'a',
      ts: 0,
      receivedAt: 0,
    };
    const latency: MetricEvent = {
      ...metric,
      name: 'latency_ms',
      labels: {},
      summary: { count: 10, sum: 12, p50: 1.2, p95: 2.25, p99: 3.1234, max: 4 },
    };

    expect(formatLine(command)).toBe('[twitch] #synthwave ana → cv name=cutoff value=0.7');
    expect(formatLine(moderation)).toBe('[twitch] #synthwave flag ana (links, caps; 3 points): hello there');
    expect(formatLine(raid)).toBe('[twitch] #synthwave raid by ana (viewers=12)');
    expect(formatLine(reply)).toBe('[kick] #synthwave ↩ cutoff set');
    expect(formatLine(metric)).toBe('chat_events_total{platform=twitch} = 1234');
    expect(formatLine(latency)).toBe('latency_ms n=10 p50=1.2 p95=2.25 p99=3.123 max=4');
  });

  it('sanitises chat-provided names and text', () => {
    const troll = chat('\u001b[2J\u001b[31mred\u001b[0m', { user: 'ev\u001b]0;owned\u0007il' });
    expect(formatLine(troll)).toBe('[twitch] #chan evil: red');
  });
});

describe('sanitize', () => {
  it('returns clean text unchanged, emoji and accents included', () => {
    const text = 'Grüße 🎛️ ×2 — ok';
    expect(sanitize(text)).toBe(text);
  });

  it('drops CSI sequences (colours, cursor moves, screen clears)', () => {
    expect(sanitize('\u001b[31mred\u001b[0m \u001b[2J\u001b[1;1Hhome')).toBe('red home');
    expect(sanitize('a\u009b31mb')).toBe('ab');
  });

  it('drops OSC strings (window title, hyperlinks) up to BEL or ST, and other escapes', () => {
    expect(sanitize('x\u001b]0;pwned\u0007y')).toBe('xy');
    expect(sanitize('x\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\y')).toBe('xlinky');
    expect(sanitize('x\u001bPq#0;2;0;0;0\u001b\\y')).toBe('xy');
    expect(sanitize('reset\u001bc now')).toBe('reset now');
    expect(sanitize('unterminated\u001b]0;title')).toBe('unterminated');
  });

  it('drops control characters and bidi overrides; line breaks and tabs become spaces', () => {
    expect(sanitize('bell\u0007 back\bspace del\u007f')).toBe('bell backspace del');
    expect(sanitize('one\ntwo\r\nthree\tfour\u2028five')).toBe('one two  three four five');
    expect(sanitize('abc\u202edcba\u202c \u2066iso\u2069')).toBe('abcdcba iso');
  });
});

describe('ConsoleSink', () => {
  const events = (n: number): ChatflowEvent[] => Array.from({ length: n }, (_, i) => chat(`m${i}`));

  it('prints one line per event through the driver, synchronously', async () => {
    const out = new Capture();
    const metrics = new NodeMetrics('console', 'sink', 'console');
    const sink = new ConsoleSink('console', config(), { out, drops: metrics });
    const input = new Subject<ChatflowEvent>();
    const driver = writeBatches(sink, { ...DEFAULT_SINK_DRIVER, ...consoleComponent.driver }, { metrics });
    input.pipe(driver).subscribe();
    await new Promise((resolve) => setImmediate(resolve)); // the sink's async start
    input.next(chat('first'));
    input.next(chat('second\u001b[31m'));
    expect(out.lines).toEqual(['[twitch] #chan viewer: first', '[twitch] #chan viewer: second']);
    expect(metrics.totalOut()).toBe(2);
  });

  it('prints at most max_lines, counts the rest as rate_limited and sums them up once a second', () => {
    const out = new Capture();
    const metrics = new NodeMetrics('console', 'sink', 'console');
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(() => {
      const sink = new ConsoleSink('console', config({ max_lines: '2/s' }), {
        out,
        scheduler: testScheduler,
        drops: metrics,
      });
      testScheduler.schedule(() => void sink.write(events(5)), 0);
      testScheduler.schedule(() => void sink.write(events(1)), 1001);
      testScheduler.schedule(() => void sink.write(events(3)), 1002);
    });
    expect(out.lines).toEqual([
      '[twitch] #chan viewer: m0',
      '[twitch] #chan viewer: m1',
      '… 3 more',
      '[twitch] #chan viewer: m0',
      '[twitch] #chan viewer: m0',
      '… 2 more',
    ]);
    expect(metrics.snapshot().dropped).toEqual({ rate_limited: { count: 5, intentional: true } });
  });

  it('prints a pending summary at flush', async () => {
    const out = new Capture();
    const testScheduler = new TestScheduler(() => {});
    const sink = new ConsoleSink('console', config({ max_lines: '1/s' }), { out, scheduler: testScheduler });
    await sink.write(events(4));
    await sink.flush();
    await sink.stop();
    expect(out.lines).toEqual(['[twitch] #chan viewer: m0', '… 3 more']);
  });

  it('renders the format template, sanitising substituted values only', async () => {
    const out = new Capture();
    const sink = new ConsoleSink('console', config({ format: '>> {{ author.login }}\t{{ text }}' }), { out });
    await sink.write([chat('hi\u001b[5m there', { user: 'ana' })]);
    expect(out.text).toBe('>> ana\thi there\n');
  });

  it('waits for drain when the output pushes back', async () => {
    let release: () => void = () => {};
    const out = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        release = () => callback();
      },
    });
    const sink = new ConsoleSink('console', config(), { out });
    const pending = sink.write([chat('x')]);
    expect(pending).toBeInstanceOf(Promise);
    let done = false;
    void pending?.then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    release();
    await pending;
    expect(done).toBe(true);
  });

  it('fails writes with SinkWriteError once the output has errored', async () => {
    const out = new Capture();
    const sink = new ConsoleSink('console', config(), { out });
    await sink.start();
    out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(() => sink.write([chat('x')])).toThrow(SinkWriteError);
    await sink.stop();
  });
});

describe('consoleComponent', () => {
  it('parses every example through its schema', () => {
    for (const example of consoleComponent.examples) {
      expect(() => consoleComponent.config.parse(parse(example))).not.toThrow();
    }
  });

  it('defaults max_lines to 20/s', () => {
    expect(config()).toEqual({ max_lines: { count: 20, periodMs: 1000 } });
  });

  it('rejects unknown keys and templates over unknown fields', () => {
    expect(ConsoleConfig.safeParse({ colour: true }).success).toBe(false);
    const bad = ConsoleConfig.safeParse({ format: '{{ txet }}' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('Template field "txet" is not an event field');
  });
});
