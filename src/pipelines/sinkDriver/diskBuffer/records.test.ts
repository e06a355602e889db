import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, HEADER_BYTES, resync, walkRecords } from './records.js';

const rec = (n: number) => encodeRecord(Buffer.from(JSON.stringify({ n, text: `message ${n}` })));

function walk(buf: Buffer, complete = true) {
  const records: number[] = [];
  const corrupt: [number, number][] = [];
  const stop = walkRecords(buf, 0, buf.length, complete, {
    record: (start, end) => records.push((JSON.parse(buf.toString('utf8', start, end)) as { n: number }).n),
    corrupt: (at, next) => corrupt.push([at, next]),
  });
  return { records, corrupt, stop };
}

describe('disk buffer records', () => {
  it('round-trips payloads framed with length and checksum', () => {
    const buf = Buffer.concat([rec(1), rec(2), rec(3)]);
    expect(walk(buf)).toEqual({ records: [1, 2, 3], corrupt: [], stop: buf.length });
    const first = decodeRecord(buf, 0, buf.length);
    expect(first).toEqual({ kind: 'record', start: HEADER_BYTES, end: rec(1).length });
  });

  it('detects a flipped bit in the payload, skips that record only and resyncs on the next', () => {
    const parts = [rec(1), rec(2), rec(3)];
    const buf = Buffer.concat(parts);
    const at = (parts[0] as Buffer).length;
    buf[at + HEADER_BYTES + 5] = (buf[at + HEADER_BYTES + 5] as number) ^ 0x04;
    const out = walk(buf);
    expect(out.records).toEqual([1, 3]);
    expect(out.corrupt).toEqual([[at, at + (parts[1] as Buffer).length]]);
  });

  it('detects a flipped bit in the length (covered by the checksum too)', () => {
    const parts = [rec(1), rec(2), rec(3)];
    const buf = Buffer.concat(parts);
    const at = (parts[0] as Buffer).length;
    buf[at + 4] = (buf[at + 4] as number) ^ 0x01;
    expect(walk(buf).records).toEqual([1, 3]);
  });

  it('a record cut short is bad at the end of a finished segment, and left for later otherwise', () => {
    const buf = Buffer.concat([rec(1), rec(2)]);
    const cut = buf.subarray(0, buf.length - 3);
    expect(walk(cut, true)).toEqual({ records: [1], corrupt: [[rec(1).length, cut.length]], stop: cut.length });
    expect(walk(cut, false)).toEqual({ records: [1], corrupt: [], stop: rec(1).length });
  });

  it('resync finds nothing in garbage', () => {
    const garbage = Buffer.alloc(100, 0x7b);
    expect(resync(garbage, 0, garbage.length)).toBe(garbage.length);
    expect(decodeRecord(garbage, 0, garbage.length).kind).toBe('corrupt');
  });
});
