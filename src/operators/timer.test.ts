import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chat } from '../../test/support/events.js';
import type { ChatflowEvent, ControlEvent, ReplyEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { TimerConfig, timer, timerComponent } from './timer.js';

/** A parsed config ticking every 10 (virtual) ms, below the 1 s a pipeline allows, for short marbles. */
const every10ms = (input: object): TimerConfig => ({ ...TimerConfig.parse({ every: '1s', ...input }), every: 10 });
const config = every10ms({ min_lines: 2, messages: ['A in {{ channel }}', 'B'] });
const c = chat('hi');
const post = (text: string, at: number, over: Partial<ReplyEvent> = {}): ReplyEvent => ({
  kind: 'reply',
  platform: 'twitch',
  channel: 'chan',
  text,
  priority: 'low',
  receivedAt: at,
  ...over,
});

describe('timer', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const op = (cfg = config, drops?: NodeMetrics) =>
    timer(cfg, { scheduler: testScheduler, ...(drops ? { drops } : {}) });

  it('posts only after enough chat since its last message, rotating through the list', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -cc--------c---------cc--------|', { c });
      const sourceSubs = '  ^------------------------------!';
      const expected = '    ----------A-------------------B|';
      expectObservable(source.pipe(op())).toBe(expected, { A: post('A in chan', 10), B: post('B', 30) });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never posts without chat, ticking on for an infinite source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>('-');
      expectObservable(source.pipe(op()), '^ 100ms !').toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^ 100ms !');
    });
  });

  it('completes with an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>('|');
      expectObservable(source.pipe(op())).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('passes an error on', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -cc-#', { c });
      expectObservable(source.pipe(op())).toBe('----#');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('stops ticking when unsubscribed early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -cc--------cc--------cc-', { c });
      const unsub = '       ---------------!        ';
      const expected = '    ----------A-----        ';
      expectObservable(source.pipe(op()), unsub).toBe(expected, { A: post('A in chan', 10) });
      expectSubscriptions(source.subscriptions).toBe('^--------------!');
    });
  });

  it('keeps counts and turns per subscription, and per channel', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const k = chat('yo', { platform: 'kick', channel: 'k1' });
      const source = cold('-cckk--------cc---------|', { c, k });
      const timed = source.pipe(op());
      const values = {
        A: post('A in chan', 10),
        K: post('A in k1', 10, { platform: 'kick', channel: 'k1' }),
        B: post('B', 20),
      };
      expectObservable(timed).toBe('----------(AK)------B---|', values);
      expectObservable(timed).toBe('----------(AK)------B---|', values);
    });
  });

  it("does not count the bot's own lines, backfill or other events", () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const drops = new NodeMetrics('t', 'operator', 'timer');
      const own = chat('Join the discord!', { user: 'thebot', self: true });
      const old = chat('hi', { backfill: true });
      const ctl: ControlEvent = { kind: 'control', variable: 'x', value: 1, previous: 0, origin: 'command', ts: 0, receivedAt: 0 };
      const source = hot('  -oobx-c-----|', { o: own, b: old, x: ctl, c });
      expectObservable(source.pipe(op(config, drops))).toBe('------------|');
      testScheduler.flush();
      expect(drops.snapshot().dropped).toEqual({
        own_message: { count: 2, intentional: true },
        not_chat: { count: 2, intentional: true },
      });
    });
  });

  it('with min_lines 0 posts every time in every channel that has had chat', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -c-------------------------|', { c });
      const cfg = every10ms({ min_lines: 0, messages: ['A'] });
      expectObservable(source.pipe(op(cfg))).toBe('----------A---------B------|', { A: post('A', 10), B: post('A', 20) });
    });
  });

  it('checks messages and their fields at validate time', () => {
    const issues = (input: unknown) => {
      const result = TimerConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ every: '5m', messages: ['hi {{ user }}'] })).toEqual(['messages.0: Unknown message field "user"; use one of platform, channel']);
    expect(issues({ every: '5m', messages: ['/ban x'] })).toEqual([
      'messages.0: A message must not start with whitespace, "/" or "." (chat would read it as a command)',
    ]);
    expect(issues({ every: '5m', messages: [] })).toHaveLength(1);
    expect(issues({ every: '10ms', messages: ['x'] })).toEqual(['every: A timer fires at most once a second']);
    for (const example of timerComponent.examples) expect(timerComponent.config.parse(parseYaml(example)).min_lines).toBe(10);
  });
});
