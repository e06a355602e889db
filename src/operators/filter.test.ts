import { pino } from 'pino';
import { mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { chat } from '../../test/support/events.js';
import type { ChatEvent, ChatflowEvent, CommandEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { FilterConfig, filter, filterComponent, passesFilter } from './filter.js';
import { MATCH_ALL } from './shared/match.js';

/** A logger that keeps its records, to assert on warnings. */
function recordingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}

const a = chat('hello', { user: 'moddy', roles: ['mod'] });
const b = chat('hello', { user: 'viewer' });
const c = chat('!cv cutoff 1', { user: 'moddy', roles: ['mod'] });
const d: CommandEvent = { kind: 'command', name: 'cv', args: { name: 'cutoff', value: 1 }, chat: c, receivedAt: 0 };
/** A malformed event (no author), as a broken upstream or a bad recording could produce. */
const e = { ...b, author: undefined } as unknown as ChatEvent;
const values = { a, b, c, d, e };

const modsButNoCommands = FilterConfig.parse({ match: { kind: ['chat'], role: ['mod'] }, not: { text: '^!' } });

describe('filter', () => {
  let testScheduler: TestScheduler;
  let metrics: NodeMetrics;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    metrics = new NodeMetrics('f', 'operator', 'filter');
  });

  it('passes events that match `match` and not `not`, and counts the rest as filtered', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    -a-------|';

      expectObservable(source.pipe(filter(modsButNoCommands, metrics))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
    expect(metrics.snapshot().dropped).toEqual({ filtered: { count: 3, intentional: true } });
  });

  it('passes everything but `not` when `match` is left out (text also sees the chat behind a command)', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    -a-b-----|';

      expectObservable(source.pipe(filter(FilterConfig.parse({ not: { text: '^!cv' } })))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never emits and never completes when the source never does', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' -');
      const sourceSubs = '  ^';
      const expected = '    -';

      expectObservable(source.pipe(filter(modsButNoCommands))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('completes when the source is empty', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' |');
      const sourceSubs = '  (^!)';
      const expected = '    |';

      expectObservable(source.pipe(filter(modsButNoCommands))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('forwards a source error', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-#', values, new Error('boom'));
      const sourceSubs = '  ^----!';
      const expected = '    -a---#';

      expectObservable(source.pipe(filter(modsButNoCommands))).toBe(expected, values, new Error('boom'));
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps filtering an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-a-b-a-b-', values);
      const sourceSubs = '  ^';
      const expected = '    -a---a---a---';

      expectObservable(source.pipe(filter(modsButNoCommands))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('unsubscribes from the source when the result is unsubscribed early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-a-b-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -a---     ';

      expectObservable(source.pipe(filter(modsButNoCommands)), unsub).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('does not break unsubscription chains when unsubscribed explicitly', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-a-b-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -a---     ';

      const result = source.pipe(
        mergeMap((event) => of(event)),
        filter(modsButNoCommands),
        mergeMap((event) => of(event)),
      );
      expectObservable(result, unsub).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('drops an event the matcher throws on, counts it as an error, and goes on', () => {
    const { logger, records } = recordingLogger();
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -e-a-e-a-|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    ---a---a-|';

      expectObservable(source.pipe(filter(FilterConfig.parse({ match: { role: ['mod'] } }), metrics, logger))).toBe(
        expected,
        values,
      );
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 2, intentional: false } });
    expect(records.filter((r) => r.level === 40)).toHaveLength(1);
    expect(records[0]?.msg).toBe('Filter could not match an event; dropped it.');
  });

  it('keeps its warn-once state per subscription', () => {
    const { logger, records } = recordingLogger();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -e-e-a-|', values);
      const sourceSubs = '  ^------!';
      const expected = '    -----a-|';

      const result = source.pipe(filter(FilterConfig.parse({ match: { role: ['mod'] } }), metrics, logger));
      expectObservable(result).toBe(expected, values);
      expectObservable(result).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe([sourceSubs, sourceSubs]);
    });
    expect(records.filter((r) => r.level === 40)).toHaveLength(2);
    expect(metrics.snapshot().dropped.error?.count).toBe(4);
  });
});

describe('passesFilter', () => {
  it('is one matcher call per event: `match` itself without `not`, `match: {}` the match-all', () => {
    expect(passesFilter(FilterConfig.parse({ match: {} }))).toBe(MATCH_ALL);
    const modsOnly = passesFilter(FilterConfig.parse({ match: { role: ['mod'] } }));
    expect([a, b, c].map(modsOnly)).toEqual([true, false, true]);
  });

  it('keeps `not` alone and `match` with `not` exact', () => {
    const noCommands = passesFilter(FilterConfig.parse({ not: { text: '^!' } }));
    expect([a, b, c, d].map(noCommands)).toEqual([true, true, false, false]);
    expect([a, b, c, d].map(passesFilter(modsButNoCommands))).toEqual([true, false, false, false]);
  });
});

describe('FilterConfig', () => {
  it('needs `match` or `not`', () => {
    const result = FilterConfig.safeParse({});
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/needs `match`, `not` or both/);
  });

  it('reports an invalid regex at its path', () => {
    const result = FilterConfig.safeParse({ match: { text: '[a-' } });
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['match', 'text']]);
  });

  it('rejects unknown keys', () => {
    expect(FilterConfig.safeParse({ match: {}, invert: true }).success).toBe(false);
  });
});

describe('filterComponent', () => {
  it('parses every example', () => {
    for (const example of filterComponent.examples) {
      expect(FilterConfig.safeParse(parseYaml(example)).error).toBeUndefined();
    }
  });

  it('counts drops on the node metrics', () => {
    const ctx = testContext({ type: 'filter' });
    const config = filterComponent.config.parse({ match: { user: ['viewer'] } });
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', values).pipe(filterComponent.create(config, ctx))).toBe('---b-|', values);
    });
    expect(ctx.metrics.snapshot().dropped).toEqual({ filtered: { count: 1, intentional: true } });
  });
});
