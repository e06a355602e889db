import { describe, expect, it } from 'vitest';
import { RingReader, RingWriter, ringBuffer } from './ring.js';

const bytes = (...n: number[]) => Uint8Array.from(n);
const drain = (reader: RingReader) => {
  const out: number[][] = [];
  for (let b = reader.read(); b !== undefined; b = reader.read()) out.push([...b]);
  return out;
};

describe('the stage ring (lock-free hand-over of targets)', () => {
  it('hands records over in order, each whole, and is empty after', () => {
    const sab = ringBuffer(64);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    expect(reader.read()).toBeUndefined();
    expect(writer.write(bytes(1))).toBe(true);
    expect(writer.write(bytes(2, 3, 4, 5, 6))).toBe(true);
    expect(writer.write(bytes())).toBe(true);
    expect(drain(reader)).toEqual([[1], [2, 3, 4, 5, 6], []]);
    expect(reader.read()).toBeUndefined();
  });

  it('refuses a record that does not fit until the reader has caught up, and never overwrites one unread', () => {
    const sab = ringBuffer(32);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    // 32 bytes, one word kept free: three 8-byte records fit, a fourth does not.
    expect([1, 2, 3].map((n) => writer.write(bytes(n, n, n, n)))).toEqual([true, true, true]);
    expect(writer.write(bytes(4, 4, 4, 4))).toBe(false);
    expect([...(reader.read() ?? [])]).toEqual([1, 1, 1, 1]);
    expect(writer.write(bytes(4, 4, 4, 4))).toBe(true);
    expect(drain(reader)).toEqual([
      [2, 2, 2, 2],
      [3, 3, 3, 3],
      [4, 4, 4, 4],
    ]);
  });

  it('wraps around the end of its memory, many times, in order', () => {
    const sab = ringBuffer(48);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const seen: number[][] = [];
    for (let i = 0; i < 200; i++) {
      const record = Array.from({ length: i % 13 }, (_, j) => (i + j) & 0xff);
      while (!writer.write(Uint8Array.from(record))) seen.push(...drain(reader));
      if (i % 3 === 0) seen.push(...drain(reader));
    }
    seen.push(...drain(reader));
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => Array.from({ length: i % 13 }, (_, j) => (i + j) & 0xff)));
  });

  it('wants its size in whole words', () => {
    expect(() => ringBuffer(30)).toThrow(RangeError);
    expect(() => ringBuffer(8)).toThrow(RangeError);
  });
});
