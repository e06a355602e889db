import { describe, expect, it } from 'vitest';
import { encodeBundle, OscEncoder } from './encoding.js';
import { decodeOscPacket, float32Value } from './preview.js';

describe('decodeOscPacket', () => {
  it('osc: decodes bundles, each message with its timetag; floats as the shortest decimal of the same float32', () => {
    const encoder = new OscEncoder(['f']);
    const packet = encodeBundle([1, 2], [encoder.encode('/a', [0.5]), encoder.encode('/b', [1])]);
    expect(decodeOscPacket(packet)).toEqual([
      { address: '/a', value: 0.5, bundle: [1, 2] },
      { address: '/b', value: 1, bundle: [1, 2] },
    ]);
    expect(float32Value(Math.fround(0.8))).toBe(0.8);
    const third = Math.fround(1 / 3);
    expect(Math.fround(float32Value(third))).toBe(third);
    expect(String(float32Value(third)).length).toBeLessThan(String(third).length);
  });
});
