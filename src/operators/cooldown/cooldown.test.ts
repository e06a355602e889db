import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent, ControlEvent, ReplyEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { COOLING_PORT, CooldownConfig, cooldown, cooldownComponent } from './index.js';

const config = (raw: Record<string, unknown>): CooldownConfig => CooldownConfig.parse(raw);
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

// a, b, d: !cv from Viewer; c: !cv from carol; p: !pitch from Viewer; m: !cv from a mod.
const a = command('cv', chat('!cv 1', { user: 'viewer', receivedAt: 1 }));
const b = command('cv', chat('!cv 2', { user: 'viewer', receivedAt: 2 }));
const c = command('cv', chat('!cv 3', { user: 'carol' }));
const d = command('cv', chat('!cv 4', { user: 'viewer' }));
const p = command('pitch', chat('!pitch C4', { user: 'viewer' }));
const m = command('cv', chat('!cv 5', { user: 'mia', roles: ['mod'] }));
const events = { a, b, c, d, p, m };
const passed = { a: pass(a), b: pass(b), c: pass(c), d: pass(d), p: pass(p), m: pass(m) };

describe('cooldown', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('as an RxJS operator', () => {
    it('passes the first event, replies to the next on _cooling with the time left, passes after', () => {
      const metrics = new NodeMetrics('cool', 'operator', 'cooldown');
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b 3s d|', events);
        const sourceSubs = '  ^--- 3s -!';
        const expected = '    -a-r 3s d|';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          { ...passed, r: replyTo(b, '@viewer, cv is cooling down (3s left).') },
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ cooling: { count: 1, intentional: true } });
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -', events);
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' |', events);
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-c-#', events);
        const sourceSubs = '  ^----!';
        const expected = '    -a-c-#';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps going with an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-c 3s d-', events);
        const sourceSubs = '  ^';
        const expected = '    -a-c 3s d-';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }))).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-c-p-m-|', events);
        const sourceSubs = '  ^----!    ';
        const unsub = '       -----!    ';
        const expected = '    -a-c-     ';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler })), unsub).toBe(
          expected,
          passed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps cooldowns per subscription', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -a-d-|', events);
        const sourceSubs = [' ^----!', ' --^----!'];
        const first = '       -a-r-|';
        const second = '      ---a-r-|';
        const cooled = source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }));
        const values = { ...passed, r: replyTo(d, '@viewer, cv is cooling down (3s left).') };

        expectObservable(cooled).toBe(first, values);
        expectObservable(cooled, '--^').toBe(second, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('drops and counts an event it cannot key, and keeps going', () => {
      const metrics = new NodeMetrics('cool', 'operator', 'cooldown');
      const broken = { kind: 'command', name: 'cv', args: {}, receivedAt: 0 } as unknown as CommandEvent;
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -x-a-|', { ...events, x: broken });
        const expected = '    ---a-|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler, drops: metrics })),
        ).toBe(expected, passed);
      });
      expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
    });
  });

  describe('replies', () => {
    it('replies once per cooldown by default, and counts every swallowed event', () => {
      const metrics = new NodeMetrics('cool', 'operator', 'cooldown');
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a-b-d 3s d|', events);
        const expected = '    -a-r-- 3s d|';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler, drops: metrics }))).toBe(
          expected,
          { ...passed, r: replyTo(b, '@viewer, cv is cooling down (3s left).') },
        );
      });
      expect(metrics.snapshot().dropped).toEqual({ cooling: { count: 2, intentional: true } });
    });

    it('replies every time with reply_once: false, with the time left going down', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a 999ms b 999ms d|', events);
        const expected = '    -a 999ms r 999ms s|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', reply_once: false }), { scheduler: testScheduler })),
        ).toBe(expected, {
          ...passed,
          r: replyTo(b, '@viewer, cv is cooling down (2s left).'),
          s: replyTo(d, '@viewer, cv is cooling down (1s left).'),
        });
      });
    });

    it('renders every reply field', () => {
      const template = '{{ user }}/{{ login }}/{{ command }}/{{ left }}/{{ left_ms }}/{{ platform }}/{{ channel }}';
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a 1499ms b|', events);
        const expected = '    -a 1499ms r|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', reply: template }), { scheduler: testScheduler })),
        ).toBe(expected, { ...passed, r: replyTo(b, 'viewer/viewer/cv/2/1500/twitch/chan') });
      });
    });

    it('swallows events that name no channel without a reply', () => {
      const metrics = new NodeMetrics('cool', 'operator', 'cooldown');
      const control: ControlEvent = {
        kind: 'control',
        variable: 'cutoff',
        value: 0.5,
        previous: 0.4,
        origin: 'vote',
        ts: 0,
        receivedAt: 0,
      };
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -kk-|', { k: control });
        const expected = '    -k--|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', per: 'global' }), { scheduler: testScheduler, drops: metrics })),
        ).toBe(expected, { k: pass(control) });
      });
      expect(metrics.snapshot().dropped).toEqual({ cooling: { count: 1, intentional: true } });
    });

    it('rejects templates with unknown fields or unbalanced braces', () => {
      expect(CooldownConfig.safeParse({ duration: '3s', reply: 'wait {{ seconds }}s' }).success).toBe(false);
      expect(CooldownConfig.safeParse({ duration: '3s', reply: 'wait {{ left }s' }).success).toBe(false);
      expect(CooldownConfig.safeParse({ duration: '3s', reply: 'wait {{ left }}s' }).success).toBe(true);
    });
  });

  describe('keys', () => {
    it('cools each user and command apart by default', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -acpd-|', events);
        const expected = '    -acpr-|';

        expectObservable(source.pipe(cooldown(config({ duration: '3s' }), { scheduler: testScheduler }))).toBe(
          expected,
          { ...passed, r: replyTo(d, '@viewer, cv is cooling down (3s left).') },
        );
      });
    });

    it('cools a command for everyone with per: command', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -acp-|', events);
        const expected = '    -arp-|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', per: 'command' }), { scheduler: testScheduler })),
        ).toBe(expected, { ...passed, r: replyTo(c, '@carol, cv is cooling down (3s left).') });
      });
    });

    it('lets exempt roles through without starting a cooldown', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -mmc-|', events);
        const expected = '    -mmc-|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', per: 'command' }), { scheduler: testScheduler })),
        ).toBe(expected, passed);
      });
    });

    it('forgets the least recent cooldown beyond max_keys', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -acd-|', events);
        const expected = '    -acd-|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '3s', max_keys: 1 }), { scheduler: testScheduler })),
        ).toBe(expected, passed);
      });
    });

    it('keeps the live cooldowns of recent keys while forgetting old ones', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a 2s cp-c|', events);
        const expected = '    -a 2s cp-r|';

        expectObservable(
          source.pipe(cooldown(config({ duration: '2s', max_keys: 2 }), { scheduler: testScheduler })),
        ).toBe(expected, { ...passed, r: replyTo(c, '@carol, cv is cooling down (2s left).') });
      });
    });
  });

  describe('as a component', () => {
    it('names the _cooling port', () => {
      expect(cooldownComponent.ports(config({ duration: '1s' }))).toEqual([COOLING_PORT]);
    });

    it('counts drops on the node metrics', () => {
      const ctx = testContext({ type: 'cooldown' });
      of(a, b).pipe(cooldownComponent.create(config({ duration: '1s' }), ctx)).subscribe();
      expect(ctx.metrics.snapshot().dropped).toEqual({ cooling: { count: 1, intentional: true } });
    });

    it('declares what it holds back so a cooled event counts once as limited (its drop, not its reply)', () => {
      const ctx = testContext({ type: 'cooldown' });
      of(a, b)
        .pipe(cooldownComponent.create(config({ duration: '1s' }), ctx))
        .subscribe((routed) => {
          ctx.metrics.out(routed.port).value += 1;
        });
      const { dropped, eventsOut } = ctx.metrics.snapshot();
      expect(eventsOut[COOLING_PORT]).toBe(1);
      const roles = cooldownComponent.metricRoles ?? {};
      const limited =
        (roles.limitedDrops ?? []).reduce((n, reason) => n + (dropped[reason]?.count ?? 0), 0) +
        (roles.limitedPorts ?? []).reduce((n, port) => n + (eventsOut[port] ?? 0), 0);
      expect(limited).toBe(1);
    });

    it('has examples that parse', () => {
      for (const example of cooldownComponent.examples) expect(() => CooldownConfig.parse(parse(example))).not.toThrow();
    });

    it('parses its config', () => {
      expect(config({ duration: '10s' })).toEqual({
        duration: 10_000,
        per: ['user', 'command'],
        exempt_roles: ['broadcaster', 'mod'],
        reply: '@{{ user }}, {{ command }} is cooling down ({{ left }}s left).',
        reply_once: true,
        max_keys: 10_000,
        scope: 'local',
        on_redis_down: 'allow',
      });
      expect(CooldownConfig.safeParse({}).success).toBe(false);
      expect(CooldownConfig.safeParse({ duration: '10s', per: [] }).success).toBe(false);
    });
  });
});
