import fc from 'fast-check';
import { Observable, type SchedulerLike, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { Coalescer, coalesceLatest } from './coalesce.js';

// ---------------------------------------------------------------------------------------------

interface V {
  readonly k: string;
  readonly v: number;
  readonly urgent?: boolean;
}

describe('coalesceLatest', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const byValue = { intervalMs: 3, keyOf: (_value: string) => 'one' };

  it('passes a lone value at once, holds a burst to its newest value, and paces the key', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -abc-----d--|');
      const sourceSubs = '  ^-----------!';
      const expected = '    -a--c----d--|';

      expectObservable(source.pipe(coalesceLatest(byValue))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('paces each key on its own', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const values: Record<string, V> = {
        a: { k: 'cutoff', v: 1 },
        b: { k: 'cutoff', v: 2 },
        x: { k: 'pitch', v: 1 },
        y: { k: 'pitch', v: 2 },
      };
      const source = hot('  -axby----|', values);
      const sourceSubs = '  ^--------!';
      const expected = '    -ax--by--|';

      expectObservable(source.pipe(coalesceLatest({ intervalMs: 4, keyOf: (e: V) => e.k }))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('never emits a value after a newer one of its key (counts the superseded ones)', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const superseded: string[] = [];
      const source = hot('  -abcdef--g|');
      const expected = '    -a---e---g|';

      expectObservable(
        source.pipe(coalesceLatest({ intervalMs: 4, keyOf: () => 'k', onSuperseded: (v) => superseded.push(v) })),
      ).toBe(expected);
      testScheduler.flush();
      expect(superseded).toEqual(['b', 'c', 'd', 'f']);
    });
  });

  it('lets an urgent value (a panic) through at once, replacing the waiting one', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const values: Record<string, V> = {
        a: { k: 'cutoff', v: 0.9 },
        b: { k: 'cutoff', v: 0.1 },
        p: { k: 'cutoff', v: 0.5, urgent: true },
      };
      const source = hot('  -abp-----|', values);
      const expected = '    -a-p-----|';

      const options = { intervalMs: 5, keyOf: (e: V) => e.k, urgent: (e: V) => e.urgent === true };
      expectObservable(source.pipe(coalesceLatest(options))).toBe(expected, values);
    });
  });

  it('does nothing with a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -');
      const sourceSubs = '   ^';
      const expected = '     -';

      expectObservable(source.pipe(coalesceLatest(byValue))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('completes with an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' |');
      const sourceSubs = '   (^!)';
      const expected = '     |';

      expectObservable(source.pipe(coalesceLatest(byValue))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('waits for the values still held before it completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -ab|');
      const sourceSubs = '   ^--!';
      const expected = '     -a--(b|)';

      expectObservable(source.pipe(coalesceLatest(byValue))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('forwards an error at once, dropping what it held', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -ab#');
      const sourceSubs = '   ^--!';
      const expected = '     -a-#';

      expectObservable(source.pipe(coalesceLatest(byValue))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('turns a throwing keyOf into an error notification', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-x-b|');
      const sourceSubs = '  ^--!   ';
      const expected = '    -a-#   ';
      const keyOf = (value: string) => {
        if (value === 'x') throw new Error('bad key');
        return value;
      };

      expectObservable(source.pipe(coalesceLatest({ intervalMs: 3, keyOf }))).toBe(expected, undefined, new Error('bad key'));
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps pacing an infinite source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d-e-f-g-h-');
      const sourceSubs = '  ^----------------';
      const expected = '    -a---c---e---g---h';

      expectObservable(source.pipe(coalesceLatest({ intervalMs: 4, keyOf: () => 'k' }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('unsubscribes from the source, and cancels its timers, when the result is unsubscribed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -ab--c-|');
      const sourceSubs = '  ^--!    ';
      const unsub = '       ---!    ';
      const expected = '    -a-     ';

      expectObservable(source.pipe(coalesceLatest({ intervalMs: 4, keyOf: () => 'k' })), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps state per subscription', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' ab|');
      const paced = source.pipe(coalesceLatest({ intervalMs: 5, keyOf: () => 'k' }));
      const sourceSubs = ['^-!', '--^-!'];
      const first = '       a----(b|)';
      const second = '      --a----(b|)';

      expectObservable(paced).toBe(first);
      expectObservable(paced, '--^').toBe(second);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('with intervalMs 0 passes everything through', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -abc|');
      const expected = '    -abc|';

      expectObservable(source.pipe(coalesceLatest({ intervalMs: 0, keyOf: () => 'k' }))).toBe(expected);
    });
  });
});

describe('Coalescer (properties)', () => {
  interface Offer {
    readonly at: number;
    readonly key: string;
    readonly seq: number;
  }

  it('per key: newest value last, never stale after fresh, paced, nothing lost or duplicated', () => {
    const offers = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom('a', 'b', 'c')), { minLength: 1, maxLength: 80 })
      .map((list) =>
        list
          .sort((x, y) => x[0] - y[0])
          .map(([at, key], seq): Offer => ({ at, key, seq })),
      );
    fc.assert(
      fc.property(offers, fc.integer({ min: 1, max: 30 }), (list, intervalMs) => {
        const scheduler = new VirtualTimeScheduler();
        const out: Array<{ at: number; value: Offer }> = [];
        let superseded = 0;
        const coalescer = new Coalescer<Offer>(
          { intervalMs, keyOf: (o) => o.key },
          scheduler,
          (value) => out.push({ at: scheduler.now(), value }),
          () => {
            superseded += 1;
          },
        );
        for (const offer of list) scheduler.schedule(() => coalescer.offer(offer), offer.at);
        scheduler.flush();

        expect(out.length + superseded).toBe(list.length);
        expect(coalescer.waiting).toBe(0);
        for (const key of ['a', 'b', 'c']) {
          const sent = out.filter((o) => o.value.key === key);
          const offered = list.filter((o) => o.key === key);
          for (let i = 1; i < sent.length; i++) {
            const prev = sent[i - 1] as { at: number; value: Offer };
            const cur = sent[i] as { at: number; value: Offer };
            expect(cur.value.seq).toBeGreaterThan(prev.value.seq);
            expect(cur.at - prev.at).toBeGreaterThanOrEqual(intervalMs);
          }
          expect(sent.at(-1)?.value).toEqual(offered.at(-1));
          for (const s of sent) expect(s.at - s.value.at).toBeLessThanOrEqual(intervalMs);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets a value through at once when exactly one interval has passed since its key last went out', () => {
    const scheduler = new VirtualTimeScheduler();
    const out: string[] = [];
    const coalescer = new Coalescer<string>({ intervalMs: 10, keyOf: () => 'k' }, scheduler, (v) => out.push(v));
    coalescer.offer('a');
    scheduler.schedule(() => {
      coalescer.offer('b');
      // Sent from offer itself, not held for a timer: the pace is "at least one interval apart".
      expect(out).toEqual(['a', 'b']);
      expect(coalescer.waiting).toBe(0);
    }, 10);
    scheduler.flush();
    expect(out).toEqual(['a', 'b']);
  });

  it('cancel() stops every timer and returns what was waiting', () => {
    const scheduler = new VirtualTimeScheduler();
    const out: string[] = [];
    const coalescer = new Coalescer<string>({ intervalMs: 10, keyOf: (s) => s[0] as string }, scheduler, (s) =>
      out.push(s),
    );
    coalescer.offer('a1');
    coalescer.offer('a2');
    coalescer.offer('b1');
    coalescer.offer('b2');
    expect(out).toEqual(['a1', 'b1']);
    expect(coalescer.waiting).toBe(2);
    expect(coalescer.cancel()).toEqual(['a2', 'b2']);
    scheduler.flush();
    expect(out).toEqual(['a1', 'b1']);
    expect(coalescer.waiting).toBe(0);
  });

  it('holds a value at most one interval when the clock is set back', () => {
    const virtual = new VirtualTimeScheduler();
    let offset = 0;
    const clock: SchedulerLike = { now: () => virtual.now() + offset, schedule: virtual.schedule.bind(virtual) };
    const out: Array<[string, number]> = [];
    const coalescer = new Coalescer<string>({ intervalMs: 10, keyOf: () => 'k' }, clock, (v) => out.push([v, virtual.now()]));
    coalescer.offer('a');
    offset = -3_600_000; // the wall clock jumps back an hour
    coalescer.offer('b');
    virtual.flush();
    expect(out).toEqual([
      ['a', 0],
      ['b', 10],
    ]);
  });

  it('works on an Observable made by hand (no hidden global time)', () => {
    const scheduler = new VirtualTimeScheduler();
    const seen: number[] = [];
    new Observable<number>((subscriber) => {
      for (let i = 0; i < 100; i++) subscriber.next(i);
      subscriber.complete();
    })
      .pipe(coalesceLatest({ intervalMs: 10, keyOf: () => 'k' }, scheduler))
      .subscribe((v) => seen.push(v));
    scheduler.flush();
    expect(seen).toEqual([0, 99]);
  });
});
