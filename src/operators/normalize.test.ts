import { lastValueFrom, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { chat } from '../../test/support/events.js';
import type { ChatEvent, ChatflowEvent, CommandEvent, EmoteRange } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { NormalizeConfig, normalize, normalizeComponent } from './normalize.js';

const defaults = NormalizeConfig.parse({});

/** Normalizes one chat message with the given options and returns the result. */
async function run(text: string, options: Partial<NormalizeConfig> = {}, emotes: EmoteRange[] = []): Promise<ChatEvent> {
  const [out] = await lastValueFrom(
    of(chat(text, { emotes })).pipe(normalize({ ...defaults, ...options }), toArray()),
  );
  if (out?.kind !== 'chat') throw new Error('expected a chat event');
  return out;
}

/** The text each emote range of `event` points at. */
function emoteTexts(event: ChatEvent): string[] {
  const points = Array.from(event.text);
  return event.emotes.map((e) => points.slice(e.start, e.end + 1).join(''));
}

describe('normalize', () => {
  let testScheduler: TestScheduler;

  const a = chat('Hi\u200B  there');
  const n: ChatEvent = { ...a, text: 'Hi there', originalText: 'Hi\u200B  there', folded: 'hi there' };
  const b: CommandEvent = { kind: 'command', name: 'cv', args: {}, chat: a, receivedAt: 0 };
  const values = { a, b, n };

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('as an RxJS operator', () => {
    it('normalizes chat events and passes other events unchanged', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-|', values);
        const sourceSubs = '  ^----!';
        const expected = '    -n-b-|';

        expectObservable(source.pipe(normalize(defaults))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -', values);
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(normalize(defaults))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' |', values);
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(normalize(defaults))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-#', values);
        const sourceSubs = '  ^--!';
        const expected = '    -n-#';

        expectObservable(source.pipe(normalize(defaults))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps going with an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-a-', values);
        const sourceSubs = '  ^';
        const expected = '    -n-b-n-';

        expectObservable(source.pipe(normalize(defaults))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-a-b-|', values);
        const sourceSubs = '  ^----!    ';
        const unsub = '       -----!    ';
        const expected = '    -n-b-     ';

        expectObservable(source.pipe(normalize(defaults)), unsub).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('drops and counts an event it cannot normalize, and keeps going', () => {
      const metrics = new NodeMetrics('clean', 'operator', 'normalize');
      const broken = { ...a, text: undefined } as unknown as ChatEvent;
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -x-a-|', { ...values, x: broken });
        const sourceSubs = '  ^----!';
        const expected = '    ---n-|';

        expectObservable(source.pipe(normalize(defaults, { drops: metrics }))).toBe(expected, values);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
    });
  });

  describe('text', () => {
    it('leaves clean ASCII as it is', async () => {
      const out = await run('!cv cutoff 0.7');
      expect(out).toMatchObject({ text: '!cv cutoff 0.7', originalText: '!cv cutoff 0.7', folded: '!cv cutoff 0.7' });
    });

    it('removes zero-width characters, soft hyphens and the combining grapheme joiner', async () => {
      const out = await run('fr\u200Be\u200Ce\u200D \u00ADs\u034Fp\u2060a\uFEFFm\u180E');
      expect(out.text).toBe('free spam');
      expect(out.originalText).toBe('fr\u200Be\u200Ce\u200D \u00ADs\u034Fp\u2060a\uFEFFm\u180E');
    });

    it('removes bidi controls', async () => {
      const out = await run('\u202Egnp.exe\u202C \u2066x\u2069 \u200Ey\u200F \u061Cz');
      expect(out.text).toBe('gnp.exe x y z');
    });

    it('removes tag characters, including the U+E0000 Twitch clients append', async () => {
      expect((await run('!cv cutoff 0.7 \u{E0000}')).text).toBe('!cv cutoff 0.7');
      expect((await run('flag\u{E0067}\u{E0062}\u{E007F}')).text).toBe('flag');
    });

    it('removes variation selectors and Hangul fillers', async () => {
      expect((await run('\u2764\uFE0F hi\u{E0100}')).text).toBe('\u2764 hi');
      expect((await run('a\u3164b\u115Fc\uFFA0d\u1160e')).text).toBe('abcde');
    });

    it('keeps invisible characters with strip_invisible: false', async () => {
      expect((await run('a\u200Bb', { strip_invisible: false })).text).toBe('a\u200Bb');
    });

    it('applies NFKC: full-width forms, mathematical letters, ligatures', async () => {
      expect((await run('\uFF46\uFF55\uFF4C\uFF4C \u{1D426}\u{1D41A}\u{1D42D}\u{1D421} \uFB01ne')).text).toBe('full math fine');
    });

    it('caps combining marks per base character (zalgo)', async () => {
      const zalgo = 'Z\u0335\u0322\u031B\u031B\u034Ea\u0336';
      expect((await run(zalgo)).text).toBe('Z\u0335\u0322a\u0336');
      expect((await run(zalgo, { max_combining: 0 })).text).toBe('Za');
      expect((await run(zalgo, { max_combining: null })).text).toBe(zalgo);
    });

    it('counts marks after NFKC composition, so a precomposed accent is not one of them', async () => {
      expect((await run('cre\u0300me\u0301\u0301\u0301')).text).toBe('crèm\u00E9\u0301\u0301');
    });

    it('collapses every kind of whitespace and trims', async () => {
      expect((await run(' \t a \u00A0\u3000 b\n\u2028c\u2800 ')).text).toBe('a b c');
      expect((await run(' a  b ', { collapse_whitespace: false })).text).toBe(' a  b ');
    });

    it('cuts text to max_length code points', async () => {
      expect((await run('abcdef', { max_length: 4 })).text).toBe('abcd');
      expect((await run('\u{1F600}\u{1F600}\u{1F600}', { max_length: 2 })).text).toBe('\u{1F600}\u{1F600}');
      expect((await run('ab cd', { max_length: 3 })).text).toBe('ab');
    });

    it('keeps the first originalText when normalized twice', async () => {
      const once = await run('a\u200B b');
      const [twice] = await lastValueFrom(of(once).pipe(normalize(defaults), toArray()));
      expect(twice).toMatchObject({ text: 'a b', originalText: 'a\u200B b' });
    });
  });

  describe('the copy', () => {
    const normalizeOne = async (event: ChatEvent, options: Partial<NormalizeConfig> = {}) =>
      (await lastValueFrom(of(event).pipe(normalize({ ...defaults, ...options }), toArray())))[0] as ChatEvent;

    it('keeps the keys of the event in their order, then adds originalText and folded', async () => {
      const plain = chat('Hi  there');
      const withExtras: ChatEvent = { ...chat('Hi  there'), bits: 100, replyTo: { id: 'p1' }, self: true };
      for (const event of [plain, withExtras]) {
        for (const fold of [true, false]) {
          const out = await normalizeOne(event, { fold });
          expect(Object.keys(out)).toEqual([...Object.keys(event), 'originalText', ...(fold ? ['folded'] : [])]);
          expect(out).toEqual({
            ...event,
            text: 'Hi there',
            originalText: 'Hi  there',
            ...(fold ? { folded: 'hi there' } : {}),
          });
          expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
        }
      }
    });

    it('copies an event whose keys come in another order, key for key', async () => {
      const { kind, ...rest } = chat('Hi  there', { emotes: [{ id: 'e1', start: 0, end: 1 }] });
      const reordered = { ...rest, kind } as ChatEvent;
      const out = await normalizeOne(reordered);
      expect(Object.keys(out)).toEqual([...Object.keys(reordered), 'originalText', 'folded']);
      expect(out).toMatchObject({ text: 'Hi there', emotes: reordered.emotes });
    });

    it('never changes the event it was given', async () => {
      const event = chat('Hi\u200B  there');
      const before = structuredClone(event);
      await normalizeOne(event);
      expect(event).toStrictEqual(before);
    });
  });

  describe('folded', () => {
    it('lower-cases and removes diacritics', async () => {
      expect((await run('Crème Brûlée ŁÓDŹ Straße')).folded).toBe('creme brulee lodz strasse');
    });

    it('maps Cyrillic, Greek and Armenian look-alikes to ASCII', async () => {
      // р а у р а l: Cyrillic except the l; Ε Χ Ο: Greek; ո: Armenian.
      expect((await run('\u0440\u0430\u0443\u0440\u0430l \u0395\u03A7\u039F \u0578o')).folded).toBe('paypal exo no');
      expect((await run('\u0455\u0441\u0430\u043C \u0501\u0456\u0458 \u0261')).folded).toBe('scam dij g');
    });

    it('maps small capitals and full-width letters to ASCII', async () => {
      expect((await run('\uA730\u0280\u1D07\u1D07 \uFF26\uFF32\uFF25\uFF25')).folded).toBe('free free');
    });

    it('folds leetspeak inside words but keeps numbers', async () => {
      const out = await run('h3ll0 n00b 5h!t b@d $hit l33t !cv cutoff 0.7 1337 $5 @streamer');
      expect(out.folded).toBe('hello noob shit bad shit leet !cv cutoff 0.7 1337 $5 @streamer');
      expect(out.text).toBe('h3ll0 n00b 5h!t b@d $hit l33t !cv cutoff 0.7 1337 $5 @streamer');
    });

    it('leaves folded out with fold: false', async () => {
      expect(await run('Hi', { fold: false })).not.toHaveProperty('folded');
    });
  });

  describe('emotes', () => {
    it('remaps emote ranges when characters before them are removed', async () => {
      // ZWSP K a p p a ␠ ␠ h i ZWSP ␠ K a p p a ␠ ␠
      const out = await run('\u200BKappa  hi\u200B Kappa  ', {}, [
        { id: '25', start: 1, end: 5 },
        { id: '25', start: 12, end: 16 },
      ]);
      expect(out.text).toBe('Kappa hi Kappa');
      expect(out.emotes).toEqual([
        { id: '25', start: 0, end: 4 },
        { id: '25', start: 9, end: 13 },
      ]);
      expect(emoteTexts(out)).toEqual(['Kappa', 'Kappa']);
    });

    it('counts code points, not UTF-16 units, around astral characters and NFKC', async () => {
      const out = await run('\u{1F600} \uFF48i\u0335\u0335\u0335 PogChamp', {}, [{ id: '88', start: 8, end: 15 }]);
      expect(out.text).toBe('\u{1F600} hi\u0335\u0335 PogChamp');
      expect(emoteTexts(out)).toEqual(['PogChamp']);
    });

    it('removes broken ranges and keeps the valid ones', async () => {
      const out = await run('Kappa hi', {}, [
        { id: 'past-end', start: 6, end: 9 },
        { id: 'reversed', start: 4, end: 0 },
        { id: '25', start: 0, end: 4 },
        { id: 'overlap', start: 3, end: 5 },
      ]);
      expect(out.emotes).toEqual([{ id: '25', start: 0, end: 4 }]);
    });

    it('sorts ranges that arrive out of order', async () => {
      const out = await run('a\u200B Kappa Keepo', {}, [
        { id: '1902', start: 9, end: 13 },
        { id: '25', start: 3, end: 7 },
      ]);
      expect(emoteTexts(out)).toEqual(['Kappa', 'Keepo']);
    });

    it('removes emotes cut off by max_length', async () => {
      const out = await run('hi\u200B Kappa Keepo', { max_length: 10 }, [
        { id: '25', start: 4, end: 8 },
        { id: '1902', start: 10, end: 14 },
      ]);
      expect(out.text).toBe('hi Kappa K');
      expect(emoteTexts(out)).toEqual(['Kappa']);
    });
  });

  describe('as a component', () => {
    it('counts drops on the node metrics', () => {
      const ctx = testContext({ type: 'normalize' });
      const seen: ChatflowEvent[] = [];
      of({ ...a, text: 42 } as unknown as ChatEvent, a)
        .pipe(normalizeComponent.create(NormalizeConfig.parse({}), ctx))
        .subscribe((event) => seen.push(event));
      expect(seen).toEqual([n]);
      expect(ctx.metrics.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
    });

    it('has examples that parse', () => {
      for (const example of normalizeComponent.examples) {
        expect(() => NormalizeConfig.parse(parse(example) ?? {})).not.toThrow();
      }
    });

    it('rejects unknown keys', () => {
      expect(NormalizeConfig.safeParse({ strip: true }).success).toBe(false);
    });
  });
});
