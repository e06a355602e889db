/**
 * Marble tests of cooldown's shared-store path (`scope: redis`), in virtual time: the store is
 * a test double answering on the TestScheduler after a chosen delay (test/fakes/scheduledStores.ts);
 * the real Redis store is covered by test/integration/redis.int.test.ts.
 */
import { mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { type FakeStoreBehaviour, ScheduledCooldownStore } from '../../../test/fakes/scheduledStores.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent, ReplyEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { COOLING_PORT, CooldownConfig, cooldown } from './index.js';

const config = (raw: Record<string, unknown>): CooldownConfig =>
  CooldownConfig.parse({ duration: '3s', scope: 'redis', ...raw });
const pass = (event: ChatflowEvent): Routed => ({ port: '', event });
const command = (name: string, from: ChatEvent): CommandEvent => ({
  kind: 'command',
  name,
  args: {},
  chat: from,
  receivedAt: from.receivedAt,
});
const replyTo = (event: CommandEvent, text: string): Routed => {
  const reply: ReplyEvent = {
    kind: 'reply',
    platform: event.chat.platform,
    channel: event.chat.channel,
    text,
    replyTo: event.chat.id,
    viewer: { id: event.chat.author.id, login: event.chat.author.login, roles: event.chat.author.roles },
    receivedAt: event.receivedAt,
  };
  return { port: COOLING_PORT, event: reply };
};

// a, b, d: !cv from viewer; c: !cv from carol; m: !cv from a mod (exempt by default).
const a = command('cv', chat('!cv 1', { user: 'viewer' }));
const b = command('cv', chat('!cv 2', { user: 'viewer' }));
const c = command('cv', chat('!cv 3', { user: 'carol' }));
const d = command('cv', chat('!cv 4', { user: 'viewer' }));
const m = command('cv', chat('!cv 5', { user: 'mia', roles: ['mod'] }));
const events = { a, b, c, d, m };
const passed = {
  a: pass(a),
  b: pass(b),
  c: pass(c),
  d: pass(d),
  m: pass(m),
  r: replyTo(b, '@viewer, cv is cooling down (3s left).'),
};

/** Answers for viewer's keys arrive after `viewer` ms, everyone else's after `others` ms. */
const latency = (viewer: number, others = viewer): FakeStoreBehaviour => ({
  delay: (key) => (key.includes('viewer') ? viewer : others),
});
const viewerFails = (failure: 'reject' | 'throw', delay = 1): FakeStoreBehaviour => ({
  delay: () => delay,
  fail: (key) => (key.includes('viewer') ? failure : undefined),
});

describe('cooldown with a shared store (async answers)', () => {
  let testScheduler: TestScheduler;
  let stores: ScheduledCooldownStore[];
  let metrics: NodeMetrics;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    stores = [];
    metrics = new NodeMetrics('cool', 'operator', 'cooldown');
  });

  /** The operator with a fake store per subscription, answering as `behaviour` says. */
  const cooled = (raw: Record<string, unknown>, behaviour: FakeStoreBehaviour = {}) =>
    cooldown(config(raw), {
      scheduler: testScheduler,
      drops: metrics,
      shared: () => {
        const store = new ScheduledCooldownStore(testScheduler, behaviour);
        stores.push(store);
        return store;
      },
    });

  it('with answers in the same frame, emits as the local path does', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b 3s d|', events);
      const sourceSubs = '  ^--- 3s -!';
      const expected = '    -a-r 3s d|';

      expectObservable(source.pipe(cooled({}))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
    expect(metrics.snapshot().dropped).toEqual({ cooling: { count: 1, intentional: true } });
  });

  it('passes or replies when the answer arrives, with the time left as the store saw it', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ab 10ms |', events);
      const expected = '    - 501ms a(r|)';

      // b is asked at 2 ms (2999 ms left, shown as 3s) and answered at 503 ms.
      expectObservable(source.pipe(cooled({}, latency(501)))).toBe(expected, passed);
    });
  });

  it('keeps arrival order when a later answer arrives first', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      // viewer's answer takes 10 ms, carol's 1 ms: carol waits for viewer's.
      const source = hot('  -ac- 20ms |', events);
      const expected = '    ----------- (ac) 9ms |';

      expectObservable(source.pipe(cooled({}, latency(10, 1)))).toBe(expected, passed);
    });
  });

  it('lets an exempt event wait behind pending answers, without asking the store', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -am 5ms m|', events);
      const expected = '    ----(am) m|';

      expectObservable(source.pipe(cooled({}, latency(3)))).toBe(expected, passed);
    });
    expect(stores[0]?.calls).toHaveLength(1);
  });

  it('replies once per cooldown by default, also when answers are late', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -abbb--|', events);
      const expected = '    ---ar--|';

      expectObservable(source.pipe(cooled({}, latency(2)))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ cooling: { count: 3, intentional: true } });
  });

  it('fails open by default when the store rejects: the event passes when the rejection arrives', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -abc-|', events);
      const expected = '    ---ab(c|)';

      expectObservable(source.pipe(cooled({}, viewerFails('reject', 2)))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({});
  });

  it('fails closed with on_redis_down: deny, dropping as redis_down and going on', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac-d-|', events);
      const expected = '    ---c--|';

      expectObservable(source.pipe(cooled({ on_redis_down: 'deny' }, viewerFails('reject')))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ redis_down: { count: 2, intentional: false } });
  });

  it('drops an event whose store call throws (as error) without holding back the next', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac-|', events);
      const expected = '    ---c|';

      expectObservable(source.pipe(cooled({}, viewerFails('throw')))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });

  it('drops a malformed event it cannot key (as error) without holding back the next, and completes', () => {
    const broken = { kind: 'command', name: 'cv', args: {}, receivedAt: 0 } as unknown as CommandEvent;
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -xc-|', { ...events, x: broken });
      const expected = '    ---c|';

      expectObservable(source.pipe(cooled({ exempt_roles: [] }, latency(1)))).toBe(expected, passed);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });

  it('completes only after the pending answers are acted on', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -a-c|', events);
      const sourceSubs = '  ^---!';
      const expected = '    ------a-(c|)';

      expectObservable(source.pipe(cooled({}, latency(5)))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('errors at once on a source error, counting pending events as aborted; late answers emit nothing', () => {
    const seen: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ac#', events, new Error('boom'));
      const expected = '    ---#';

      const result = source.pipe(cooled({}, latency(5)));
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
      const subscription = source.pipe(cooled({}, latency(5))).subscribe({
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
      const source = hot('  -a-c-d-|', events);
      const sourceSubs = '  ^----!  ';
      const unsub = '       -----!  ';
      const expected = '    ---a-   ';

      const result = source.pipe(
        mergeMap((event) => of(event)),
        cooled({}, latency(2)),
        mergeMap((routed) => of(routed)),
      );
      expectObservable(result, unsub).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never emits nor asks the store for a source that never emits; completes with an empty one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ChatflowEvent>('-').pipe(cooled({}, latency(5)))).toBe('-');
      expectObservable(cold<ChatflowEvent>('|').pipe(cooled({}, latency(5)))).toBe('|');
    });
    expect(stores.map((store) => store.calls.length)).toEqual([0, 0]);
  });

  it('keeps going with an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-c 3s d-', events);
      const sourceSubs = '  ^';
      const expected = '    --a-c 3s d';

      expectObservable(source.pipe(cooled({}, latency(1)))).toBe(expected, passed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('gives every subscription its own store', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold(' -ab|', events);
      const result = source.pipe(cooled({}, latency(2)));

      expectObservable(result).toBe('   ---a(r|)', passed);
      expectObservable(result, '--^').toBe('-----a(r|)', passed);
    });
    expect(stores).toHaveLength(2);
    expect(stores.map((store) => store.calls.map((call) => call.at))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
