/**
 * Marble tests of throttle's shared-store path (`scope: redis`), in virtual time: the store is
 * a test double answering on the TestScheduler after a chosen delay (test/fakes/scheduledStores.ts);
 * the real Redis store is covered by test/integration/redis.int.test.ts.
 */
import { mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { type FakeStoreBehaviour, ScheduledBucketStore } from '../../../test/fakes/scheduledStores.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatflowEvent, CommandEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { LIMITED_PORT, ThrottleConfig, throttle } from './index.js';
import type { BucketLimits } from './bucket.js';

const config = (raw: Record<string, unknown>): ThrottleConfig =>
  ThrottleConfig.parse({ rate: '1/s', scope: 'redis', ...raw });
const pass = (event: ChatflowEvent): Routed => ({ port: '', event });

// a, b, d: alice; c: carol; m: a mod (exempt by default).
const a = chat('a', { user: 'alice' });
const b = chat('b', { user: 'alice' });
const c = chat('c', { user: 'carol' });
const d = chat('d', { user: 'alice' });
const m = chat('m', { user: 'mia', roles: ['mod'] });
const events = { a, b, c, d, m };
const passed = { a: pass(a), b: pass(b), c: pass(c), d: pass(d), m: pass(m) };
const limited = { ...passed, B: { port: LIMITED_PORT, event: b } };

/** Answers for alice's keys arrive after `alice` ms, everyone else's after `others` ms. */
const latency = (alice: number, others = alice): FakeStoreBehaviour => ({
  delay: (key) => (key.endsWith(':alice') ? alice : others),
});

describe('throttle with a shared store (async answers)', () => {
  let testScheduler: TestScheduler;
  let stores: ScheduledBucketStore[];
  let metrics: NodeMetrics;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    stores = [];
    metrics = new NodeMetrics('fair', 'operator', 'throttle');
  });

  /** The operator with a fake store per subscription, answering as `behaviour` says. */
  const throttled = (raw: Record<string, unknown>, behaviour: FakeStoreBehaviour = {}) =>
    throttle(config(raw), {
      scheduler: testScheduler,
      drops: metrics,
      store: (limits: BucketLimits) => {
        const store = new ScheduledBucketStore(testScheduler, limits, behaviour);
        stores.push(store);
        return store;
      },
    });

  it('with answers in the same frame, emits as the local path does', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|', events);
      const sourceSubs = '  ^------!';
      const expected = '    -a---c-|';

      expectObservable(source.pipe(throttled({}))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
    expect(metrics.snapshot().dropped).toEqual({ throttled: { count: 1, intentional: true } });
  });

  it('emits each event when its answer arrives', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-c----|', events);
      const expected = '    ------a-(c|)';

      expectObservable(source.pipe(throttled({}, latency(5)))).toBe(expected, passed);
    });
    expect(stores[0]?.calls).toEqual([
      { key: 'twitch:alice', at: 1 },
      { key: 'twitch:carol', at: 3 },
    ]);
  });

  it('keeps arrival order when a later answer arrives first', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      // alice's answer takes 10 ms, carol's 1 ms: carol waits for alice's.
      const source = hot('  -a-c- 20ms |', events);
      const expected = '    ----------- (ac) 10ms |';

      expectObservable(source.pipe(throttled({}, latency(10, 1)))).toBe(expected, passed);
    });
  });

  it('counts a limited event when its answer arrives, and reroutes it with on_limit: reroute', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ab---|', events);
      const expected = '    ---aB-|';

      expectObservable(source.pipe(throttled({ on_limit: 'reroute' }, latency(2)))).toBe(expected, limited);
    });
    expect(metrics.snapshot().dropped).toEqual({});
  });

  it('lets an exempt event wait behind pending answers, without asking the store', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -am 5ms m|', events);
      const expected = '    ----(am) m|';

      expectObservable(source.pipe(throttled({}, latency(3)))).toBe(expected, passed);
    });
    expect(stores[0]?.calls.map((call) => call.key)).toEqual(['twitch:alice']);
  });

  it('with on_limit: delay, starts the wait when the answer arrives (store latency adds, never subtracts)', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      // b reserves the token due 1 s after it asked; the answer takes 5 ms to come back.
      const source = hot('  -ab 1s |', events);
      const expected = '    ------a 999ms (b|)';

      expectObservable(source.pipe(throttled({ on_limit: 'delay' }, latency(5)))).toBe(expected, passed);
    });
  });

  it('fails open by default when the store rejects: the event passes when the rejection arrives', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -abc-|', events);
      const expected = '    ---ab(c|)';

      const store = { delay: () => 2, fail: (key: string) => (key.endsWith(':alice') ? ('reject' as const) : undefined) };
      expectObservable(source.pipe(throttled({}, store))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({});
  });

  it('fails closed with on_redis_down: deny, dropping as redis_down and going on', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac-d-|', events);
      const expected = '    ---c--|';

      const store = { delay: () => 1, fail: (key: string) => (key.endsWith(':alice') ? ('reject' as const) : undefined) };
      expectObservable(source.pipe(throttled({ on_redis_down: 'deny' }, store))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ redis_down: { count: 2, intentional: false } });
  });

  it('drops an event whose store call throws (as error) without holding back the next', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac-|', events);
      const expected = '    ---c|';

      const store = { delay: () => 1, fail: (key: string) => (key.endsWith(':alice') ? ('throw' as const) : undefined) };
      expectObservable(source.pipe(throttled({}, store))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });

  it('completes only after the pending answers are acted on', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -a-c|', events);
      const sourceSubs = '  ^---!';
      const expected = '    ------a-(c|)';

      expectObservable(source.pipe(throttled({}, latency(5)))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('completes only after delayed events are released, when the answers came late', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold(' -ab|', events);
      const expected = '    ---a 999ms (b|)';

      expectObservable(source.pipe(throttled({ on_limit: 'delay' }, latency(2)))).toBe(expected, passed);
    });
  });

  it('errors at once on a source error, counting pending events as aborted; late answers emit nothing', () => {
    const seen: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac#', events, new Error('boom'));
      const expected = '    ---#';

      const result = source.pipe(throttled({}, latency(5)));
      expectObservable(result).toBe(expected, passed, new Error('boom'));
      result.subscribe({ next: (r) => seen.push(`next ${r.event.kind}`), error: () => seen.push('error') });
    });
    expect(seen).toEqual(['error']);
    expect(metrics.snapshot().dropped).toEqual({ aborted: { count: 4, intentional: false } });
    expect(stores.every((store) => store.closed)).toBe(true);
  });

  it('emits nothing after an early unsubscribe while answers are pending, and closes the store', () => {
    const seen: Routed[] = [];
    let done = false;
    testScheduler.run(({ hot }) => {
      const source = hot('-ac 10ms |', events);
      const subscription = source.pipe(throttled({}, latency(5))).subscribe({
        next: (r) => seen.push(r),
        complete: () => {
          done = true;
        },
      });
      testScheduler.schedule(() => subscription.unsubscribe(), 4);
    });
    expect(seen).toEqual([]);
    expect(done).toBe(false);
    expect(stores[0]?.closed).toBe(true);
    expect(metrics.snapshot().dropped).toEqual({ aborted: { count: 2, intentional: false } });
  });

  it('unsubscribes from the source when unsubscribed early, also through other operators', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-c-b-|', events);
      const sourceSubs = '  ^----!  ';
      const unsub = '       -----!  ';
      const expected = '    ---a-   ';

      const result = source.pipe(
        mergeMap((event) => of(event)),
        throttled({}, latency(2)),
        mergeMap((routed) => of(routed)),
      );
      expectObservable(result, unsub).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never emits nor asks the store for a source that never emits; completes with an empty one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ChatflowEvent>('-').pipe(throttled({}, latency(5)))).toBe('-');
      expectObservable(cold<ChatflowEvent>('|').pipe(throttled({}, latency(5)))).toBe('|');
    });
    expect(stores.map((store) => store.calls.length)).toEqual([0, 0]);
  });

  it('keeps going with an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-c 1s d-', events);
      const sourceSubs = '  ^';
      const expected = '    --a-c 1s d';

      expectObservable(source.pipe(throttled({}, latency(1)))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('gives every subscription its own store', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold(' -ab|', events);
      const result = source.pipe(throttled({}, latency(2)));

      expectObservable(result).toBe('   ---a|', passed);
      expectObservable(result, '--^').toBe('-----a|', passed);
    });
    expect(stores).toHaveLength(2);
    expect(stores.map((store) => store.calls.map((call) => call.at))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(metrics.snapshot().dropped).toEqual({ throttled: { count: 2, intentional: true } });
  });

  it('drops a malformed event it cannot key (as error) and keeps going', () => {
    const broken = { kind: 'command', name: 'cv', args: {}, receivedAt: 0 } as unknown as CommandEvent;
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -xa--|', { ...events, x: broken });
      const expected = '    ----a|';

      expectObservable(source.pipe(throttled({}, latency(2)))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });
});
