import { mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { type Category, ClassifyConfig, classify, classifyComponent, classifyPorts } from './index.js';

const a = chat('!cv cutoff 0.7');
const b = chat('what song is this');
const c = chat('hi chat');
const d = chat('Kappa', { emotes: [{ id: '25', name: 'Kappa', start: 0, end: 4 }] });
const e = chat('what a play!');
const f = chat('see clips.twitch.tv/x');
const k: CommandEvent = { kind: 'command', name: 'cv', args: {}, chat: a, receivedAt: 0 };
/** A malformed event (no text). */
const m = { ...c, text: undefined } as unknown as ChatEvent;
const values = { a, b, c, d, e, f, k, m };

const tagged = (event: ChatEvent, port: Category): Routed => ({ port, event: { ...event, category: port } });
const routed = {
  A: tagged(a, 'command'),
  Q: tagged(b, 'question'),
  G: tagged(c, 'greeting'),
  E: tagged(d, 'emote_only'),
  O: tagged(e, 'other'),
  L: tagged(f, 'link'),
  K: { port: '', event: k },
};

const defaults = ClassifyConfig.parse({});

describe('classify', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('tags each chat message with its category and sends it to that port', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-e-f-|', values);
      const sourceSubs = '  ^------------!';
      const expected = '    -A-Q-G-E-O-L-|';

      expectObservable(source.pipe(classify(defaults))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('sends events that are not chat to the default port, unchanged', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-k-b-|', values).pipe(classify(defaults))).toBe('-K-Q-|', routed);
    });
  });

  it('sends only the categories computed; the rest falls to the next that fits, or other', () => {
    const some = ClassifyConfig.parse({ categories: ['question', 'greeting'] });
    const other = (event: ChatEvent): Routed => tagged(event, 'other');
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-d-f-|', values).pipe(classify(some))).toBe('-1-Q-G-2-3-|', {
        ...routed,
        1: other(a),
        2: other(d),
        3: other(f),
      });
    });
  });

  it('never emits and never completes when the source never does', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' -');
      const sourceSubs = '  ^';
      const expected = '    -';

      expectObservable(source.pipe(classify(defaults))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('completes when the source is empty', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>(' |');
      const sourceSubs = '  (^!)';
      const expected = '    |';

      expectObservable(source.pipe(classify(defaults))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('forwards a source error', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-#', values, new Error('boom'));
      const sourceSubs = '  ^----!';
      const expected = '    -A-Q-#';

      expectObservable(source.pipe(classify(defaults))).toBe(expected, routed, new Error('boom'));
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps classifying an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -b-c-b-c-', values);
      const sourceSubs = '  ^';
      const expected = '    -Q-G-Q-G-';

      expectObservable(source.pipe(classify(defaults))).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('unsubscribes from the source when the result is unsubscribed early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -A-Q-     ';

      expectObservable(source.pipe(classify(defaults)), unsub).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('does not break unsubscription chains when unsubscribed explicitly', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-|', values);
      const sourceSubs = '  ^----!    ';
      const unsub = '       -----!    ';
      const expected = '    -A-Q-     ';

      const result = source.pipe(
        mergeMap((event) => of(event)),
        classify(defaults),
        mergeMap((event) => of(event)),
      );
      expectObservable(result, unsub).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('gives every subscription the same answers (it keeps no state)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -b-c-|', values);
      const sourceSubs = '  ^----!';
      const expected = '    -Q-G-|';

      const result = source.pipe(classify(defaults));
      expectObservable(result).toBe(expected, routed);
      expectObservable(result).toBe(expected, routed);
      expectSubscriptions(source.subscriptions).toBe([sourceSubs, sourceSubs]);
    });
  });

  it('drops a malformed chat event (counted as error) and goes on', () => {
    const metrics = new NodeMetrics('k', 'operator', 'classify');
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-m-b-|', values).pipe(classify(defaults, { drops: metrics }))).toBe('---Q-|', routed);
    });
    expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });

  it('makes a new event and leaves the input as it was', () => {
    const out: Routed[] = [];
    of<ChatflowEvent>(b).pipe(classify(defaults)).subscribe((r) => out.push(r));
    expect(out[0]?.event).not.toBe(b);
    expect(b.category).toBeUndefined();
    expect(out[0]?.event).toMatchObject({ category: 'question', text: 'what song is this' });
  });

  it('passes an event already in its category through as it is', () => {
    const done = { ...b, category: 'question' };
    const out: Routed[] = [];
    of<ChatflowEvent>(done).pipe(classify(defaults)).subscribe((r) => out.push(r));
    expect(out[0]?.event).toBe(done);
  });
});

describe('ClassifyConfig', () => {
  it('computes every category in every language by default, with prefix !', () => {
    expect(defaults).toEqual({
      categories: ['command', 'link', 'question', 'greeting', 'emote_only'],
      prefix: '!',
      languages: ['en', 'ru', 'es', 'de', 'pt'],
      extra_question_openers: {},
      extra_greetings: {},
    });
  });

  it('rejects unknown categories, languages and keys', () => {
    expect(ClassifyConfig.safeParse({ categories: ['spam'] }).success).toBe(false);
    expect(ClassifyConfig.safeParse({ categories: ['other'] }).success).toBe(false);
    expect(ClassifyConfig.safeParse({ languages: ['fr'] }).success).toBe(false);
    expect(ClassifyConfig.safeParse({ extra_greetings: { fr: ['salut'] } }).success).toBe(false);
    expect(ClassifyConfig.safeParse({ categorys: [] }).success).toBe(false);
    expect(ClassifyConfig.safeParse({ categories: [] }).success).toBe(false);
  });

  it('rejects extra words for a language left out, at their path', () => {
    const result = ClassifyConfig.safeParse({ languages: ['en'], extra_greetings: { de: ['servus'] } });
    expect(result.error?.issues[0]?.path).toEqual(['extra_greetings', 'de']);
    expect(result.error?.issues[0]?.message).toMatch(/`languages` leaves out/);
  });

  it('takes extra openers and greetings into account', () => {
    const config = ClassifyConfig.parse({
      languages: ['en'],
      extra_question_openers: { en: ['any tips'] },
      extra_greetings: { en: ['o7'] },
    });
    const out: Routed[] = [];
    of<ChatflowEvent[]>(chat('any tips for the boss'), chat('o7'))
      .pipe(classify(config))
      .subscribe((r) => out.push(r));
    expect(out.map((r) => r.port)).toEqual(['question', 'greeting']);
  });
});

describe('classifyComponent', () => {
  it('names one port per computed category, in priority order, plus other', () => {
    expect(classifyComponent.ports(defaults)).toEqual([
      'command',
      'link',
      'question',
      'greeting',
      'emote_only',
      'other',
    ]);
    expect(classifyPorts(ClassifyConfig.parse({ categories: ['greeting', 'question'] }))).toEqual([
      'question',
      'greeting',
      'other',
    ]);
    expect(classifyComponent.mirrorToDefault).toBe(true);
  });

  it('parses every example', () => {
    for (const example of classifyComponent.examples) {
      expect(ClassifyConfig.safeParse(parseYaml(example)).error).toBeUndefined();
    }
  });

  it('creates the operator from the context, counting drops in its metrics', () => {
    const ctx = testContext();
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      expectObservable(cold('-m-c-|', values).pipe(classifyComponent.create(defaults, ctx))).toBe('---G-|', routed);
    });
    expect(ctx.metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });
});
