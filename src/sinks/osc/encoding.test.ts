import fc from 'fast-check';
import osc from 'osc';
import { describe, expect, it } from 'vitest';
import { sanitizeStringArg } from './address.js';
import { encodeBundle, groupForBundles, IMMEDIATELY, ntpTimeTag, type OscArgType, OscEncoder, toInt32 } from './encoding.js';

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
