import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { chat } from '../../test/support/events.js';
import type { ChatEvent, CommandEvent, ControlEvent, PlatformEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { DedupeConfig, dedupe, dedupeComponent, dedupeKey, dedupePrefix } from './dedupe.js';

const config = (raw: Record<string, unknown> = {}): DedupeConfig => DedupeConfig.parse(raw);

const a = chat('hello', { id: 'm1' });
const b = chat('hello again', { id: 'm1' }); // same platform and id as a: a repeat
const c = chat('other', { id: 'm2' });
const d = chat('third', { id: 'm3' });
const y = chat('hello', { id: 'm1', platform: 'youtube' });
const sub: PlatformEvent = {
  kind: 'platform',
  type: 'subscription',
  id: 'm1',
  platform: 'twitch',
  channel: 'chan',
  ts: 0,
  data: {},
  receivedAt: 0,
};
const raid: PlatformEvent = { ...sub, type: 'raid' };
const cmd = (name: string, from: ChatEvent = a): CommandEvent => ({
  kind: 'command',
  name,
  args: {},
  chat: from,
  receivedAt: 0,
});
const control: ControlEvent = {
  kind: 'control',
  variable: 'cutoff',
  value: 0.5,
  previous: 0.4,
  origin: 'command',
  ts: 0,
  receivedAt: 0,
};
const values = { a, b, c, d, y, s: sub, r: raid, k: control, p: cmd('cv'), q: cmd('pitch') };

describe('dedupe', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('as an RxJS operator', () => {
    it('drops a repeat within the window and lets it through after', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c----b-|', values);
        const sourceSubs = '  ^-----------!';
        const expected = '    -a---c----b-|';

        expectObservable(source.pipe(dedupe(config({ window: '5ms' }), { scheduler: testScheduler }))).toBe(
          expected,
          values,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -', values);
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' |', values);
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-#', values);
        const sourceSubs = '  ^----!';
        const expected = '    -a---#';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps going with an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-a-d-', values);
        const sourceSubs = '  ^';
        const expected = '    -a---c---d-';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-c-d-b-|', values);
        const sourceSubs = '  ^----!    ';
        const unsub = '       -----!    ';
        const expected = '    -a-c-     ';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler })), unsub).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps the ids it has seen per subscription', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -a-b-|', values);
        const sourceSubs = [' ^----!', ' --^----!'];
        const first = '       -a---|';
        const second = '      ---a---|';
        const deduped = source.pipe(dedupe(config(), { scheduler: testScheduler }));

        expectObservable(deduped).toBe(first, values);
        expectObservable(deduped, '--^').toBe(second, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('drops and counts an event it cannot key, and keeps going', () => {
      const metrics = new NodeMetrics('dedupe', 'operator', 'dedupe');
      const broken = { kind: 'command', name: 'cv', args: {}, receivedAt: 0 } as unknown as CommandEvent;
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -x-a-|', { ...values, x: broken });
        const expected = '    ---a-|';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          values,
        );
      });
      expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
    });
  });

  describe('behaviour', () => {
    it('measures the window from the first sighting; repeats do not extend it', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  a 3ms b 3ms b 3ms b', values);
        const expected = '    a 3ms - 3ms b 3ms -';

        expectObservable(source.pipe(dedupe(config({ window: '5ms' }), { scheduler: testScheduler }))).toBe(
          expected,
          values,
        );
      });
    });

    it('remembers an id for exactly `window`: a repeat 1ms short of it is dropped, one at it passes', () => {
      // The window is half-open, [first sighting, first sighting + window), as ids that old are
      // forgotten (GenerationMap.expire drops what is at least `window` old). The repeat at 5ms
      // passes and starts a new window, so the one at 6ms is dropped.
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  a 3ms b b b', values);
        const expected = '    a 3ms - b -';

        expectObservable(source.pipe(dedupe(config({ window: '5ms' }), { scheduler: testScheduler }))).toBe(
          expected,
          values,
        );
      });
    });

    it('forgets the oldest id beyond max_keys', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a-c-d-b-d-|', values);
        const expected = '    -a-c-d-b---|';

        expectObservable(source.pipe(dedupe(config({ max_keys: 2 }), { scheduler: testScheduler }))).toBe(
          expected,
          values,
        );
      });
    });

    it('remembers the newest max_keys ids, not only the newest half', () => {
      const e = chat('fifth', { id: 'm5' });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a-c-d-e-y-c-|', { ...values, e });
        const expected = '    -a-c-d-e-y---|';

        expectObservable(source.pipe(dedupe(config({ max_keys: 4 }), { scheduler: testScheduler }))).toBe(
          expected,
          { ...values, e },
        );
      });
    });

    it('keys chat by platform and id, platform events by type, commands by message and name', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a-y-s-r-s-p-q-p-|', values);
        const expected = '    -a-y-s-r---p-q---|';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected, values);
      });
    });

    it('passes other kinds and events without an id untouched', () => {
      const anonymous = chat('no id', { id: '' });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -k-k-n-n-|', { ...values, n: anonymous });
        const expected = '    -k-k-n-n-|';

        expectObservable(source.pipe(dedupe(config(), { scheduler: testScheduler }))).toBe(expected, {
          ...values,
          n: anonymous,
        });
      });
    });

    it('counts repeats as intentional `duplicate` drops', () => {
      const metrics = new NodeMetrics('dedupe', 'operator', 'dedupe');
      of(a, b, b, c).pipe(dedupe(config(), { drops: metrics })).subscribe();
      expect(metrics.snapshot().dropped).toEqual({ duplicate: { count: 2, intentional: true } });
    });

    it('builds keys that cannot collide across kinds', () => {
      expect(dedupeKey(a)).toBe('chat:twitch:m1');
      expect(dedupeKey(sub)).toBe('platform:twitch:subscription:m1');
      expect(dedupeKey(cmd('cv'))).toBe('command:twitch:m1:cv');
      expect(dedupeKey(control)).toBeUndefined();
    });

    it('keys an event by a prefix shared by many and its id (or command name)', () => {
      expect(dedupePrefix(a)).toBe('chat:twitch:');
      expect(dedupePrefix(y)).toBe('chat:youtube:');
      expect(dedupePrefix(sub)).toBe('platform:twitch:subscription:');
      expect(dedupePrefix(cmd('cv'))).toBe('command:twitch:m1:');
      expect(dedupePrefix(control)).toBeUndefined();
      expect(dedupePrefix(chat('no id', { id: '' }))).toBeUndefined();
    });
  });

  describe('as a component', () => {
    it('counts drops on the node metrics', () => {
      const ctx = testContext({ type: 'dedupe' });
      of(a, b).pipe(dedupeComponent.create(config(), ctx)).subscribe();
      expect(ctx.metrics.snapshot().dropped).toEqual({ duplicate: { count: 1, intentional: true } });
    });

    it('has examples that parse', () => {
      for (const example of dedupeComponent.examples) expect(() => DedupeConfig.parse(parse(example))).not.toThrow();
    });

    it('parses durations and rejects unknown keys', () => {
      expect(config()).toEqual({ window: 300_000, max_keys: 100_000 });
      expect(DedupeConfig.safeParse({ window: '5 minutes' }).success).toBe(false);
      expect(DedupeConfig.safeParse({ ttl: '5m' }).success).toBe(false);
    });
  });
});
