import { pino } from 'pino';
import { mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { chat } from '../../test/support/events.js';
import type { Routed } from '../core/component.js';
import type { ChatEvent, ChatflowEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { RouteConfig, route, routeComponent, UNMATCHED_PORT } from './route.js';

const a = chat('hello', { user: 'moddy', roles: ['mod'] });
const b = chat('see https://x.y', { user: 'viewer' });
const c = chat('https://clips.twitch.tv/x', { user: 'moddy', roles: ['mod'] });
const d = chat('hi', { user: 'viewer' });
/** A malformed event (no author). */
const e = { ...d, author: undefined } as unknown as ChatEvent;
const values = { a, b, c, d, e };

const to = (port: string, event: ChatEvent): Routed => ({ port, event });
const routed = {
  A: to('mods', a),
  B: to('links', b),
  C: to('mods', c),
  D: to(UNMATCHED_PORT, d),
  E: to('links', c),
};

const cases = { mods: { role: ['mod'] }, links: { text: 'https?://' } };
const first = RouteConfig.parse({ cases });
const all = RouteConfig.parse({ cases, mode: 'all' });

describe('route', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('sends each event to the first case it matches, the rest to _unmatched', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    -A-B-C-D-|';

      expectObservable(source.pipe(route(first))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('tries cases in the order written', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -c-|', values);
      const sourceSubs = '  ^--!';
      const expected = '    -E-|';

      const linksFirst = RouteConfig.parse({ cases: { links: cases.links, mods: cases.mods } });
      expectObservable(source.pipe(route(linksFirst))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('with mode: all, sends an event to every case it matches, in case order', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c---d-|', values);
      const sourceSubs = '  ^----------!';
      const expected = '    -A-B-(CE)D-|';

      expectObservable(source.pipe(route(all))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never emits and never completes when the source never does', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' -');
      const sourceSubs = '  ^';
      const expected = '    -';

      expectObservable(source.pipe(route(first))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('completes when the source is empty', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' |');
      const sourceSubs = '  (^!)';
      const expected = '    |';

      expectObservable(source.pipe(route(first))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('forwards a source error', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-d-#', values, new Error('boom'));
      const sourceSubs = '  ^----!';
      const expected = '    -A-D-#';

      expectObservable(source.pipe(route(first))).toBe(expected, routed, new Error('boom'));
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps routing an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-a-b-', values);
      const sourceSubs = '  ^';
      const expected = '    -A-B-A-B-';

      expectObservable(source.pipe(route(first))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('unsubscribes from the source when the result is unsubscribed early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -A-B-     ';

      expectObservable(source.pipe(route(first)), unsub).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('does not break unsubscription chains when unsubscribed explicitly', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -A-B-     ';

      const result = source.pipe(
        mergeMap((event) => of(event)),
        route(first),
        mergeMap((event) => of(event)),
      );
      expectObservable(result, unsub).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('drops an event a matcher throws on (counted, warned once per subscription) and goes on', () => {
    const metrics = new NodeMetrics('r', 'operator', 'route');
    const records: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -e-a-e-d-|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    ---A---D-|';

      const result = source.pipe(route(all, metrics, logger));
      expectObservable(result).toBe(expected, routed);
      expectObservable(result).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe([sourceSubs, sourceSubs]);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 4, intentional: false } });
    expect(records.filter((r) => r.msg === 'Route could not match an event; dropped it.')).toHaveLength(2);
  });
});

describe('RouteConfig', () => {
  it('defaults mode to first', () => {
    expect(RouteConfig.parse({ cases: { x: {} } }).mode).toBe('first');
  });

  it('keeps cases in the order written', () => {
    expect(Object.keys(RouteConfig.parse({ cases: { zeta: {}, alpha: {}, mid: {} } }).cases)).toEqual([
      'zeta',
      'alpha',
      'mid',
    ]);
  });

  it.each(['_unmatched', '_x', '1abc', 'a b', 'a.b', ''])('rejects the case name %j', (name) => {
    const result = RouteConfig.safeParse({ cases: { [name]: {} } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['cases', name]);
    expect(result.error?.issues[0]?.message).toMatch(/A case name is a port name/);
  });

  it('accepts letters, digits, `_` and `-` after a first letter', () => {
    expect(RouteConfig.safeParse({ cases: { 'Mods_and-VIPs2': {} } }).success).toBe(true);
  });

  it('needs at least one case, and a known mode', () => {
    expect(RouteConfig.safeParse({ cases: {} }).error?.issues[0]?.message).toBe('Give at least one case');
    expect(RouteConfig.safeParse({ cases: { x: {} }, mode: 'any' }).success).toBe(false);
  });

  it('reports an invalid regex inside a case at its path', () => {
    const result = RouteConfig.safeParse({ cases: { links: { text: '(' } } });
    expect(result.error?.issues[0]?.path).toEqual(['cases', 'links', 'text']);
  });
});

describe('routeComponent', () => {
  it('names one port per case, in order, plus _unmatched', () => {
    expect(routeComponent.ports(first)).toEqual(['mods', 'links', '_unmatched']);
  });

  it('parses every example', () => {
    for (const example of routeComponent.examples) {
      expect(RouteConfig.safeParse(parseYaml(example)).error).toBeUndefined();
    }
  });

  it('creates the operator from the context', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-d-|', values).pipe(routeComponent.create(first, testContext()))).toBe(
        '-A-D-|',
        routed,
      );
    });
  });
});
