import fc from 'fast-check';
import osc from 'osc';
import { Observable, type SchedulerLike, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  Coalescer,
  checkAddressLiteral,
  coalesceLatest,
  encodeBundle,
  escapeAddressPart,
  fillEmptySegments,
  groupForBundles,
  IMMEDIATELY,
  MAX_ADDRESS_PART,
  MAX_STRING_ARG,
  ntpTimeTag,
  type OscArgType,
  OscEncoder,
  parseTarget,
  sanitizeStringArg,
  toInt32,
} from './oscInternals.js';

/** What `osc.writePacket` makes of a message, as a Buffer. */
function reference(address: string, types: readonly OscArgType[], values: readonly (number | string)[]): Buffer {
  const args = types.map((type, i) => ({ type, value: type === 'i' ? toInt32(values[i] as number) : values[i] }));
  return Buffer.from(osc.writePacket({ address, args }, { metadata: true }));
}

describe('OscEncoder', () => {
  it('encodes /cv/cutoff f 0.7 byte-identically to osc.writePacket', () => {
    const encoder = new OscEncoder(['f']);
    const bytes = encoder.encode('/cv/cutoff', [0.7]);
    expect(bytes).toEqual(reference('/cv/cutoff', ['f'], [0.7]));
    // `/cv/cutoff\0\0` `,f\0\0` then 0.7 as float32 big-endian.
    expect(bytes.toString('hex')).toBe('2f63762f6375746f666600002c6600003f333333');
  });

  it('encodes every type and padding case byte-identically to osc.writePacket', () => {
    const type = fc.constantFrom<OscArgType>('f', 'd', 'i', 's');
    const address = fc
      .array(fc.constantFrom(...'abcxyz019_-.'.split('')), { minLength: 1, maxLength: 21 })
      .map((chars) => `/${chars.join('')}`);
    const message = fc
      .array(type, { minLength: 1, maxLength: 6 })
      .chain((types) =>
        fc.tuple(
          fc.constant(types),
          fc.tuple(
            ...types.map((t) =>
              t === 's'
                ? fc.string({ unit: 'grapheme', maxLength: 12 }).map(sanitizeStringArg)
                : t === 'i'
                  ? fc.integer({ min: -2_147_483_648, max: 2_147_483_647 })
                  : fc.double({ noNaN: true, noDefaultInfinity: true }),
            ),
          ),
        ),
      );
    fc.assert(
      fc.property(address, message, (addr, [types, values]) => {
        const encoder = new OscEncoder(types);
        const first = encoder.encode(addr, values);
        expect(first).toEqual(reference(addr, types, values));
        // The second encode of an address comes from the header cache: still identical.
        expect(encoder.encode(addr, values)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('rounds and clamps int arguments to int32', () => {
    expect(toInt32(2.5)).toBe(3);
    expect(toInt32(-0.4)).toBe(-0);
    expect(toInt32(1e12)).toBe(2_147_483_647);
    expect(toInt32(-1e12)).toBe(-2_147_483_648);
    const bytes = new OscEncoder(['i']).encode('/n', [1e12]);
    expect(bytes.readInt32BE(bytes.length - 4)).toBe(2_147_483_647);
  });
});

describe('encodeBundle and ntpTimeTag', () => {
  it('computes NTP timetags as osc.timeTag does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }), fc.integer({ min: 0, max: 999 }), (ms, frac) => {
        const epochMs = ms + frac / 1000;
        expect(ntpTimeTag(epochMs)).toEqual(osc.timeTag(0, epochMs).raw);
      }),
      { numRuns: 200 },
    );
    expect(ntpTimeTag(0)).toEqual([2_208_988_800, 0]);
  });

  it('encodes a bundle byte-identically to osc.writePacket, immediate and timed', () => {
    const encoder = new OscEncoder(['f']);
    const elements = [encoder.encode('/cv/cutoff', [0.5]), encoder.encode('/cv/resonance', [0.2])];
    for (const timeTag of [IMMEDIATELY, ntpTimeTag(1_718_000_000_123.5)]) {
      const expected = osc.writePacket(
        {
          timeTag: { raw: [timeTag[0], timeTag[1]] },
          packets: [
            { address: '/cv/cutoff', args: [{ type: 'f', value: 0.5 }] },
            { address: '/cv/resonance', args: [{ type: 'f', value: 0.2 }] },
          ],
        },
        { metadata: true },
      );
      expect(encodeBundle(timeTag, elements)).toEqual(Buffer.from(expected));
    }
  });

  it('groups messages so that each bundle stays within the size limit', () => {
    const element = Buffer.alloc(100);
    const groups = groupForBundles(Array.from({ length: 30 }, () => element), 1400);
    expect(groups.map((g) => g.length)).toEqual([13, 13, 4]);
    for (const group of groups) expect(encodeBundle(IMMEDIATELY, group).length).toBeLessThanOrEqual(1400);
    // A message bigger than the limit still goes, alone.
    expect(groupForBundles([Buffer.alloc(2000), element], 1400).map((g) => g.length)).toEqual([1, 1]);
    expect(groupForBundles([], 1400)).toEqual([]);
  });
});

describe('escapeAddressPart (hostile names from chat)', () => {
  it('keeps safe names as they are', () => {
    const name = 'cutoff_2.lfo-a';
    expect(escapeAddressPart(name)).toBe(name);
  });

  it.each([
    ['OSC pattern syntax', 'a#b*c,d/e?f[g]h{i}j', 'a_b_c_d_e_f_g_h_i_j'],
    ['spaces and tabs', 'evil name\there', 'evil_name_here'],
    ['a path that climbs out', '../../cv/cutoff', '.._.._cv_cutoff'],
    ['control characters and NUL', 'a\u0000b\u001bc\u007fd\u0085e', 'a_b_c_d_e'],
    ['non-ASCII, one _ per code point', 'ünï🎛x', '_n__x'],
    ['Max and Pd specials', 'a;b$1\\c"d\'e', 'a_b_1_c_d_e'],
    ['an empty value', '', '_'],
    ['a bare wildcard', '*', '_'],
  ])('replaces %s', (_what, hostile, escaped) => {
    expect(escapeAddressPart(hostile)).toBe(escaped);
  });

  it('never lets address syntax through, for any string, and bounds the length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (hostile) => {
        const escaped = escapeAddressPart(hostile);
        expect(escaped).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(escaped.length).toBeLessThanOrEqual(MAX_ADDRESS_PART);
      }),
      { numRuns: 500 },
    );
  });

  it('fills empty segments of a rendered address', () => {
    expect(fillEmptySegments('/cv/cutoff')).toBe('/cv/cutoff');
    expect(fillEmptySegments('/by/')).toBe('/by/_');
    expect(fillEmptySegments('/a//b')).toBe('/a/_/b');
    expect(fillEmptySegments('/a///')).toBe('/a/_/_/_');
  });

  it('checks the literal parts of a configured address', () => {
    expect(checkAddressLiteral('/cv/{{ variable }}')).toEqual([]);
    expect(checkAddressLiteral('/chatflow/alive')).toEqual([]);
    expect(checkAddressLiteral('cv/{{ variable }}')).toEqual(['An OSC address starts with "/"']);
    expect(checkAddressLiteral('/cv/*')).toHaveLength(1);
    expect(checkAddressLiteral('/cv x')).toHaveLength(2);
    expect(checkAddressLiteral('/cvé')).toEqual(['An OSC address is printable ASCII']);
  });
});

describe('sanitizeStringArg', () => {
  it('drops control characters, keeps Unicode, and cuts long text without splitting a surrogate pair', () => {
    expect(sanitizeStringArg('ana\u0000\n\u001b[31m')).toBe('ana[31m');
    expect(sanitizeStringArg('ünï 🎛')).toBe('ünï 🎛');
    const long = `${'a'.repeat(MAX_STRING_ARG - 1)}🎛🎛`;
    const cut = sanitizeStringArg(long);
    expect(cut).toBe('a'.repeat(MAX_STRING_ARG - 1));
    expect(sanitizeStringArg('b'.repeat(1000))).toHaveLength(MAX_STRING_ARG);
  });
});

describe('parseTarget', () => {
  it('reads host:port, hostnames and bracketed IPv6', () => {
    expect(parseTarget('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400, family: 'udp4' });
    expect(parseTarget('synth.local:9000')).toEqual({ host: 'synth.local', port: 9000, family: 'udp4' });
    expect(parseTarget('[::1]:7400')).toEqual({ host: '::1', port: 7400, family: 'udp6' });
  });

  it.each(['127.0.0.1', ':7400', '127.0.0.1:0', 'host:70000', '::1:7400', '[nope]:7400', 'a b:1'])(
    'rejects %s',
    (text) => {
      expect(parseTarget(text)).toBeUndefined();
    },
  );
});

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
