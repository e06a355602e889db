import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ChatflowEvent } from '../../core/events.js';
import { BatchEncoder, EncodeTally } from './batchEncoder.js';

const rows = { instance: 'i1', questionCommands: new Set<string>(), now: () => 0 };

/** Each part a batch gives, as (index, table, text, rows). */
function encode(batch: readonly ChatflowEvent[], connections: number, slices: readonly number[]) {
  const parts: { index: number; tables: { table: string; text: string; rows: number }[] }[] = [];
  const encoding = new BatchEncoder(['chat'], rows).begin(batch.length, connections, (index, text) => {
    parts.push({ index, tables: text.tables().map((t) => ({ table: t.table, text: Buffer.from(t.bytes).toString(), rows: t.rows })) });
  });
  let from = 0;
  for (const size of slices) {
    const to = Math.min(batch.length, from + size);
    encoding.add(batch, from, to);
    from = to;
  }
  encoding.add(batch, from, batch.length);
  return { parts, counts: encoding.finish() };
}

function batchOf(n: number): ChatflowEvent[] {
  return Array.from({ length: n }, (_, i) =>
    i % 9 === 4 ? { kind: 'control', variable: 'x', value: i, previous: 0, origin: 'command', ts: i, receivedAt: 0 } : chat(`m${i}`, { id: `id${i}` }),
  );
}

describe('BatchEncoder', () => {
  it('splits a batch into up to `connections` parts of at least 200 events, however its events arrive', () => {
    fc.assert(
      fc.property(fc.nat(1300), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }), (n, connections, slices) => {
        const batch = batchOf(n);
        const whole = encode(batch, connections, []);
        const sliced = encode(batch, connections, slices);
        expect(sliced).toEqual(whole);
        const parts = Math.max(1, Math.min(connections, Math.floor(n / 200)));
        expect(whole.parts.length).toBe(n === 0 ? 0 : parts);
        expect(whole.parts.map((p) => p.index)).toEqual(whole.parts.map((_, i) => i));
        const stored = batch.filter((e) => e.kind === 'chat').length;
        expect(whole.parts.reduce((sum, p) => sum + (p.tables[0]?.rows ?? 0), 0)).toBe(stored);
        expect(whole.counts).toEqual({ stored, cleaned: 0, notStored: n - stored });
      }),
      { numRuns: 200 },
    );
  });

  it('hands a part on as soon as its last event is encoded, before the rest of the batch arrives', () => {
    const seen: number[] = [];
    const batch = batchOf(1000);
    const encoding = new BatchEncoder(['chat', 'control'], rows).begin(batch.length, 2, (index) => seen.push(index));
    encoding.add(batch, 0, 499);
    expect(seen).toEqual([]);
    encoding.add(batch, 499, 500);
    expect(seen).toEqual([0]);
    encoding.add(batch, 500, 1000);
    expect(seen).toEqual([0, 1]);
    expect(encoding.finish()).toEqual({ stored: 1000, cleaned: 0, notStored: 0 });
    expect(seen).toEqual([0, 1]);
  });

  it('splits a batch larger than 2500 events per connection into parts of at most 2500, each handed on when complete', () => {
    const seen: { index: number; rows: number }[] = [];
    const batch = batchOf(20_000).filter((e) => e.kind === 'chat').slice(0, 12_001);
    const encoding = new BatchEncoder(['chat'], rows).begin(batch.length, 2, (index, text) => seen.push({ index, rows: text.tables()[0]?.rows ?? 0 }));
    encoding.add(batch, 0, 2401);
    expect(seen).toEqual([{ index: 0, rows: 2401 }]);
    encoding.add(batch, 2401, batch.length);
    expect(encoding.finish().stored).toBe(batch.length);
    // ceil(12001 / 2500) = 5 parts of ceil(12001 / 5) = 2401 events, the last one what is left.
    expect(seen).toEqual([0, 1, 2, 3, 4].map((index) => ({ index, rows: index < 4 ? 2401 : 12_001 - 4 * 2401 })));
  });

  it('puts events beyond the announced total into a last part rather than losing them', () => {
    const seen: { index: number; rows: number }[] = [];
    const batch = batchOf(10).filter((e) => e.kind === 'chat');
    const encoding = new BatchEncoder(['chat'], rows).begin(3, 2, (index, text) => seen.push({ index, rows: text.tables()[0]?.rows ?? 0 }));
    encoding.add(batch);
    expect(encoding.finish().stored).toBe(batch.length);
    expect(seen).toEqual([
      { index: 0, rows: 3 },
      { index: 1, rows: batch.length - 3 },
    ]);
  });

  it('counts the values each batch cleaned', () => {
    const encoder = new BatchEncoder(['chat'], rows);
    const first = encoder.begin(2, 1, () => {});
    first.add([chat('a\u0000b', { id: '1' }), chat('ok', { id: '2' })]);
    expect(first.finish()).toEqual({ stored: 2, cleaned: 1, notStored: 0 });
    const second = encoder.begin(1, 1, () => {});
    second.add([chat('\ud800', { id: '3' })]);
    expect(second.finish()).toEqual({ stored: 1, cleaned: 1, notStored: 0 });
  });
});

describe('EncodeTally', () => {
  it('counts cleaned_text and kind_not_stored on the node, and warns once', () => {
    const counted: [string, number][] = [];
    const dropped: [string, boolean, number][] = [];
    const warnings: string[] = [];
    const tally = new EncodeTally({
      counts: { count: (name, n) => void counted.push([name, n]) },
      drops: { drop: (reason, intentional = true, n = 1) => void dropped.push([reason, intentional, n]) },
      logger: { warn: (_d, message) => void warnings.push(message) },
    });
    tally.add({ stored: 5, cleaned: 2, notStored: 1 });
    tally.add({ stored: 5, cleaned: 0, notStored: 0 });
    tally.add({ stored: 5, cleaned: 3, notStored: 0 });
    expect(tally.cleaned).toBe(5);
    expect(counted).toEqual([
      ['cleaned_text', 2],
      ['cleaned_text', 3],
    ]);
    expect(dropped).toEqual([['kind_not_stored', true, 1]]);
    expect(warnings).toHaveLength(1);
  });
});
