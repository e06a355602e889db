import fc from 'fast-check';
import { Observable, of, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { replyToChat } from '../../core/reply.js';
import { LIMITED_PORT, REPLY_PORT, ThrottleConfig, throttle, throttleComponent } from './index.js';
import { type BucketLimits, LocalBucketStore } from './bucket.js';

const config = (raw: Record<string, unknown>): ThrottleConfig => ThrottleConfig.parse(raw);
const pass = (event: ChatflowEvent): Routed => ({ port: '', event });
const limited = (event: ChatflowEvent): Routed => ({ port: LIMITED_PORT, event });
const command = (name: string, from: ChatEvent): CommandEvent => ({ kind: 'command', name, args: {}, chat: from, receivedAt: 0 });

// a, b, d: one viewer; c: another; m: a mod.
const a = chat('a', { user: 'alice' });
const b = chat('b', { user: 'alice' });
const c = chat('c', { user: 'carol' });
const d = chat('d', { user: 'alice' });
const m = chat('m', { user: 'mia', roles: ['mod'] });
const events = { a, b, c, d, m };
const passed = { a: pass(a), b: pass(b), c: pass(c), d: pass(d), m: pass(m) };

describe('throttle', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('as an RxJS operator', () => {
    it('passes a burst, drops the rest, refills over time', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -abc 1s d|', events);
        const sourceSubs = '  ^ 1004ms !';
        const expected = '    -ab- 1s d|';

        const throttled = source.pipe(
          throttle(config({ rate: '1/1s', burst: 2, per: 'global' }), { scheduler: testScheduler }),
        );
        expectObservable(throttled).toBe(expected, passed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('answers a limited viewer once on _reply, again only after a token passed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const x = command('cv', a);
        const source = hot('  -xxx 1s xx|', { x });
        const sourceSubs = '  ^--- 1s --!';
        const expected = '    -pr- 1s pr|';
        const replying = config({ rate: '1/1s', per: 'user', reply: '@{{ user }}, one !{{ command }} a second' });
        expectObservable(source.pipe(throttle(replying, { scheduler: testScheduler }))).toBe(expected, {
          p: pass(x),
          r: { port: REPLY_PORT, event: replyToChat(a, '@alice, one !cv a second') },
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('checks reply fields, and declares _reply only with reply', () => {
      const result = ThrottleConfig.safeParse({ rate: '1/s', reply: 'wait {{ left }}' });
      expect(result.success ? [] : result.error.issues.map((i) => i.message)).toEqual([
        'Unknown reply field "left"; use one of user, login, command, platform, channel',
      ]);
      expect(throttleComponent.ports(config({ rate: '1/s', reply: 'slow down' }))).toEqual([REPLY_PORT]);
      expect(throttleComponent.ports(config({ rate: '1/s', on_limit: 'reroute' }))).toEqual([LIMITED_PORT]);
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -', events);
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' |', events);
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab#', events);
        const sourceSubs = '  ^--!';
        const expected = '    -a-#';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps going with an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab 1s d-', events);
        const sourceSubs = '  ^';
        const expected = '    -a- 1s d-';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-c-b-d-|', events);
        const sourceSubs = '  ^----!    ';
        const unsub = '       -----!    ';
        const expected = '    -a-c-     ';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler })), unsub).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('gives every subscription its own buckets', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -a-b-|', events);
        const sourceSubs = [' ^----!', ' --^----!'];
        const first = '       -a---|';
        const second = '      ---a---|';
        const throttled = source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler }));

        expectObservable(throttled).toBe(first, passed);
        expectObservable(throttled, '--^').toBe(second, passed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('drops and counts an event it cannot key, and keeps going', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      const broken = { kind: 'command', name: 'cv', args: {}, receivedAt: 0 } as unknown as CommandEvent;
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -x-a-|', { ...events, x: broken });
        const expected = '    ---a-|';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          passed,
        );
      });
      expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
    });
  });

  describe('keys', () => {
    it('keeps one bucket per user by default', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -abc-|', events);
        const expected = '    -a-c-|';

        expectObservable(source.pipe(throttle(config({ rate: '1/s' }), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          passed,
        );
      });
      expect(metrics.snapshot().dropped).toEqual({ throttled: { count: 1, intentional: true } });
    });

    it('combines scopes into one key', () => {
      const cv = command('cv', a);
      const pitch = command('pitch', b);
      const cvAgain = command('cv', d);
      const values = { p: cv, q: pitch, r: cvAgain };
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -pqr-|', values);
        const expected = '    -pq--|';

        expectObservable(
          source.pipe(throttle(config({ rate: '1/s', per: ['user', 'command'] }), { scheduler: testScheduler })),
        ).toBe(expected, { p: pass(cv), q: pass(pitch) });
      });
    });

    it('forgets the least recently used bucket beyond max_keys, which comes back full', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -acb-|', events);
        const expected = '    -acb-|';

        expectObservable(source.pipe(throttle(config({ rate: '1/s', max_keys: 1 }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
      });
    });

    it('lets exempt roles through without using a token', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -amb-|', events);
        const expected = '    -am--|';

        expectObservable(source.pipe(throttle(config({ rate: '1/s', per: 'global' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
      });
    });

    it('limits everyone with exempt_roles: []', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -am--|', events);
        const expected = '    -a---|';

        expectObservable(
          source.pipe(throttle(config({ rate: '1/s', per: 'global', exempt_roles: [] }), { scheduler: testScheduler })),
        ).toBe(expected, passed);
      });
    });
  });

  describe('on_limit: reroute', () => {
    it('sends limited events to the _limited port', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -abc 1s d|', events);
        const expected = '    -alc 1s d|';

        expectObservable(
          source.pipe(throttle(config({ rate: '1/1s', on_limit: 'reroute' }), { scheduler: testScheduler })),
        ).toBe(expected, { ...passed, l: limited(b) });
      });
    });
  });

  describe('on_limit: delay', () => {
    const delayed = (extra: Record<string, unknown> = {}) =>
      config({ rate: '1/10ms', per: 'global', on_limit: 'delay', max_delay: '25ms', ...extra });

    it('releases each waiting event when its token arrives, and drops what would wait too long', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -abcd|', events);
        const sourceSubs = '  ^----!';
        const expected = '    -a 9ms b 9ms (c|)';

        expectObservable(source.pipe(throttle(delayed(), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ delay_exceeded: { count: 1, intentional: true } });
    });

    it('keeps arrival order within a key', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -(abd)|', events);
        const expected = '    -a 9ms b 9ms (d|)';

        expectObservable(source.pipe(throttle(delayed({ max_delay: '1s' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
      });
    });

    it('does not hold back other keys', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -abc|', events);
        const expected = '    -a-c 7ms (b|)';

        expectObservable(source.pipe(throttle(delayed({ per: 'user' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
      });
    });

    it('remembers a bucket that still owes delayed events, however idle the other keys make it look', () => {
      // alice reserves tokens up to 21ms; carol and eve arrive after a bucket's plain refill time
      // (10ms), which would age alice's bucket out. Forgotten, it would come back full and let x
      // pass at 27, three of alice's events within 10ms; remembered, x waits for its token.
      const e = chat('e', { user: 'eve' });
      const x = chat('x', { user: 'alice' });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -abd 11ms c 10ms ex|', { ...events, e, x });
        const expected = '    -a 9ms b 3ms c 5ms d 4ms e 4ms (x|)';

        expectObservable(
          source.pipe(throttle(config({ rate: '1/10ms', on_limit: 'delay', max_delay: '1s' }), { scheduler: testScheduler })),
        ).toBe(expected, { ...passed, e: pass(e), x: pass(x) });
      });
    });

    it('drops what finds the queue full', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -abd|', events);
        const expected = '    -a 9ms (b|)';

        expectObservable(
          source.pipe(throttle(delayed({ max_delay: '1s', max_queue: 1 }), { scheduler: testScheduler, drops: metrics })),
        ).toBe(expected, passed);
      });
      expect(metrics.snapshot().dropped).toEqual({ queue_full: { count: 1, intentional: true } });
    });

    it('counts waiting events as aborted when unsubscribed', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab---|', events);
        const sourceSubs = '  ^---!  ';
        const unsub = '       ----!  ';
        const expected = '    -a---  ';

        expectObservable(source.pipe(throttle(delayed(), { scheduler: testScheduler, drops: metrics })), unsub).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ aborted: { count: 1, intentional: false } });
    });

    it('errors at once, counting waiting events as aborted', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab#', events);
        const sourceSubs = '  ^--!';
        const expected = '    -a-#';

        expectObservable(source.pipe(throttle(delayed(), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ aborted: { count: 1, intentional: false } });
    });
  });

  describe('bucket store', () => {
    it('asks the injected store, one store per subscription', () => {
      const stores: BucketLimits[] = [];
      const store = (limits: BucketLimits) => {
        stores.push(limits);
        return new LocalBucketStore(limits);
      };
      const throttled = of(a, b).pipe(throttle(config({ rate: '2/s', burst: 3 }), { store }));
      throttled.subscribe();
      throttled.subscribe();
      expect(stores).toEqual([
        { burst: 3, rate: { count: 2, periodMs: 1000 }, maxKeys: 10_000 },
        { burst: 3, rate: { count: 2, periodMs: 1000 }, maxKeys: 10_000 },
      ]);
    });

    it('reserves tokens for waits within maxWaitMs only', () => {
      const store = new LocalBucketStore({ burst: 1, rate: { count: 1, periodMs: 100 }, maxKeys: 10 });
      expect(store.take('k', 0, 0)).toBe(0);
      expect(store.take('k', 10, 0)).toBe(-1);
      expect(store.take('k', 10, 50)).toBe(-1);
      expect(store.take('k', 10, 90)).toBe(90);
      expect(store.take('k', 10, 500)).toBe(190);
      expect(store.take('k', 300, 0)).toBe(0);
      expect(store.size).toBe(1);
    });
  });

  describe('as a component', () => {
    it('names the _limited port only when rerouting', () => {
      expect(throttleComponent.ports(config({ rate: '1/s', on_limit: 'reroute' }))).toEqual([LIMITED_PORT]);
      expect(throttleComponent.ports(config({ rate: '1/s' }))).toEqual([]);
    });

    it('counts drops on the node metrics', () => {
      const ctx = testContext({ type: 'throttle' });
      of(a, b).pipe(throttleComponent.create(config({ rate: '1/s' }), ctx)).subscribe();
      expect(ctx.metrics.snapshot().dropped).toEqual({ throttled: { count: 1, intentional: true } });
    });

    it('declares every drop and port of what it holds back as limited, so sample_metrics counts them', () => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      const modes = [
        config({ rate: '1/s' }),
        config({ rate: '1/10ms', per: 'global', on_limit: 'delay', max_delay: '5ms' }),
        config({ rate: '1/10ms', per: 'global', on_limit: 'delay', max_delay: '1s', max_queue: 1 }),
        config({ rate: '1/s', on_limit: 'reroute' }),
      ];
      for (const mode of modes) {
        testScheduler.run(({ hot }) => {
          hot('-abd|', events)
            .pipe(throttle(mode, { scheduler: testScheduler, drops: metrics }))
            .subscribe((routed) => {
              metrics.out(routed.port).value += 1;
            });
        });
      }
      const { dropped, eventsOut } = metrics.snapshot();
      const roles = throttleComponent.metricRoles ?? {};
      expect(Object.keys(dropped).sort()).toEqual(['delay_exceeded', 'queue_full', 'throttled']);
      expect([...(roles.limitedDrops ?? [])].sort()).toEqual(Object.keys(dropped).sort());
      expect(eventsOut[LIMITED_PORT]).toBeGreaterThan(0);
      expect(roles.limitedPorts).toEqual([LIMITED_PORT]);
    });

    it('has examples that parse', () => {
      for (const example of throttleComponent.examples) expect(() => ThrottleConfig.parse(parse(example))).not.toThrow();
    });

    it('parses its config', () => {
      expect(config({ rate: '1/2s', per: ['command', 'user', 'user'] })).toEqual({
        rate: { count: 1, periodMs: 2000 },
        burst: 1,
        per: ['user', 'command'],
        on_limit: 'drop',
        max_delay: 5000,
        max_queue: 1000,
        exempt_roles: ['broadcaster', 'mod'],
        max_keys: 10_000,
        scope: 'local',
        on_redis_down: 'allow',
      });
      expect(ThrottleConfig.safeParse({ rate: '1/2s', burst: 0 }).success).toBe(false);
      expect(ThrottleConfig.safeParse({ rate: '0/s' }).success).toBe(false);
      expect(ThrottleConfig.safeParse({ rate: '1/s', per: 'room' }).success).toBe(false);
      expect(ThrottleConfig.safeParse({ rate: '1/s', refill: 2 }).success).toBe(false);
    });
  });

  describe('properties', () => {
    interface Arrival {
      readonly gap: number;
      readonly user: number;
    }

    /** Runs arrivals through a throttle in virtual time; returns what came out, when. */
    function simulate(cfg: ThrottleConfig, arrivals: readonly Arrival[]) {
      const scheduler = new VirtualTimeScheduler();
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      const timeline: { at: number; event: ChatEvent }[] = [];
      let at = 0;
      arrivals.forEach((arrival, i) => {
        at += arrival.gap;
        timeline.push({ at, event: chat(`${i}`, { id: `${i}`, user: `u${arrival.user}` }) });
      });
      const source = new Observable<ChatflowEvent>((subscriber) => {
        for (const { at, event } of timeline) scheduler.schedule(() => subscriber.next(event), at);
        scheduler.schedule(() => subscriber.complete(), at + 1);
      });
      const out: { at: number; routed: Routed }[] = [];
      let completed = false;
      source.pipe(throttle(cfg, { scheduler, drops: metrics })).subscribe({
        next: (routed) => out.push({ at: scheduler.now(), routed }),
        complete: () => {
          completed = true;
        },
      });
      scheduler.flush();
      return { timeline, out, completed, dropped: metrics.totalDropped() };
    }

    const limits = fc.record({
      count: fc.integer({ min: 1, max: 5 }),
      periodMs: fc.integer({ min: 10, max: 2000 }),
      burst: fc.integer({ min: 1, max: 5 }),
      onLimit: fc.constantFrom('drop' as const, 'delay' as const, 'reroute' as const),
      maxDelay: fc.integer({ min: 1, max: 5000 }),
      maxQueue: fc.integer({ min: 1, max: 40 }),
    });
    const arrivals = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 400 }), user: fc.integer({ min: 0, max: 2 }) }),
      { maxLength: 150 },
    );

    it('never lets more than burst + rate·t through per key in any window of length t', () => {
      fc.assert(
        fc.property(limits, arrivals, (l, list) => {
          const cfg: ThrottleConfig = {
            rate: { count: l.count, periodMs: l.periodMs },
            burst: l.burst,
            per: ['user'],
            on_limit: l.onLimit,
            max_delay: l.maxDelay,
            max_queue: l.maxQueue,
            exempt_roles: [],
            max_keys: 10_000,
            scope: 'local',
            on_redis_down: 'allow',
          };
          const { timeline, out, completed, dropped } = simulate(cfg, list);
          expect(completed).toBe(true);
          expect(out.length + dropped).toBe(timeline.length);

          const byKey = new Map<string, number[]>();
          for (const { at, routed } of out) {
            if (routed.port !== '' || routed.event.kind !== 'chat') continue;
            const times = byKey.get(routed.event.author.login) ?? [];
            times.push(at);
            byKey.set(routed.event.author.login, times);
          }
          for (const times of byKey.values()) {
            for (let i = 0; i < times.length; i++) {
              for (let j = i; j < times.length; j++) {
                const window = (times[j] as number) - (times[i] as number);
                expect(j - i + 1).toBeLessThanOrEqual(l.burst + (l.count * window) / l.periodMs + 1e-9);
              }
            }
          }
        }),
        {
          numRuns: 200,
          // Once found: a wait rounded up to whole ms gave the next reservation a head start.
          examples: [
            [
              { count: 2, periodMs: 1067, burst: 1, onLimit: 'delay', maxDelay: 431, maxQueue: 1 },
              [
                { gap: 0, user: 2 },
                { gap: 103, user: 2 },
                { gap: 67, user: 0 },
                { gap: 96, user: 0 },
                { gap: 92, user: 0 },
                { gap: 278, user: 2 },
              ],
            ],
          ],
        },
      );
    });

    it('with delay, releases within max_delay and in arrival order per key', () => {
      fc.assert(
        fc.property(limits, arrivals, (l, list) => {
          const cfg: ThrottleConfig = {
            rate: { count: l.count, periodMs: l.periodMs },
            burst: l.burst,
            per: ['user'],
            on_limit: 'delay',
            max_delay: l.maxDelay,
            max_queue: l.maxQueue,
            exempt_roles: [],
            max_keys: 10_000,
            scope: 'local',
            on_redis_down: 'allow',
          };
          const { timeline, out } = simulate(cfg, list);
          const arrivedAt = new Map(timeline.map(({ at, event }) => [event.id, at]));
          const lastId = new Map<string, number>();
          for (const { at, routed } of out) {
            if (routed.event.kind !== 'chat') throw new Error('expected chat');
            const arrived = arrivedAt.get(routed.event.id) as number;
            expect(at - arrived).toBeGreaterThanOrEqual(0);
            expect(at - arrived).toBeLessThanOrEqual(l.maxDelay);
            const id = Number(routed.event.id);
            const login = routed.event.author.login;
            expect(id).toBeGreaterThan(lastId.get(login) ?? -1);
            lastId.set(login, id);
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});
